/// A tournament command as one JSON object: the body of `POST /v1/tournaments/{id}/commands`, the
/// `command` of a socket `command` to a `tournament:` room, and what the shaped routes
/// (`POST /v1/tournaments`, `/registrations`, `/start`, …) build. `type` is one of `create`,
/// `register`, `unregister`, `checkIn`, `start`, `report`, `walkover`, `disqualify`, `cancel`.
/// Field names follow the seed (`venueId`, `userId`, `gameType`, `raceTo`, `startsAt`).
public struct TournamentCommandBody: Decodable, Sendable {
    /// Required on the generic command route and the socket; the shaped routes set it.
    public var type: String?
    public var commandId: String?
    public var name: String?
    public var venueId: String?
    public var format: Bracket.Format?
    public var gameType: Match.GameType?
    public var raceTo: Int?
    public var finalRaceTo: Int?
    public var maxParticipants: Int?
    public var entryFee: Int64?
    /// Basis points of the pot for 1st, 2nd, … (the rest stays with the house).
    public var prizeSplit: [Int]?
    public var startsAt: Timestamp?
    public var checkInMinutes: Int?
    public var seeding: Tournament.Seeding?
    public var groupSize: Int?
    public var advancePerGroup: Int?
    public var bracketReset: Bool?
    /// The venue's tables to play on (all of them when not given).
    public var tables: [String]?
    public var rewards: JSONValue?
    public var userId: String?
    /// Manual seeding: every player, top seed first.
    public var order: [String]?
    public var slot: Int?
    public var winnerId: String?
    public var scoreA: Int?
    public var scoreB: Int?
    public var reason: String?

    /// An empty command of `type` (the shaped routes fill it).
    public init(type: String) { self.type = type }

    /// The command as the client asked; the runtime fills `staff`, the venue's tables, the ratings
    /// and the random seed. `sender`: the signed-in user (the default `userId`).
    public func command(sender: String?) throws(DomainError) -> Tournament.Command {
        func require<T>(_ value: T?, _ field: String) throws(DomainError) -> T {
            guard let value else { throw DomainError(.invalid, "invalid_command", "\(type ?? "a command") needs \(field)") }
            return value
        }
        switch try require(type, "a type") {
        case "create":
            let defaults = Bracket.Options()
            return .create(
                Tournament.Terms(
                    name: try require(name, "name"),
                    venueID: venueId,
                    format: try require(format, "format (single_elimination, double_elimination, round_robin, groups_single_elimination)"),
                    options: Bracket.Options(
                        bracketReset: bracketReset ?? defaults.bracketReset,
                        groupSize: groupSize ?? defaults.groupSize,
                        advancePerGroup: advancePerGroup ?? defaults.advancePerGroup
                    ),
                    gameType: gameType ?? .eightBall,
                    raceTo: raceTo ?? 3,
                    finalRaceTo: finalRaceTo,
                    maxParticipants: maxParticipants ?? 16,
                    entryFee: entryFee ?? 0,
                    prizeSplit: prizeSplit ?? [],
                    startsAt: startsAt,
                    checkInMinutes: checkInMinutes ?? 0,
                    seeding: seeding ?? .rating,
                    tables: tables ?? [],
                    rewards: rewards
                ),
                staff: false
            )
        case "register": return .register(userID: try require(userId ?? sender, "userId"), staff: false)
        case "unregister": return .unregister(userID: try require(userId ?? sender, "userId"), staff: false)
        case "checkIn": return .checkIn(userID: try require(userId ?? sender, "userId"))
        case "start": return .start(order: order, ratings: [:], randomSeed: 0, staff: false)
        case "report":
            return .report(
                slot: try require(slot, "slot"),
                winnerID: try require(winnerId, "winnerId"),
                scoreA: try require(scoreA, "scoreA"),
                scoreB: try require(scoreB, "scoreB"),
                staff: false
            )
        case "walkover": return .walkover(slot: try require(slot, "slot"), winnerID: try require(winnerId, "winnerId"), staff: false)
        case "disqualify": return .disqualify(userID: try require(userId, "userId"), staff: false)
        case "cancel": return .cancel(reason: reason, staff: false)
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown tournament command type \((type ?? "").prefix(40)); use create, register, unregister, checkIn, start, report, walkover, disqualify or cancel"
            )
        }
    }
}

extension Tournament.Command {
    /// The command with `staff` set: the transport found the sender on the venue's staff.
    public func staff(_ staff: Bool) -> Tournament.Command {
        switch self {
        case .create(let terms, _): .create(terms, staff: staff)
        case .register(let userID, _): .register(userID: userID, staff: staff)
        case .unregister(let userID, _): .unregister(userID: userID, staff: staff)
        case .start(let order, let ratings, let seed, _): .start(order: order, ratings: ratings, randomSeed: seed, staff: staff)
        case .report(let slot, let winnerID, let scoreA, let scoreB, _):
            .report(slot: slot, winnerID: winnerID, scoreA: scoreA, scoreB: scoreB, staff: staff)
        case .walkover(let slot, let winnerID, _): .walkover(slot: slot, winnerID: winnerID, staff: staff)
        case .disqualify(let userID, _): .disqualify(userID: userID, staff: staff)
        case .cancel(let reason, _): .cancel(reason: reason, staff: staff)
        case .checkIn, .entryResult, .matchEnded, .score, .tablesChanged: self
        }
    }
}
