import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import NIOCore
import Tracing

extension Gateway {
    /// A command sent over the socket: the match commands of `POST /v1/matches/{id}/commands`
    /// and the venue commands of the venue endpoints (``VenueCommandBody``), routed to the entity's
    /// actor as the connection's principal. Answered with `ack` (the sequence numbers appended,
    /// after they are durable) or `error`.
    /// With traces on, a span per command continues the message's `traceparent` when it has one.
    func command(_ connection: Connection, room: RoomName, command: Data, commandID: String?, traceparent: String? = nil, requestID: [UInt8]?) {
        func refuse(_ code: String, _ message: String) {
            connection.sendNow(Messages.error(requestID: requestID, code: code, message: message, room: room.description))
        }
        guard connection.device == nil else {
            return refuse("forbidden", "camera devices send frames, not commands")
        }
        guard let principal = connection.principal else {
            return refuse("auth.required", "commands need a signed-in connection: send auth first")
        }
        if let expiry = connection.principalExpiry, expiry <= .now() {
            return refuse("auth.token_expired", "the connection's token has expired: send auth with a fresh one")
        }
        guard let kind = room.entityKind, let registration = runtime.registration(for: kind) else {
            return refuse(
                "command.unsupported_room",
                "commands go to the rooms of entities: \(runtime.registered.map { $0.kind.rawValue + ":" }.joined(separator: ", "))"
            )
        }
        guard connection.commandsInFlight < configuration.maximumCommandsInFlight else {
            return refuse("busy", "at most \(configuration.maximumCommandsInFlight) commands in flight per connection; wait for their answers")
        }
        let id = room.id
        execute(
            {
                do {
                    return CommandOutcome(try await registration.send(id, command, principal, commandID))
                } catch let error as DecodingError {
                    throw WireError(
                        status: 400,
                        code: "invalid_command",
                        message: "the command is not a \(kind.rawValue) command object: \(Self.describe(error))"
                    )
                }
            },
            for: connection,
            room: room.description,
            traceparent: traceparent,
            requestID: requestID
        )
    }

    /// A camera's shot: `{"type":"shot","shotId":…,…}` (the observation of docs/referee.md), judged
    /// by the match live at the device's table. `shotId` is required and makes a retry safe: a
    /// replay answers the first ack with `duplicate: true` and appends nothing.
    func cameraShot(_ bytes: [UInt8], matchID: String?, from connection: Connection, requestID: [UInt8]?) {
        func refuse(_ code: String, _ message: String) {
            connection.sendNow(Messages.error(requestID: requestID, code: code, message: message))
        }
        // A scorer sends shots as {"type":"command","room":"match:…","command":{"type":"shot",…}}.
        guard let device = signedInDevice(connection, requestID: requestID, sending: "shot messages") else { return }
        let shot: Referee.Shot
        do {
            shot = try JSONDecoder().decode(Referee.Shot.self, from: Data(bytes))
        } catch {
            return refuse("referee.invalid_shot", "the shot is not a shot observation: \(Self.describe(error))")
        }
        guard let shotID = shot.shotId else {
            return refuse("referee.invalid_shot", "a camera's shot needs shotId (it makes a retry safe)")
        }
        do throws(DomainError) { try CommandID.validate(shotID) } catch { return refuse(error.code, error.message) }
        guard connection.commandsInFlight < configuration.maximumCommandsInFlight else {
            return refuse("busy", "at most \(configuration.maximumCommandsInFlight) shots in flight per connection; wait for their answers")
        }
        let runtime = self.runtime
        // A camera acts for no user: it may only report shots at its own table.
        let context = CommandContext(principal: Principal(userID: "device:\(device.id)", role: .user), now: Timestamp(Date()))
        execute(
            {
                let match = try await runtime.liveMatch(venueID: device.venueID, tableID: device.tableID, named: matchID)
                let source = Match.ShotSource.camera(deviceID: device.id, tableID: device.tableID)
                var outcome = CommandOutcome(try await runtime.matches.send(match, .shot(shot, source: source), context: context, commandID: shotID))
                outcome.room = RoomName(.match, match).description
                return outcome
            },
            for: connection,
            room: nil,
            requestID: requestID
        )
    }

    /// Runs a command off the event loop and answers with `ack` (after the append is durable) or
    /// `error`.
    private func execute(
        _ send: @escaping @Sendable () async throws -> CommandOutcome,
        for connection: Connection,
        room roomText: String?,
        traceparent: String? = nil,
        requestID: [UInt8]?
    ) {
        connection.commandsInFlight += 1
        let bound = NIOLoopBound(connection, eventLoop: connection.hub.eventLoop)
        let tracing = runtime.configuration.tracing
        self.tasks.spawn {
            let reply: ByteBuffer
            do {
                let result =
                    tracing
                    ? try await withSpan("ws command", context: TraceContext.context(traceparent: traceparent), ofKind: .server) { span in
                        span.attributes["dojo.room"] = roomText
                        let outcome = try await send()
                        span.attributes["dojo.sequence"] = Int(outcome.sequence)
                        return outcome
                    } : try await send()
                reply = Messages.ack(requestID: requestID) { w in
                    w.member("room", result.room ?? roomText)
                    w.member("sequence", result.sequence)
                    if let first = result.firstSequence { w.member("firstSequence", first) }
                    w.member("duplicate", result.duplicate)
                    w.member("events", result.events)
                }
            } catch {
                // The same code and message as REST gives (WireError), never internal text.
                let wire = WireError(error)
                reply = Messages.error(
                    requestID: requestID,
                    code: wire.code,
                    message: wire.message,
                    room: roomText,
                    retryAfterMilliseconds: wire.retryAfter.map { $0 * 1_000 }
                )
            }
            bound.eventLoop.execute {
                let connection = bound.value
                connection.commandsInFlight -= 1
                connection.sendNow(reply)
            }
        }
    }

    /// What the ack of a command carries, whatever the entity kind.
    struct CommandOutcome: Sendable {
        var sequence: Int64
        var firstSequence: Int64?
        var duplicate: Bool
        var events: Int
        /// The room the command went to, when the sender did not name it (a camera's shot).
        var room: String?

        init<A: Aggregate>(_ result: CommandResult<A>) {
            sequence = result.sequence
            firstSequence = result.firstSequence
            duplicate = result.duplicate
            events = result.events.count
        }

        init(_ outcome: EntityCommandOutcome) {
            sequence = outcome.sequence
            firstSequence = outcome.firstSequence
            duplicate = outcome.duplicate
            events = outcome.events.count
        }
    }

    /// A decoding error in a sentence (the field path and what was wrong).
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
