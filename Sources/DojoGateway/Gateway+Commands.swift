import DojoDomain
import DojoRuntime
import Foundation
import NIOCore

extension Gateway {
    /// A command sent over the socket: the same commands as `POST /v1/matches/{id}/commands`,
    /// routed to the match's actor as the connection's principal. Answered with `ack` (the
    /// sequence numbers appended, after they are durable) or `error`.
    func command(_ connection: Connection, room: RoomName, command: Data, commandID: String?, requestID: [UInt8]?) {
        func refuse(_ code: String, _ message: String) {
            connection.sendNow(Messages.error(requestID: requestID, code: code, message: message, room: room.description))
        }
        guard let principal = connection.principal else {
            return refuse("auth.required", "commands need a signed-in connection: send auth first")
        }
        guard room.kind == .match else {
            return refuse("command.unsupported_room", "commands go to match rooms; use REST for \(room.kind.rawValue) commands")
        }
        guard connection.commandsInFlight < configuration.maximumCommandsInFlight else {
            return refuse("busy", "at most \(configuration.maximumCommandsInFlight) commands in flight per connection; wait for their answers")
        }
        let body: MatchCommandBody
        let matchCommand: Match.Command
        do {
            body = try JSONDecoder().decode(MatchCommandBody.self, from: command)
            matchCommand = try body.command()
        } catch let error as DomainError {
            return refuse(error.code, error.message)
        } catch {
            return refuse("invalid_command", "the command is not a match command object: \(Self.describe(error))")
        }
        let id = commandID ?? body.commandId
        if let id {
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
                let result = try await runtime.matches.send(
                    room.id, matchCommand, context: CommandContext(principal: principal, now: Timestamp(Date())), commandID: id
                )
                reply = Messages.ack(requestID: requestID) { w in
                    w.member("room", roomText)
                    w.member("sequence", result.sequence)
                    if let first = result.firstSequence { w.member("firstSequence", first) }
                    w.member("duplicate", result.duplicate)
                    w.member("events", result.events.count)
                }
            } catch let error as DomainError {
                reply = Messages.error(requestID: requestID, code: error.code, message: error.message, room: roomText)
            } catch let error as RuntimeError {
                reply = Messages.error(requestID: requestID, code: error.code.rawValue, message: error.message, room: roomText)
            } catch {
                reply = Messages.error(requestID: requestID, code: "internal", message: "the command failed", room: roomText)
            }
            bound.eventLoop.execute {
                let connection = bound.value
                connection.commandsInFlight -= 1
                connection.sendNow(reply)
            }
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
