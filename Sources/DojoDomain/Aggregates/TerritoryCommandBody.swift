/// A territory command a client may send, as one JSON object (`POST /v1/territories/{id}/commands`,
/// a socket `command` to a `territory:` room): `challenge`, `accept`, `decline`, `withdraw`.
/// Nothing here claims a territory: results come from matches (the runtime's reaction).
public struct TerritoryCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var opponentId: String?
    /// For `accept`: the match's game and race (8-ball, race to 3 when not given).
    public var gameType: Match.GameType?
    public var raceTo: Int?

    /// What the client asked for: the runtime turns an accept into a scheduled match.
    public enum Request: Sendable, Equatable {
        case challenge(opponentID: String?)
        case accept(gameType: Match.GameType, raceTo: Int)
        case decline
        case withdraw
    }

    public func request() throws(DomainError) -> Request {
        switch type {
        case "challenge": return .challenge(opponentID: opponentId)
        case "accept": return .accept(gameType: gameType ?? .eightBall, raceTo: raceTo ?? 3)
        case "decline": return .decline
        case "withdraw": return .withdraw
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown territory command type \(type.prefix(40)); use challenge, accept, decline or withdraw"
            )
        }
    }
}
