/// A tournament (seed `Tournament`, `TournamentParticipant`; one actor per tournament,
/// `tournament:{id}`): registration while UPCOMING, a bracket built at the start, matches created
/// as their players become known and a table of the tournament is free, the bracket advanced by
/// every result, prizes paid at the end (docs/tournaments.md).
///
/// The director is the tournament's creator; the venue's staff (the transport checks it and says
/// so with `staff`) and ADMIN direct it too. Everything that follows from a result — walkovers of
/// disqualified players, the next matches and their tables, the completion with its placings and
/// prizes — is decided in the same `decide` as the result (``followUps(_:at:)``), so it is recorded
/// in the same append: a bracket never advances twice for one match.
public enum Tournament: Aggregate {
    public static let kind = EntityKind.tournament
    public static let stateFormatVersion = 1

    /// The longest tournament id: its match ids (`{id}-{slot}-{attempt}`) are entity ids too.
    public static let maximumIDLength = EntityKey.maximumIDLength - 12
    public static let maximumNameLength = 100
    /// The most places a prize split pays.
    public static let maximumPrizePlaces = 16
    /// The largest `rewards` object, in bytes, and its deepest nesting.
    public static let maximumRewardsSize = 4_096
    public static let maximumRewardsDepth = 8
    /// The longest check-in window before the start, in minutes.
    public static let maximumCheckInMinutes = 24 * 60
    /// How far ahead a start may be set (its timer's due time stays a sane instant).
    public static let maximumStartAheadMilliseconds: Int64 = 366 * 86_400_000
    /// The most tables a tournament plays on.
    public static let maximumTables = Venue.maximumTables

    /// How the players are seeded at the start.
    public enum Seeding: String, Sendable, Codable, CaseIterable {
        /// By skill rating, best first (ties: who registered first).
        case rating
        /// In the order the director gives at the start (registration order when none).
        case manual
        /// Shuffled by a random seed, recorded with the start.
        case random
    }

    public struct Terms: Sendable, Codable, Equatable {
        public var name: String
        public var venueID: String?
        public var format: Bracket.Format
        public var options: Bracket.Options
        public var gameType: Match.GameType
        /// The race of every match but the final's.
        public var raceTo: Int
        /// The race of the final (the grand final and its reset); `raceTo` when nil.
        public var finalRaceTo: Int?
        public var maxParticipants: Int
        /// Coins each player pays to enter (0: free).
        public var entryFee: Int64
        /// The pot's share of each place, in basis points (1st, 2nd, …; the rest is the house's).
        public var prizeSplit: [Int]
        public var startsAt: Timestamp?
        /// Players check in during the last `checkInMinutes` before the start; those who did not
        /// are removed at the start (0: no check-in).
        public var checkInMinutes: Int
        public var seeding: Seeding
        /// The venue's tables the matches are played on, assigned as they free up (empty: matches
        /// get no table).
        public var tables: [String]
        public var rewards: JSONValue?

        public init(
            name: String,
            venueID: String? = nil,
            format: Bracket.Format,
            options: Bracket.Options = Bracket.Options(),
            gameType: Match.GameType = .eightBall,
            raceTo: Int = 3,
            finalRaceTo: Int? = nil,
            maxParticipants: Int = 16,
            entryFee: Int64 = 0,
            prizeSplit: [Int] = [],
            startsAt: Timestamp? = nil,
            checkInMinutes: Int = 0,
            seeding: Seeding = .rating,
            tables: [String] = [],
            rewards: JSONValue? = nil
        ) {
            self.name = name
            self.venueID = venueID
            self.format = format
            self.options = options
            self.gameType = gameType
            self.raceTo = raceTo
            self.finalRaceTo = finalRaceTo
            self.maxParticipants = maxParticipants
            self.entryFee = entryFee
            self.prizeSplit = prizeSplit
            self.startsAt = startsAt
            self.checkInMinutes = checkInMinutes
            self.seeding = seeding
            self.tables = tables
            self.rewards = rewards
        }
    }

    public struct Participant: Sendable, Codable, Equatable {
        public var userID: String
        /// Which registration of this player this is (an entry fee is paid per registration).
        public var attempt: Int
        public var paid: Bool
        public var checkedIn = false
        public var registeredAt: Timestamp
    }

    /// A match of a slot: created for `attempt` (a cancelled match is replaced by the next).
    public struct Assignment: Sendable, Codable, Equatable {
        public var slot: Int
        public var matchID: String
        public var tableID: String?
        public var raceTo: Int
        public var playerA: String
        public var playerB: String
        /// True until the slot's result is recorded or the match is replaced.
        public var live = true
        public var scoreA = 0
        public var scoreB = 0
    }

    /// An entry fee to give back (its transfer ids derive from the player and the attempt).
    public struct Refund: Sendable, Codable, Equatable {
        public var userID: String
        public var attempt: Int

        public init(userID: String, attempt: Int) {
            self.userID = userID
            self.attempt = attempt
        }
    }

    public struct Prize: Sendable, Codable, Equatable {
        public var userID: String
        /// The best place of the players sharing it (two losing semi-finalists: both 3).
        public var place: Int
        public var amount: Int64
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var terms: Terms?
        public var directorID: String?
        public var status = TournamentStatus.upcoming
        /// Registered players, in the order they registered.
        public var participants: [Participant] = []
        /// Registrations per player so far (each has its own entry-fee transfer).
        public var entryAttempts: [String: Int] = [:]
        /// Registered but removed at the start (no check-in, entry not paid).
        public var removedAtStart: [String] = []
        public var bracket: Bracket?
        public var randomSeed: UInt64?
        public var assignments: [Assignment] = []
        public var disqualified: [String] = []
        /// The tournament's tables the venue says are taken by other matches or in maintenance (as
        /// the venue reaction last told): no match of the tournament is put there.
        public var unavailableTables: [String] = []
        public var placings: [[String]]?
        public var prizes: [Prize] = []
        public var cancelReason: String?
        public var createdAt: Timestamp?
        public var startedAt: Timestamp?
        public var endedAt: Timestamp?
        public var updatedAt: Timestamp?

        public init(id: String) { self.id = id }

        public func participant(_ userID: String) -> Participant? { participants.first { $0.userID == userID } }
        /// The live match of a slot, if any.
        public func liveAssignment(slot: Int) -> Assignment? { assignments.last { $0.slot == slot && $0.live } }
        /// The pot: every seeded player's entry fee.
        public var pot: Int64 { (terms?.entryFee ?? 0) * Int64(bracket?.seeds.count ?? 0) }
        /// The tables no live match of the tournament holds and the venue has free, in the
        /// tournament's order.
        public var freeTables: [String] {
            let busy = Set(assignments.filter(\.live).compactMap(\.tableID)).union(unavailableTables)
            return (terms?.tables ?? []).filter { !busy.contains($0) }
        }
        /// May `principal` direct it (`staff`: the transport found them on the venue's staff)?
        public func isDirector(_ principal: Principal, staff: Bool) -> Bool {
            principal.isAdmin || staff || (principal.userID != nil && principal.userID == directorID)
        }
    }

    public enum Command: Sendable, Equatable, Codable {
        /// A venue's staff (`staff`) or ADMIN creates it; the runtime fills the venue's tables.
        case create(Terms, staff: Bool)
        /// The sender registers, or the director registers `userID`.
        case register(userID: String, staff: Bool)
        /// The sender leaves, or the director removes `userID`, while UPCOMING.
        case unregister(userID: String, staff: Bool)
        /// The sender checks in, within the check-in window.
        case checkIn(userID: String)
        /// Ledger reaction: the entry fee of registration `attempt` was paid (or could not be).
        case entryResult(userID: String, attempt: Int, paid: Bool)
        /// The director or the start timer starts it: `order` for manual seeding, the players'
        /// `ratings` and the `randomSeed` filled by the runtime.
        case start(order: [String]?, ratings: [String: Int], randomSeed: UInt64, staff: Bool)
        /// Match reaction: a match of the tournament completed (`winnerID`) or was cancelled (nil).
        case matchEnded(matchID: String, winnerID: String?, scoreA: Int, scoreB: Int)
        /// Match reaction: a rack of a live match ended.
        case score(matchID: String, scoreA: Int, scoreB: Int)
        /// Venue reaction (and the start): which of the venue's tables other matches hold or
        /// maintenance keeps.
        case tablesChanged(unavailable: [String])
        /// The director reports a slot's result, or overrides one while nothing that follows from
        /// it has started.
        case report(slot: Int, winnerID: String, scoreA: Int, scoreB: Int, staff: Bool)
        /// The director gives a slot to `winnerID` without a match.
        case walkover(slot: Int, winnerID: String, staff: Bool)
        /// The director disqualifies a player: every match of theirs still to decide is a walkover.
        case disqualify(userID: String, staff: Bool)
        case cancel(reason: String?, staff: Bool)
    }

    public enum Event: Sendable, Codable, Equatable {
        case created(Terms, directorID: String, at: Timestamp)
        case registered(userID: String, attempt: Int, paid: Bool, at: Timestamp)
        case unregistered(userID: String, refund: Refund?, at: Timestamp)
        case checkedIn(userID: String, at: Timestamp)
        case entryPaid(userID: String, at: Timestamp)
        /// The fee could not be paid: the registration is gone.
        case entryFailed(userID: String, at: Timestamp)
        /// A fee paid for a registration that is gone (left, removed at the start, cancelled): back.
        case entryReturned(Refund, at: Timestamp)
        case started(seeds: [String], removed: [String], seeding: Seeding, randomSeed: UInt64?, at: Timestamp)
        case matchAssigned(Assignment, at: Timestamp)
        case scoreChanged(slot: Int, scoreA: Int, scoreB: Int, at: Timestamp)
        case tablesChanged(unavailable: [String], at: Timestamp)
        /// `by`: the director who reported it (nil: the match's own result); `override`: it replaced
        /// an earlier result.
        case resultRecorded(
            slot: Int,
            winner: Match.Side,
            winnerID: String,
            scoreA: Int,
            scoreB: Int,
            walkover: Bool,
            by: String?,
            override: Bool,
            at: Timestamp
        )
        /// The slot's match was cancelled: the slot is queued for a new one.
        case matchReplaced(slot: Int, matchID: String, at: Timestamp)
        case disqualified(userID: String, at: Timestamp)
        case completed(placings: [[String]], prizes: [Prize], at: Timestamp)
        /// `refunds`: the paid entries; `liveMatches`: the matches to cancel.
        case cancelled(reason: String?, refunds: [Refund], liveMatches: [String], at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .created: "tournament.created"
        case .registered: "tournament.registered"
        case .unregistered: "tournament.unregistered"
        case .checkedIn: "tournament.checked_in"
        case .entryPaid: "tournament.entry_paid"
        case .entryFailed: "tournament.entry_failed"
        case .entryReturned: "tournament.entry_returned"
        case .started: "tournament.started"
        case .matchAssigned: "tournament.match_assigned"
        case .scoreChanged: "tournament.score_changed"
        case .tablesChanged: "tournament.tables_changed"
        case .resultRecorded: "tournament.result_recorded"
        case .matchReplaced: "tournament.match_replaced"
        case .disqualified: "tournament.disqualified"
        case .completed: "tournament.completed"
        case .cancelled: "tournament.cancelled"
        }
    }

    /// The match id of a slot's `attempt`-th match.
    public static func matchID(tournament: String, slot: Int, attempt: Int) -> String {
        attempt == 1 ? "\(tournament)-m\(slot)" : "\(tournament)-m\(slot)-\(attempt)"
    }

    /// The account holding the entry fees until the prizes are paid.
    public static func poolAccount(_ tournamentID: String) -> String { "pool-\(tournamentID)" }
}
