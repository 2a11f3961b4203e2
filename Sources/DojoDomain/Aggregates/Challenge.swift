/// A challenge between two players, with an optional stake in DOJO coins (seed §5 `Challenge`;
/// one actor per challenge, `challenge:{id}`).
///
/// The challenger names the defender (and optionally a venue and table, the game, the race and a
/// stake). The defender accepts or declines; the challenger may withdraw while it is PENDING; at
/// `expiresAt` it expires. Accepting escrows **both** stakes before the challenge counts as
/// accepted: the accept is recorded as ACCEPTING with an attempt number, the ledger reaction moves
/// each stake from the player's account to the challenge's escrow account (``escrowAccount(_:)``)
/// and reports the outcome (``Command/escrowResult(attempt:failure:)``): ACCEPTED with its match,
/// or back to PENDING with the stakes already moved refunded. The match's end settles it: the
/// winner is paid the pot minus the house fee (SETTLED), or both stakes go back (REFUNDED).
///
/// The statuses beyond the seed's four (PENDING, ACCEPTED, DECLINED, EXPIRED) are an extension of
/// ``ChallengeStatus``: ACCEPTING, WITHDRAWN, SETTLED and REFUNDED (docs/challenges.md).
public enum Challenge: Aggregate {
    public static let kind = EntityKind.challenge
    public static let stateFormatVersion = 1

    /// The longest challenge id: its escrow account's id (`escrow-{id}`) is an entity id too.
    public static let maximumIDLength = EntityKey.maximumIDLength - 7
    /// The largest fee, in basis points of the pot (10,000 = all of it).
    public static let maximumFeeBasisPoints = 10_000

    /// The escrow account of a challenge: holds both stakes from acceptance to settlement.
    public static func escrowAccount(_ challengeID: String) -> String { "escrow-\(challengeID)" }

    /// Who in the challenge.
    public enum Role: String, Sendable, Codable, CaseIterable, JSONWritable {
        case challenger, defender
    }

    /// What was agreed when the challenge was made.
    public struct Terms: Sendable, Codable, Equatable {
        public var challengerID: String
        public var defenderID: String
        public var venueID: String?
        public var tableID: String?
        public var gameType: Match.GameType
        public var raceTo: Int
        /// Coins each player puts in (0: a friendly challenge).
        public var stake: Int64
        /// The house's share of the pot at settlement, in basis points (fixed when the challenge is
        /// made, so both players know it).
        public var feeBasisPoints: Int
        public var expiresAt: Timestamp

        public init(
            challengerID: String,
            defenderID: String,
            venueID: String? = nil,
            tableID: String? = nil,
            gameType: Match.GameType = .eightBall,
            raceTo: Int = 3,
            stake: Int64 = 0,
            feeBasisPoints: Int = 0,
            expiresAt: Timestamp
        ) {
            self.challengerID = challengerID
            self.defenderID = defenderID
            self.venueID = venueID
            self.tableID = tableID
            self.gameType = gameType
            self.raceTo = raceTo
            self.stake = stake
            self.feeBasisPoints = feeBasisPoints
            self.expiresAt = expiresAt
        }

        /// Both stakes.
        public var pot: Int64 { stake * 2 }
        /// The house's fee out of the pot (rounded down).
        public var fee: Int64 { pot * Int64(feeBasisPoints) / 10_000 }

        public func player(_ role: Role) -> String { role == .challenger ? challengerID : defenderID }
    }

    /// Why an accept could not escrow the stakes, and whose stakes were moved already (refunded).
    public struct EscrowFailure: Sendable, Codable, Equatable {
        public var code: String
        public var message: String
        public var debited: [Role]

        public init(code: String, message: String, debited: [Role]) {
            self.code = code
            self.message = message
            self.debited = debited
        }
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var terms: Terms?
        public var status = ChallengeStatus.pending
        /// Accepts tried so far (each escrows under its own transfer ids).
        public var attempt = 0
        /// The match: the one being escrowed for while ACCEPTING, the one played once ACCEPTED.
        public var matchID: String?
        public var winnerID: String?
        /// The last accept that failed to escrow, for the accepting player's answer.
        public var lastFailure: EscrowFailure?
        public var createdAt: Timestamp?
        public var updatedAt: Timestamp?

        public init(id: String) { self.id = id }

        /// Not finished: it still holds a place among the challenger's open challenges.
        public var isOpen: Bool { exists && [.pending, .accepting, .accepted].contains(status) }

        public var view: View {
            View(
                id: id,
                exists: exists,
                status: status,
                challengerId: terms?.challengerID ?? "",
                defenderId: terms?.defenderID ?? "",
                venueId: terms?.venueID,
                tableId: terms?.tableID,
                gameType: terms?.gameType ?? .eightBall,
                raceTo: terms?.raceTo ?? 0,
                stakeCoins: terms?.stake ?? 0,
                feeBasisPoints: terms?.feeBasisPoints ?? 0,
                expiresAt: terms?.expiresAt,
                matchId: status == .accepting ? nil : matchID,
                winnerId: winnerID,
                createdAt: createdAt,
                updatedAt: updatedAt
            )
        }

        /// What clients see: the seed's field names.
        public struct View: Sendable, Encodable, Equatable {
            public var id: String
            public var exists: Bool
            public var status: ChallengeStatus
            public var challengerId: String
            public var defenderId: String
            public var venueId: String?
            public var tableId: String?
            public var gameType: Match.GameType
            public var raceTo: Int
            public var stakeCoins: Int64
            public var feeBasisPoints: Int
            public var expiresAt: Timestamp?
            public var matchId: String?
            public var winnerId: String?
            public var createdAt: Timestamp?
            public var updatedAt: Timestamp?
        }
    }

    public enum Command: Sendable, Equatable, Codable {
        /// The sender (the challenger) challenges; the runtime fills the fee and checks the
        /// references (users, venue, balance, open challenges).
        case create(Terms)
        /// The defender accepts; `matchID` is the match to create once both stakes are escrowed.
        case accept(matchID: String)
        /// The defender declines.
        case decline
        /// The challenger withdraws while it is PENDING.
        case withdraw
        /// Timer (due at `expiresAt`): a PENDING challenge expires; otherwise nothing happens.
        case expire
        /// Ledger reaction: the stakes of accept `attempt` are escrowed (`failure` nil) or not.
        case escrowResult(attempt: Int, failure: EscrowFailure?)
        /// Match reaction: the challenge's match completed (`winnerID`) or was cancelled (nil).
        case matchEnded(matchID: String, winnerID: String?)
    }

    public enum Event: Sendable, Codable, Equatable {
        case created(Terms, at: Timestamp)
        case acceptRequested(attempt: Int, matchID: String, at: Timestamp)
        case acceptFailed(attempt: Int, failure: EscrowFailure, at: Timestamp)
        case accepted(matchID: String, at: Timestamp)
        case declined(at: Timestamp)
        case withdrawn(at: Timestamp)
        case expired(at: Timestamp)
        /// The winner was paid the pot minus the fee.
        case settled(matchID: String, winnerID: String, prize: Int64, fee: Int64, at: Timestamp)
        /// The match was cancelled: both stakes went back.
        case refunded(matchID: String, at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .created: "challenge.created"
        case .acceptRequested: "challenge.accept_requested"
        case .acceptFailed: "challenge.accept_failed"
        case .accepted: "challenge.accepted"
        case .declined: "challenge.declined"
        case .withdrawn: "challenge.withdrawn"
        case .expired: "challenge.expired"
        case .settled: "challenge.settled"
        case .refunded: "challenge.refunded"
        }
    }

    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        let principal = context.principal
        if case .create(let terms) = command {
            guard !state.exists else { throw DomainError(.conflict, "challenge.already_exists", "challenge \(state.id) already exists") }
            try validate(terms, id: state.id, now: now)
            guard principal.userID == terms.challengerID || principal.isSystem else {
                throw DomainError(.forbidden, "forbidden", "a player challenges for themselves")
            }
            return [.created(terms, at: now)]
        }
        guard state.exists, let terms = state.terms else {
            throw DomainError(.notFound, "challenge.not_found", "challenge \(state.id) does not exist")
        }
        let expired = now >= terms.expiresAt

        switch command {
        case .create:
            preconditionFailure("handled above")

        case .accept(let matchID):
            guard principal.userID == terms.defenderID else {
                throw DomainError(.forbidden, "forbidden", "only \(terms.defenderID), the challenged player, accepts this challenge")
            }
            guard state.status == .pending else { throw notPending(state) }
            guard !expired else { throw DomainError(.conflict, "challenge.expired", "challenge \(state.id) expired at \(terms.expiresAt)") }
            guard EntityKey.isValidID(matchID) else { throw DomainError(.invalid, "challenge.invalid_id", "matchId is not an id") }
            // A friendly challenge has nothing to escrow.
            if terms.stake == 0 { return [.accepted(matchID: matchID, at: now)] }
            return [.acceptRequested(attempt: state.attempt + 1, matchID: matchID, at: now)]

        case .decline:
            guard principal.userID == terms.defenderID || principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "only \(terms.defenderID), the challenged player, declines this challenge")
            }
            guard state.status == .pending else { throw notPending(state) }
            return [.declined(at: now)]

        case .withdraw:
            guard principal.userID == terms.challengerID || principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "only \(terms.challengerID), the challenger, withdraws this challenge")
            }
            guard state.status == .pending else { throw notPending(state) }
            return [.withdrawn(at: now)]

        case .expire:
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "challenges expire by themselves") }
            // The timer is the clock (it is due at `expiresAt`; a node whose clock is behind must
            // not turn it into a no-op). ACCEPTING: the escrow's outcome decides (a failed accept
            // after the expiry expires it).
            guard state.status == .pending else { return [] }
            return [.expired(at: now)]

        case .escrowResult(let attempt, let failure):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the ledger reports an escrow") }
            // A repeated report, or one for an attempt already decided: nothing to do.
            guard state.status == .accepting, attempt == state.attempt, let matchID = state.matchID else { return [] }
            guard let failure else { return [.accepted(matchID: matchID, at: now)] }
            var events: [Event] = [.acceptFailed(attempt: attempt, failure: failure, at: now)]
            if expired { events.append(.expired(at: now)) }
            return events

        case .matchEnded(let matchID, let winnerID):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the match settles a challenge") }
            guard state.status == .accepted, state.matchID == matchID else { return [] }
            guard let winnerID else { return [.refunded(matchID: matchID, at: now)] }
            guard winnerID == terms.challengerID || winnerID == terms.defenderID else {
                throw DomainError(.invalid, "challenge.wrong_winner", "\(winnerID) is not a player of challenge \(state.id)")
            }
            return [.settled(matchID: matchID, winnerID: winnerID, prize: terms.pot - terms.fee, fee: terms.fee, at: now)]
        }
    }

    private static func notPending(_ state: State) -> DomainError {
        DomainError(.conflict, "challenge.not_pending", "challenge \(state.id) is \(state.status.rawValue), not PENDING")
    }

    private static func validate(_ terms: Terms, id: String, now: Timestamp) throws(DomainError) {
        guard id.utf8.count <= maximumIDLength else {
            throw DomainError(.invalid, "challenge.invalid_id", "a challenge id is at most \(maximumIDLength) characters")
        }
        let ids =
            [("challengerId", terms.challengerID), ("defenderId", terms.defenderID)]
            + [("venueId", terms.venueID), ("tableId", terms.tableID)].compactMap { field, id in id.map { (field, $0) } }
        for (field, id) in ids where !EntityKey.isValidID(id) {
            throw DomainError(.invalid, "challenge.invalid_id", "\(field) must be 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
        }
        guard terms.challengerID != terms.defenderID else {
            throw DomainError(.invalid, "challenge.self", "a player cannot challenge themself")
        }
        guard terms.tableID == nil || terms.venueID != nil else {
            throw DomainError(.invalid, "challenge.table_without_venue", "a table is given only with its venue")
        }
        guard (1...Match.maximumRace).contains(terms.raceTo) else {
            throw DomainError(.invalid, "match.invalid_race", "the race must be 1–\(Match.maximumRace) racks")
        }
        // Half the largest transfer: the pot (both stakes) is paid out in one transfer.
        guard terms.stake >= 0, terms.stake <= Account.maximumAmount / 2 else {
            throw DomainError(.invalid, "challenge.invalid_stake", "stakeCoins is a whole number of coins, 0–\(Account.maximumAmount / 2)")
        }
        guard (0...maximumFeeBasisPoints).contains(terms.feeBasisPoints) else {
            throw DomainError(.invalid, "challenge.invalid_fee", "the fee is 0–\(maximumFeeBasisPoints) basis points")
        }
        guard terms.expiresAt > now else {
            throw DomainError(.invalid, "challenge.invalid_expiry", "expiresAt must be in the future")
        }
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .created(let terms, let at):
            state.exists = true
            state.terms = terms
            state.status = .pending
            state.createdAt = at
            state.updatedAt = at
        case .acceptRequested(let attempt, let matchID, let at):
            state.status = .accepting
            state.attempt = attempt
            state.matchID = matchID
            state.updatedAt = at
        case .acceptFailed(_, let failure, let at):
            state.status = .pending
            state.matchID = nil
            state.lastFailure = failure
            state.updatedAt = at
        case .accepted(let matchID, let at):
            state.status = .accepted
            state.matchID = matchID
            state.updatedAt = at
        case .declined(let at):
            state.status = .declined
            state.updatedAt = at
        case .withdrawn(let at):
            state.status = .withdrawn
            state.updatedAt = at
        case .expired(let at):
            state.status = .expired
            state.updatedAt = at
        case .settled(_, let winnerID, _, _, let at):
            state.status = .settled
            state.winnerID = winnerID
            state.updatedAt = at
        case .refunded(_, let at):
            state.status = .refunded
            state.updatedAt = at
        }
    }
}
