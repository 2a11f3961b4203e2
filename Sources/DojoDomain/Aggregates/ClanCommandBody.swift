/// A clan command as one JSON object: the body of `POST /v1/clans/{id}/commands` and the `command`
/// of a WebSocket `command` message to a `clan:` room (`{"type": "invite", "userId": "u2"}`).
public struct ClanCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var name: String?
    public var description: String?
    public var userId: String?
    public var role: ClanRole?

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
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown clan command type \(type.prefix(40)); use create, describe, invite, requestToJoin, accept, decline, leave, kick, setRole, transferLeadership or disband"
            )
        }
    }
}
