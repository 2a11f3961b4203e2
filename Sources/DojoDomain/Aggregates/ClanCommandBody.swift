/// A clan command as one JSON object: the body of `POST /v1/clans/{id}/commands` and the `command`
/// of a WebSocket `command` message to a `clan:` room (`{"type": "invite", "userId": "u2"}`).
public struct ClanCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var name: String?
    public var description: String?
    public var userId: String?
    public var role: ClanRole?
    public var warId: String?
    public var opponentId: String?
    public var target: Int?
    public var hours: Int?

    /// The command, or `invalid_command` for an unknown type or a missing field.
    public func command() throws(DomainError) -> Clan.Command {
        func require<T>(_ value: T?, _ field: String) throws(DomainError) -> T {
            guard let value else { throw DomainError(.invalid, "invalid_command", "\(type) needs \(field)") }
            return value
        }
        switch type {
        case "create": return .create(name: try require(name, "name"), description: description)
        case "describe": return .describe(description: description)
        case "invite": return .invite(userID: try require(userId, "userId"))
        case "requestToJoin": return .requestToJoin
        case "accept": return .accept(userID: try require(userId, "userId"))
        case "decline": return .decline(userID: try require(userId, "userId"))
        case "leave": return .leave
        case "kick": return .kick(userID: try require(userId, "userId"))
        case "setRole": return .setRole(userID: try require(userId, "userId"), role: try require(role, "role"))
        case "transferLeadership": return .transferLeadership(userID: try require(userId, "userId"))
        case "disband": return .disband
        case "declareWar":
            return .declareWar(
                warID: warId ?? Self.newWarID(),
                opponentID: try require(opponentId, "opponentId"),
                target: try require(target, "target"),
                hours: hours ?? 168
            )
        // The war's deadline timer sends it (as the system; from anyone else it is forbidden).
        case "endWar": return .endWar(warID: try require(warId, "warId"))
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown clan command type \(type.prefix(40)); use create, describe, invite, requestToJoin, accept, decline, leave, kick, setRole, transferLeadership, disband or declareWar"
            )
        }
    }

    /// A new war id: 32 lowercase hex digits.
    static func newWarID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(16) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
