/// Any match command as one JSON object (`{"type": "recordRack", "winner": "A"}`): the body of
/// `POST /v1/matches/{id}/commands` and the `command` of a WebSocket `command` message.
public struct MatchCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var breaker: Match.Side?
    public var winner: Match.Side?
    public var shooter: Match.Side?
    public var pocketed: [Int]?
    public var text: String?
    public var reason: String?

    /// The command, or `invalid_command` when its type is unknown or a field it needs is missing.
    public func command() throws(DomainError) -> Match.Command {
        func require<T>(_ value: T?, _ field: String) throws(DomainError) -> T {
            guard let value else { throw DomainError(.invalid, "invalid_command", "\(type) needs \(field)") }
            return value
        }
        switch type {
        case "start": return .start
        case "startRack": return .startRack(breaker: breaker)
        case "shot": return .shot(shooter: try require(shooter, "shooter"), pocketed: pocketed ?? [])
        case "recordRack": return .recordRack(winner: try require(winner, "winner"), breaker: breaker)
        case "commentary": return .commentary(try require(text, "text"))
        case "end": return .end(winner: try require(winner, "winner"), reason: reason)
        case "cancel": return .cancel(reason: reason)
        default:
            throw DomainError(
                .invalid, "invalid_command",
                "unknown command type \(type.prefix(40)); use start, startRack, shot, recordRack, commentary, end or cancel"
            )
        }
    }
}
