import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import NIOCore

extension Gateway {
    /// A command sent over the socket: the match commands of `POST /v1/matches/{id}/commands`
    /// and the venue commands of the venue endpoints (``VenueCommandBody``), routed to the entity's
    /// actor as the connection's principal. Answered with `ack` (the sequence numbers appended,
    /// after they are durable) or `error`.
    func command(_ connection: Connection, room: RoomName, command: Data, commandID: String?, requestID: [UInt8]?) {
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
        guard room.kind == .match || room.kind == .venue else {
            return refuse("command.unsupported_room", "commands go to match: and venue: rooms")
        }
        guard connection.commandsInFlight < configuration.maximumCommandsInFlight else {
            return refuse("busy", "at most \(configuration.maximumCommandsInFlight) commands in flight per connection; wait for their answers")
        }
        let send: @Sendable () async throws -> CommandOutcome
        let bodyCommandID: String?
        do {
            let context = CommandContext(principal: principal, now: Timestamp(Date()))
            if room.kind == .match {
                let body = try JSONDecoder().decode(MatchCommandBody.self, from: command)
                let matchCommand = try body.command()
                bodyCommandID = body.commandId
                let runtime = self.runtime
                send = { [room] in CommandOutcome(try await runtime.matches.send(room.id, matchCommand, context: context, commandID: commandID ?? body.commandId)) }
            } else {
                let body = try JSONDecoder().decode(VenueCommandBody.self, from: command)
                let venueCommand = try body.command(actingUser: principal.userID)
                bodyCommandID = body.commandId
                let (runtime, storage) = (self.runtime, self.storage)
                send = { [room] in
                    // The references REST checks, checked here too: users exist, table ids are unique.
                    let users = body.referencedUsers + (body.type == "checkIn" ? [principal.userID].compactMap { $0 } : [])
                    let known = try await storage.existingIDs(in: "users", users)
                    if let missing = users.first(where: { !known.contains($0) }) {
                        throw DomainError(.invalid, "venue.unknown_user", "user \(missing) does not exist")
                    }
                    if case .addTable(let id, _) = venueCommand, try await !storage.existingIDs(in: "venue_tables", [id]).isEmpty {
                        throw DomainError(.conflict, "venue.table_exists", "a table with id \(id) already exists")
                    }
                    return CommandOutcome(try await runtime.venues.send(room.id, venueCommand, context: context, commandID: commandID ?? body.commandId))
                }
            }
        } catch let error as DomainError {
            return refuse(error.code, error.message)
        } catch {
            return refuse("invalid_command", "the command is not a \(room.kind.rawValue) command object: \(Self.describe(error))")
        }
        if let id = commandID ?? bodyCommandID {
            guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                return refuse("invalid_command_id", "a commandId is 1–128 printable ASCII characters")
            }
        }
        connection.commandsInFlight += 1
        let bound = NIOLoopBound(connection, eventLoop: connection.hub.eventLoop)
        let roomText = room.description
        Task {
            let reply: ByteBuffer
            do {
                let result = try await send()
                reply = Messages.ack(requestID: requestID) { w in
                    w.member("room", roomText)
                    w.member("sequence", result.sequence)
                    if let first = result.firstSequence { w.member("firstSequence", first) }
                    w.member("duplicate", result.duplicate)
                    w.member("events", result.events)
                }
            } catch let error as DomainError {
                reply = Messages.error(requestID: requestID, code: error.code, message: error.message, room: roomText)
            } catch let error as RuntimeError {
                reply = Messages.error(requestID: requestID, code: error.code.rawValue, message: error.message, room: roomText)
            } catch {
                reply = Messages.error(requestID: requestID, code: "unavailable", message: "the command could not be completed now; retry with the same commandId", room: roomText)
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

        init<A: Aggregate>(_ result: CommandResult<A>) {
            sequence = result.sequence
            firstSequence = result.firstSequence
            duplicate = result.duplicate
            events = result.events.count
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
