public import DojoDomain
public import Foundation

/// One entity kind, as REST, the gateway, recovery and the runtime's loops see it without knowing
/// it by name (docs/adding-an-entity.md): its directory of actors, its REST collection, how a
/// command object is decoded and authorized, what clients see of its state, whether an entity
/// exists. The transports dispatch through ``Runtime/registration(for:)``; a kind with no
/// registration is refused with a typed error (`command.unsupported_room`, `room.not_found`).
public struct EntityRegistration: Sendable {
    public let kind: EntityKind
    /// The REST collection: `GET /v1/{collection}/{id}` and `POST /v1/{collection}/{id}/commands`.
    public let collection: String
    /// Reads an entity (activating its actor).
    public let read: @Sendable (_ id: String) async throws -> EntityReadout
    /// Decodes a command object (the body of `POST …/commands`, the `command` of a socket
    /// message), checks what the entity itself cannot know, sends it as `principal` and waits for
    /// the durable append. `commandID` overrides an id the command object carries.
    public let send: @Sendable (_ id: String, _ command: Data, _ principal: Principal, _ commandID: String?) async throws -> EntityCommandOutcome
    /// Answers a command or read another node forwarded here (``EntityDirectory/answerForwarded(_:_:)``).
    public let answerForwarded: @Sendable (_ id: String, _ request: Data) async -> Data
    /// Who may follow an entity's room beyond seeing that it exists (a members-only room), decided
    /// on every subscribe: throws the refusal (a `DomainError`). Nil: a public room.
    public let follow: (@Sendable (_ id: String, _ principal: Principal) async throws -> Void)?
    let passivateIdle: @Sendable (_ olderThan: Duration) async -> Int
    let shutdown: @Sendable () async -> Void

    /// A registration for aggregate `A`.
    ///
    /// - Parameters:
    ///   - directory: the kind's actors (``Runtime/makeDirectory(_:)``).
    ///   - collection: the REST collection name (`matches`).
    ///   - exists: whether an entity exists (a state no event was recorded for does not).
    ///   - view: what clients see of the state (REST, snapshots on the socket).
    ///   - decode: a command object into the command and the id it carries; a `DomainError` for an
    ///     unknown type or a missing field, any other error for JSON of the wrong shape.
    ///   - authorize: what the entity cannot check itself (other entities, records); returns the
    ///     command to send (it may add what it learned, as the match's venue staff flag).
    ///   - deliver: sends the authorized command (default: straight to the directory). A kind with
    ///     invariants across entities wraps the send here (clans reserve a name and a player's one
    ///     clan around it), so every transport goes the same way.
    ///   - follow: who may follow an entity's room (default: anyone, a public room); a
    ///     members-only room refuses the others with the access policy's error.
    public init<A: Aggregate, View: Encodable & Sendable>(
        directory: EntityDirectory<A>,
        collection: String,
        exists: @escaping @Sendable (A.State) -> Bool,
        view: @escaping @Sendable (A.State) -> View,
        decode: @escaping @Sendable (_ command: Data, _ principal: Principal) throws -> (command: A.Command, commandID: String?),
        authorize: @escaping @Sendable (_ command: A.Command, _ id: String, _ principal: Principal) async throws -> A.Command = { command, _, _ in
            command
        },
        deliver: (@Sendable (_ id: String, _ command: A.Command, _ context: CommandContext, _ commandID: String?) async throws -> CommandResult<A>)? =
            nil,
        follow: (@Sendable (_ id: String, _ principal: Principal) async throws -> Void)? = nil
    ) {
        kind = A.kind
        self.collection = collection
        self.follow = follow
        answerForwarded = { id, request in await directory.answerForwarded(id, request) }
        let encode: @Sendable (A.State) throws -> [UInt8] = { state in
            Array(try JSONEncoder.dojo().encode(view(state)))
        }
        read = { id in
            let (state, sequence) = try await directory.read(id)
            return EntityReadout(exists: exists(state), sequence: sequence, view: try encode(state))
        }
        send = { id, body, principal, commandID in
            let decoded = try decode(body, principal)
            let commandID = commandID ?? decoded.commandID
            if let commandID {
                do throws(DomainError) { try CommandID.validate(commandID) } catch {
                    throw WireError(status: 400, code: error.code, message: error.message)
                }
            }
            let command = try await authorize(decoded.command, id, principal)
            let context = CommandContext(principal: principal, now: Timestamp(Date()))
            let result =
                if let deliver {
                    try await deliver(id, command, context, commandID)
                } else {
                    try await directory.send(id, command, context: context, commandID: commandID)
                }
            let first = result.firstSequence ?? result.sequence
            let events = result.events.enumerated().map { offset, event in
                var writer = JSONWriter()
                event.writeJSON(to: &writer)
                return EntityCommandOutcome.Event(seq: first + Int64(offset), type: A.eventType(event), json: writer.bytes)
            }
            return EntityCommandOutcome(
                sequence: result.sequence,
                firstSequence: result.firstSequence,
                duplicate: result.duplicate,
                events: events,
                view: try encode(result.state)
            )
        }
        passivateIdle = { idle in await directory.passivateIdle(olderThan: idle) }
        shutdown = { await directory.shutdown() }
    }
}
