/// A challenge command a client may send, as one JSON object (`POST /v1/challenges/{id}/commands`,
/// a socket `command` to a `challenge:` room, and the shaped routes `POST /v1/challenges` and
/// `POST /v1/challenges/{id}/accept|decline|withdraw`): `create`, `accept`, `decline`, `withdraw`.
/// Field names are the seed's (`defenderId`, `stakeCoins`, `venueId`, `tableId`, `gameType`,
/// `raceTo`, `expiresAt`). Amounts are whole coins: a fraction, a negative or an overflow is
/// refused by the decoder (`Int64`) or by ``Challenge`` (`challenge.invalid_stake`).
public struct ChallengeCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var defenderId: String?
    public var venueId: String?
    public var tableId: String?
    public var gameType: Match.GameType?
    public var raceTo: Int?
    public var stakeCoins: Int64?
    /// When the challenge expires (milliseconds since 1970, as every timestamp); the server's
    /// default (24 h) when not given, within its bounds.
    public var expiresAt: Timestamp?

    /// What the client asked for; the runtime fills in the rest (the challenger, the fee, the
    /// expiry, the match id).
    public enum Request: Sendable, Equatable {
        case create(
            defenderID: String,
            venueID: String?,
            tableID: String?,
            gameType: Match.GameType,
            raceTo: Int,
            stake: Int64,
            expiresAt: Timestamp?
        )
        case accept
        case decline
        case withdraw
        /// Only the server's timers send it (any other sender is refused by the challenge).
        case expire
    }

    public func request() throws(DomainError) -> Request {
        switch type {
        case "create":
            guard let defenderId else {
                throw DomainError(.invalid, "invalid_command", "a challenge names its defender (defenderId)")
            }
            return .create(
                defenderID: defenderId,
                venueID: venueId,
                tableID: tableId,
                gameType: gameType ?? .eightBall,
                raceTo: raceTo ?? 3,
                stake: stakeCoins ?? 0,
                expiresAt: expiresAt
            )
        case "accept": return .accept
        case "decline": return .decline
        case "withdraw": return .withdraw
        case "expire": return .expire
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown challenge command type \(type.prefix(40)); use create, accept, decline or withdraw"
            )
        }
    }
}
