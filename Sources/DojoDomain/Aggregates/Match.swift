/// A match between two players: SCHEDULED → LIVE → COMPLETED or CANCELLED, played as a race to N
/// racks. Racks are played shot by shot with the ``Referee`` (Match+Referee.swift: shots from the
/// scorer or the table's camera, the players' decisions, corrections, commentary), or entered
/// whole by the scorer (`recordRack`).
public enum Match: Aggregate {
    public static let kind = EntityKind.match
    public static let stateFormatVersion = 2

    /// Player A or B.
    public enum Side: String, Sendable, Codable, CaseIterable {
        case a = "A", b = "B"
        public var other: Side { self == .a ? .b : .a }
    }

    /// The game played in every rack.
    public enum GameType: String, Sendable, Codable, CaseIterable {
        case eightBall = "8-ball", nineBall = "9-ball", tenBall = "10-ball"
    }

    /// Who breaks the next rack.
    public enum BreakRule: String, Sendable, Codable, CaseIterable {
        /// The players take turns (the default).
        case alternate
        /// The winner of the last rack breaks.
        case winner
    }

    /// The longest race accepted (first to 99 racks is already far beyond any real format).
    public static let maximumRace = 99
    /// The longest commentary or cancellation reason, in characters.
    public static let maximumTextLength = 280

    /// The terms a match is created with.
    public struct Terms: Sendable, Codable, Equatable {
        public var playerA: String
        public var playerB: String
        public var gameType: GameType
        public var raceTo: Int
        public var venueID: String?
        public var tableID: String?
        public var tournamentID: String?
        /// Who may enter results; the creator when not given.
        public var scorer: String?
        /// Who breaks after the first rack; alternate when not given.
        public var breakRule: BreakRule?
        /// The territory this match is played for (set by the runtime when a territory challenge is
        /// accepted, never by a client): its result claims or defends the territory.
        public var territoryID: String?
        /// The challenge this match settles (set by the runtime when a challenge is accepted,
        /// never by a client): its result pays the stakes.
        public var challengeID: String?
        /// Who reports the shots: `manual` when not given (the scorer and camera nodes).
        public var mode: Mode?

        public init(
            playerA: String,
            playerB: String,
            gameType: GameType,
            raceTo: Int,
            venueID: String? = nil,
            tableID: String? = nil,
            tournamentID: String? = nil,
            scorer: String? = nil,
            breakRule: BreakRule? = nil,
            territoryID: String? = nil,
            challengeID: String? = nil,
            mode: Mode? = nil
        ) {
            self.mode = mode
            self.challengeID = challengeID
            self.breakRule = breakRule
            self.territoryID = territoryID
            self.playerA = playerA
            self.playerB = playerB
            self.gameType = gameType
            self.raceTo = raceTo
            self.venueID = venueID
            self.tableID = tableID
            self.tournamentID = tournamentID
            self.scorer = scorer
        }
    }

    /// The rack being played.
    public struct Rack: Sendable, Codable, Equatable {
        public var number: Int
        public var breaker: Side
        public var shots: Int
        /// The breaker lost the table at least once (no break-and-run any more).
        public var turnPassed = false
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        /// False until the match is created; every other command needs it.
        public var exists = false
        public var status = MatchStatus.scheduled
        public var playerA = ""
        public var playerB = ""
        public var scorer = ""
        public var createdBy: String?
        public var gameType = GameType.eightBall
        public var raceTo = 0
        public var venueID: String?
        public var tableID: String?
        public var tournamentID: String?
        /// The territory the match is played for, if any.
        public var territoryID: String?
        /// The challenge the match settles, if any.
        public var challengeID: String?
        public var scoreA = 0
        public var scoreB = 0
        public var racksPlayed = 0
        public var rack: Rack?
        /// Who breaks the next rack.
        public var nextBreaker = Side.a
        public var breakRule = BreakRule.alternate
        /// The referee's view of the rack in progress (or of the last rack, with its result).
        public var referee: Referee.Rack?
        /// What the last judged shot changed, for a correction.
        public var undo: Undo?
        /// The ids of the last shots judged: a camera's replay of one appends nothing.
        public var recentShotIDs: [String] = []
        /// `auto`: shots are also read from the table's frames (nil: manual).
        public var mode: Mode?
        /// What was declared for the next shot read from frames.
        public var declared: Declaration?
        /// The shot read from frames that waits for the scorer.
        public var review: Review?
        /// The most racks each side has trailed by (for the comeback commentary).
        public var maxDeficitA = 0
        public var maxDeficitB = 0
        public var winner: Side?
        public var cancelReason: String?
        public var createdAt: Timestamp?
        public var startedAt: Timestamp?
        public var endedAt: Timestamp?

        public init(id: String) { self.id = id }

        /// The user id playing a side.
        public func player(_ side: Side) -> String { side == .a ? playerA : playerB }
        /// The score of a side.
        public func score(_ side: Side) -> Int { side == .a ? scoreA : scoreB }
        /// True once the match can change no more.
        public var isFinished: Bool { status == .completed || status == .cancelled }
    }

    public enum Command: Sendable, Equatable, Codable {
        case create(Terms)
        case start
        case startRack(breaker: Side?)
        /// One shot for the referee; a rack is started first when none is in progress.
        case shot(Referee.Shot, source: ShotSource)
        /// A player's decision (`side` nil: the sender's own side, or the side awaited for the scorer).
        case decision(Referee.Option, side: Side?)
        /// Reverses the last judged shot (`venueAdmin`: the transport checked the sender administers the match's venue).
        case correct(reason: String?, venueAdmin: Bool)
        /// Ends the rack in progress with a winner, or records a whole rack when none is in progress.
        case recordRack(winner: Side, breaker: Side?)
        case commentary(String)
        /// Ends a live match early with a winner (forfeit, retirement). `venueAdmin`: the transport
        /// checked that the sender administers the match's venue (its staff may always end it).
        case end(winner: Side, reason: String?, venueAdmin: Bool = false)
        /// Cancels the match (`venueAdmin` as for `end`: staff free their table this way).
        case cancel(reason: String?, venueAdmin: Bool = false)
        /// Moves the match to another table of its venue (the venue's staff; `venueAdmin` as for
        /// `end`; the transport checked the table exists and is free).
        case moveTable(tableID: String, venueAdmin: Bool = false)
        /// Takes shots from the table's frames (`auto`) or not (the scorer).
        case setMode(Mode)
        /// A call, a safety or a push-out for the next shot read from frames (a player or the scorer).
        case declare(Declaration)
        /// A shot read from the table's frames by the detector; `judgeable`: sure enough to judge
        /// without review (`onBreak`: also of what a break reads, the object balls to a rail).
        case visionShot(Referee.Shot, detection: Detection, judgeable: Judgeable, tableID: String)
        /// The scorer confirms the shot under review (nil) or gives its members.
        case resolveReview(Referee.Shot?)
    }

    public enum Event: Sendable, Codable, Equatable {
        case created(terms: Terms, scorer: String, createdBy: String?, at: Timestamp)
        case started(at: Timestamp)
        case rackStarted(rack: Int, breaker: Side, at: Timestamp)
        /// A shot entered without the referee (logs written before the referee).
        case shot(rack: Int, shooter: Side, pocketed: [Int], at: Timestamp)
        /// A shot the referee judged, with the rack after it.
        case shotRuled(
            rack: Int,
            shooter: Side,
            shot: Referee.Shot,
            ruling: Referee.Ruling,
            after: Referee.Rack,
            source: String,
            detection: Detection? = nil,
            at: Timestamp
        )
        /// A player's decision, with the rack after it.
        case decided(rack: Int, side: Side, ruling: Referee.Ruling, after: Referee.Rack, at: Timestamp)
        /// The last judged shot reversed: the state before it, restored.
        case corrected(rack: Int, shotID: String?, reason: String?, by: String?, restored: Undo, at: Timestamp)
        case rackEnded(rack: Int, winner: Side, scoreA: Int, scoreB: Int, at: Timestamp)
        case commentary(text: String, at: Timestamp)
        case completed(winner: Side, scoreA: Int, scoreB: Int, reason: String?, at: Timestamp)
        case cancelled(reason: String?, at: Timestamp)
        case tableMoved(from: String?, to: String, at: Timestamp)
        case modeSet(mode: Mode, at: Timestamp)
        case declared(declaration: Declaration, by: String?, at: Timestamp)
        /// A shot read from frames waits for the scorer ("under review").
        case reviewOpened(review: Review, at: Timestamp)
        /// A player's proposal for the shot under review.
        case reviewProposed(side: Side, proposal: Proposal, by: String?, at: Timestamp)
        /// The shot under review is judged; `by` nil: the players together.
        case reviewResolved(shotID: String?, edited: Bool, by: String?, at: Timestamp)

        /// The seed's event class (MatchEvent.type).
        public var seedType: MatchEventType {
            switch self {
            case .created, .started, .completed, .cancelled, .tableMoved: .system
            case .rackStarted: .rackStart
            case .rackEnded: .rackEnd
            case .shot: .shot
            case .shotRuled(_, _, _, let ruling, _, _, _, _): ruling.foul == nil ? .shot : .foul
            case .decided, .corrected, .modeSet, .declared, .reviewOpened, .reviewProposed, .reviewResolved: .system
            case .commentary: .commentary
            }
        }

        public var at: Timestamp {
            switch self {
            case .created(_, _, _, let at), .started(let at), .rackStarted(_, _, let at), .shot(_, _, _, let at),
                .shotRuled(_, _, _, _, _, _, _, let at), .decided(_, _, _, _, let at), .corrected(_, _, _, _, _, let at),
                .rackEnded(_, _, _, _, let at), .commentary(_, let at), .completed(_, _, _, _, let at), .cancelled(_, let at),
                .tableMoved(_, _, let at), .modeSet(_, let at), .declared(_, _, let at), .reviewOpened(_, let at),
                .reviewProposed(_, _, _, let at), .reviewResolved(_, _, _, let at):
                at
            }
        }
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .created: "match.created"
        case .started: "match.started"
        case .rackStarted: "match.rack_started"
        case .shot: "match.shot"
        case .shotRuled(_, _, _, let ruling, _, _, _, _): ruling.foul == nil ? "match.shot" : "match.foul"
        case .decided: "match.decision"
        case .corrected: "match.shot_corrected"
        case .rackEnded: "match.rack_ended"
        case .commentary: "match.commentary"
        case .completed: "match.completed"
        case .cancelled: "match.cancelled"
        case .tableMoved: "match.table_moved"
        case .modeSet: "match.mode_set"
        case .declared: "match.declared"
        case .reviewOpened: "match.review_opened"
        case .reviewProposed: "match.review_proposed"
        case .reviewResolved: "match.review_resolved"
        }
    }

    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        if case .create(let terms) = command {
            return try decideCreate(state, terms, context)
        }
        guard state.exists else { throw DomainError(.notFound, "match.not_found", "match \(state.id) does not exist") }

        switch command {
        case .create:
            preconditionFailure("handled above")

        case .start:
            try requireScorer(state, context)
            guard state.status == .scheduled else { throw notInStatus(state, "start", expected: .scheduled) }
            return [.started(at: now)]

        case .startRack(let breaker):
            try requireScorer(state, context)
            try requireLive(state, "start a rack")
            guard state.rack == nil else {
                throw DomainError(.conflict, "match.rack_in_progress", "rack \(state.racksPlayed + 1) is still being played")
            }
            return [.rackStarted(rack: state.racksPlayed + 1, breaker: breaker ?? state.nextBreaker, at: now)]

        case .shot(let shot, let source):
            return try decideShot(state, shot, source, context)

        case .decision(let option, let side):
            return try decideDecision(state, option, side, context)

        case .correct(let reason, let venueAdmin):
            return try decideCorrection(state, reason, venueAdmin: venueAdmin, context)

        case .recordRack(let winner, let breaker):
            try requireScorer(state, context)
            try requireLive(state, "record a rack")
            var events: [Event] = []
            let number: Int
            if let rack = state.rack {
                number = rack.number
            } else {
                number = state.racksPlayed + 1
                events.append(.rackStarted(rack: number, breaker: breaker ?? state.nextBreaker, at: now))
            }
            events += rackEnd(state, number: number, winner: winner, at: now)
            return events

        case .commentary(let text):
            try requireScorer(state, context)
            guard !state.isFinished else { throw notInStatus(state, "comment on", expected: .live) }
            return [.commentary(text: try validText(text, field: "commentary"), at: now)]

        case .end(let winner, let reason, let venueAdmin):
            if !venueAdmin { try requireScorer(state, context) }
            try requireLive(state, "end")
            let reason = try reason.map { text throws(DomainError) in try validText(text, field: "reason") }
            return [.completed(winner: winner, scoreA: state.scoreA, scoreB: state.scoreB, reason: reason, at: now)]

        case .moveTable(let tableID, let venueAdmin):
            guard venueAdmin || context.principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "only the staff of the match's venue or an admin may move it to another table")
            }
            guard state.venueID != nil else { throw DomainError(.conflict, "match.no_venue", "the match is not played at a venue") }
            guard !state.isFinished else { throw notInStatus(state, "move", expected: .live) }
            guard EntityKey.isValidID(tableID) else {
                throw DomainError(.invalid, "match.invalid_id", "tableId must be 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
            }
            guard tableID != state.tableID else { return [] }
            return [.tableMoved(from: state.tableID, to: tableID, at: now)]

        case .setMode(let mode):
            return try decideMode(state, mode, context)

        case .declare(let declaration):
            return try decideDeclaration(state, declaration, context)

        case .visionShot(let shot, let detection, let judgeable, let tableID):
            return try decideVisionShot(state, shot, detection, judgeable: judgeable, tableID: tableID, context)

        case .resolveReview(let edited):
            return try decideReview(state, edited, context)

        case .cancel(let reason, let venueAdmin):
            let principal = context.principal
            let isPlayer = principal.userID == state.playerA || principal.userID == state.playerB
            guard principal.isAdmin || venueAdmin || principal.userID == state.scorer || (isPlayer && state.status == .scheduled) else {
                throw DomainError(
                    .forbidden,
                    "forbidden",
                    "only the scorer, the venue's staff or an admin may cancel a match once it is live; a player may cancel it while it is scheduled"
                )
            }
            guard !state.isFinished else { throw notInStatus(state, "cancel", expected: .live) }
            let reason = try reason.map { text throws(DomainError) in try validText(text, field: "reason") }
            return [.cancelled(reason: reason, at: now)]
        }
    }

    private static func decideCreate(_ state: State, _ terms: Terms, _ context: CommandContext) throws(DomainError) -> [Event] {
        guard !state.exists else { throw DomainError(.conflict, "match.already_exists", "match \(state.id) already exists") }
        guard terms.raceTo >= 1, terms.raceTo <= maximumRace else {
            throw DomainError(.invalid, "match.invalid_race", "the race must be 1–\(maximumRace) racks")
        }
        let optionalIDs = [
            ("scorer", terms.scorer), ("venueId", terms.venueID), ("tableId", terms.tableID), ("tournamentId", terms.tournamentID),
            ("territoryId", terms.territoryID), ("challengeId", terms.challengeID),
        ]
        for (field, id) in [("playerA", terms.playerA), ("playerB", terms.playerB)] + optionalIDs.compactMap({ field, id in id.map { (field, $0) } })
        {
            guard EntityKey.isValidID(id) else {
                throw DomainError(.invalid, "match.invalid_id", "\(field) must be 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
            }
        }
        guard terms.playerA != terms.playerB else {
            throw DomainError(.invalid, "match.same_players", "a player cannot play themself")
        }
        guard (terms.tableID == nil) || (terms.venueID != nil) else {
            throw DomainError(.invalid, "match.table_without_venue", "a table is given only with its venue")
        }
        guard (terms.territoryID == nil) || (terms.venueID != nil) else {
            throw DomainError(.invalid, "match.territory_without_venue", "a territory match is played at the territory's venue")
        }
        let principal = context.principal
        let isPlayer = principal.userID == terms.playerA || principal.userID == terms.playerB
        guard isPlayer || principal.isAdmin || principal.role == .venueAdmin else {
            throw DomainError(.forbidden, "forbidden", "a match is created by one of its players, a venue admin or an admin")
        }
        guard let scorer = terms.scorer ?? principal.userID else {
            throw DomainError(.invalid, "match.no_scorer", "a match created by the system names its scorer")
        }
        return [.created(terms: terms, scorer: scorer, createdBy: principal.userID, at: context.now)]
    }

    /// RACK_END with the new score, and the match's end when the race is won.
    static func rackEnd(_ state: State, number: Int, winner: Side, at now: Timestamp) -> [Event] {
        let scoreA = state.scoreA + (winner == .a ? 1 : 0)
        let scoreB = state.scoreB + (winner == .b ? 1 : 0)
        var events: [Event] = [.rackEnded(rack: number, winner: winner, scoreA: scoreA, scoreB: scoreB, at: now)]
        if max(scoreA, scoreB) >= state.raceTo {
            events.append(.completed(winner: winner, scoreA: scoreA, scoreB: scoreB, reason: nil, at: now))
        }
        return events
    }

    static func requireScorer(_ state: State, _ context: CommandContext) throws(DomainError) {
        let principal = context.principal
        guard principal.isAdmin || principal.userID == state.scorer else {
            throw DomainError(.forbidden, "match.not_scorer", "only the match's scorer or an admin may do this")
        }
    }

    static func requireLive(_ state: State, _ action: String) throws(DomainError) {
        guard state.status == .live else { throw notInStatus(state, action, expected: .live) }
    }

    private static func notInStatus(_ state: State, _ action: String, expected: MatchStatus) -> DomainError {
        let code = state.isFinished ? "match.finished" : (state.status == .scheduled ? "match.not_live" : "match.already_started")
        return DomainError(.conflict, code, "cannot \(action) a \(state.status.rawValue) match")
    }

    static func validText(_ text: String, field: String) throws(DomainError) -> String {
        guard !text.isEmpty, text.count <= maximumTextLength else {
            throw DomainError(.invalid, "match.invalid_text", "\(field) must be 1–\(maximumTextLength) characters")
        }
        return text
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .created(let terms, let scorer, let createdBy, let at):
            state.exists = true
            state.status = .scheduled
            state.playerA = terms.playerA
            state.playerB = terms.playerB
            state.gameType = terms.gameType
            state.raceTo = terms.raceTo
            state.venueID = terms.venueID
            state.tableID = terms.tableID
            state.tournamentID = terms.tournamentID
            state.territoryID = terms.territoryID
            state.challengeID = terms.challengeID
            state.scorer = scorer
            state.createdBy = createdBy
            state.breakRule = terms.breakRule ?? .alternate
            state.mode = terms.mode == .auto ? .auto : nil
            state.createdAt = at
        case .started(let at):
            state.status = .live
            state.startedAt = at
        case .rackStarted(let number, let breaker, _):
            state.rack = Rack(number: number, breaker: breaker, shots: 0)
            state.referee = Referee.Rack(game: Referee.Game(state.gameType), breaker: breaker)
            state.undo = nil
        case .shot:
            state.rack?.shots += 1
        case .shotRuled, .decided, .corrected:
            applyReferee(&state, event)
        case .rackEnded(_, let winner, let scoreA, let scoreB, _):
            state.declared = nil
            if let rack = state.rack { state.nextBreaker = state.breakRule == .winner ? winner : rack.breaker.other }
            state.rack = nil
            state.racksPlayed += 1
            state.scoreA = scoreA
            state.scoreB = scoreB
            state.maxDeficitA = max(state.maxDeficitA, scoreB - scoreA)
            state.maxDeficitB = max(state.maxDeficitB, scoreA - scoreB)
        case .commentary:
            break
        case .completed(let winner, _, _, _, let at):
            state.review = nil
            state.declared = nil
            state.status = .completed
            state.winner = winner
            state.rack = nil
            state.undo = nil
            state.endedAt = at
        case .tableMoved(_, let to, _):
            state.tableID = to
        case .modeSet(let mode, _):
            state.mode = mode == .auto ? .auto : nil
        case .declared(let declaration, _, _):
            state.declared = declaration
        case .reviewOpened(let review, _):
            state.review = review
        case .reviewProposed(let side, let proposal, _, _):
            var proposals = state.review?.proposals ?? [:]
            proposals[side.rawValue] = proposal
            state.review?.proposals = proposals
        case .reviewResolved:
            state.review = nil
        case .cancelled(let reason, let at):
            state.review = nil
            state.declared = nil
            state.status = .cancelled
            state.cancelReason = reason
            state.rack = nil
            state.undo = nil
            state.endedAt = at
        }
    }
}
