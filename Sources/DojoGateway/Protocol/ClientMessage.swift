import Foundation

/// A client's message, parsed once from its bytes (docs/protocol.md): the gateway switches over
/// the case, never over strings, and every malformed message is refused here with its code.
enum ClientMessage {
    case ping
    case auth(token: String)
    case subscribe(RoomName, since: Since?)
    case unsubscribe(RoomName)
    /// A command object for the room's entity (passed on as the exact bytes the client wrote),
    /// with the caller's W3C `traceparent` when it sent one.
    case command(RoomName, command: Data, commandID: String?, traceparent: String?)
    /// A bench room's message (`gateway.bench.enabled` only).
    case publish(RoomName, data: ArraySlice<UInt8>, lossy: Bool)
    /// A camera's frame; its members are checked by the frame path.
    case frame(fields: [String: ArraySlice<UInt8>])
    /// A camera's shot observation (the message's own members).
    case shot(matchID: String?)
    /// What the sender shows a room it follows (`typing`, …; nil clears it).
    case presence(RoomName, state: String?)

    /// Where a subscriber resumes: its last sequence number and epoch.
    struct Since: Decodable, Equatable {
        var seq: Int64
        var epoch: String?
    }

    /// Why a message was refused: the `error`'s code, message and room.
    struct Refusal: Error, Equatable {
        var code: String
        var message: String
        var room: String?
    }

    /// The request id to echo (`id`, a string or number of at most 128 characters, as written)
    /// and the message or its refusal.
    static func parse(_ bytes: [UInt8], benchRooms: Bool) -> (requestID: [UInt8]?, message: Result<ClientMessage, Refusal>) {
        let members: [JSONScanner.Member]
        do {
            members = try JSONScanner.members(of: bytes)
        } catch {
            return (nil, .failure(Refusal(code: "invalid_json", message: error.reason)))
        }
        var fields: [String: ArraySlice<UInt8>] = [:]
        for member in members { fields[member.key] = bytes[member.value] }
        var requestID: [UInt8]?
        if let id = fields["id"] {
            let first = id.first ?? 0
            guard id.count <= 130, first == UInt8(ascii: "\"") || first == UInt8(ascii: "-") || (first >= 48 && first <= 57) else {
                return (nil, .failure(Refusal(code: "invalid_id", message: "id is a string or a number of at most 128 characters")))
            }
            requestID = Array(id)
        }
        return (requestID, Result { () throws(Refusal) in try message(fields, benchRooms: benchRooms) })
    }

    /// The states a member may show a room (the seed's "typing/voice states"): a bounded set.
    static let presenceStates: Set<String> = ["watching", "typing", "in_voice", "away"]

    private static func message(_ fields: [String: ArraySlice<UInt8>], benchRooms: Bool) throws(Refusal) -> ClientMessage {
        func string(_ name: String) -> String? { fields[name].flatMap(JSONScanner.string) }
        guard let type = string("type") else { throw Refusal(code: "invalid_message", message: "a message needs \"type\" (a string)") }
        switch type {
        case "ping":
            return .ping
        case "frame":
            return .frame(fields: fields)
        case "shot":
            return .shot(matchID: string("matchId"))
        case "auth":
            guard let token = string("token"), !token.isEmpty, token.utf8.count <= 8_192 else {
                throw Refusal(code: "invalid_message", message: "auth needs \"token\" (an access token)")
            }
            return .auth(token: token)
        case "subscribe", "unsubscribe", "command", "publish", "presence":
            guard let text = string("room") else { throw Refusal(code: "invalid_message", message: "\(type) needs \"room\" (kind:id)") }
            guard let room = RoomName(text), room.kind != .bench || benchRooms else {
                throw Refusal(
                    code: "room.invalid",
                    message:
                        "unknown room \(text.prefix(80)); rooms are match:, venue:, table:, tournament:, territory:, clan: or user: followed by an id",
                    room: String(text.prefix(80))
                )
            }
            switch type {
            case "subscribe":
                var since: Since?
                if let raw = fields["since"], raw.first != UInt8(ascii: "n") {
                    guard let parsed = try? JSONDecoder().decode(Since.self, from: Data(raw)), parsed.seq >= 0 else {
                        throw Refusal(code: "invalid_message", message: "since is {\"seq\": n, \"epoch\": \"…\"}", room: text)
                    }
                    since = parsed
                }
                return .subscribe(room, since: since)
            case "unsubscribe":
                return .unsubscribe(room)
            case "presence":
                guard let raw = fields["state"] else {
                    throw Refusal(code: "invalid_message", message: "presence needs \"state\" (a string, or null to clear it)", room: text)
                }
                if raw.first == UInt8(ascii: "n") { return .presence(room, state: nil) }
                guard let state = string("state"), presenceStates.contains(state) else {
                    throw Refusal(
                        code: "presence.invalid_state",
                        message: "a presence state is one of \(presenceStates.sorted().joined(separator: ", ")), or null",
                        room: text
                    )
                }
                return .presence(room, state: state)
            case "command":
                guard let command = fields["command"], command.first == UInt8(ascii: "{") else {
                    throw Refusal(code: "invalid_message", message: "command needs \"command\" (an object)", room: text)
                }
                return .command(room, command: Data(command), commandID: string("commandId"), traceparent: string("traceparent"))
            default:
                guard room.kind == .bench else { throw Refusal(code: "forbidden", message: "clients publish to bench rooms only", room: text) }
                guard let data = fields["data"] else { throw Refusal(code: "invalid_message", message: "publish needs \"data\"", room: text) }
                let lossy = fields["lossy"].map { Array($0) == Array("true".utf8) } ?? false
                return .publish(room, data: data, lossy: lossy)
            }
        default:
            throw Refusal(
                code: "unknown_type",
                message:
                    "unknown message type \(type.prefix(40)); use auth, subscribe, unsubscribe, command, presence, ping (and frame or shot from a camera)"
            )
        }
    }
}
