/// Automatic refereeing: a match in `auto` mode takes the shots the table's camera frames show
/// (``ShotDetector``) as the camera's own. What frames cannot know — the called ball and pocket,
/// a safety, a push-out — is declared before the shot. A shot the detector is unsure of, or one
/// the referee cannot judge as read, waits for the scorer in a review.
extension Match {
    /// Who reports the shots: the scorer and camera nodes (`manual`), or the table's frames too (`auto`).
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case manual, auto
    }

    /// What the players or the scorer declare before a shot read from frames.
    public struct Declaration: Sendable, Codable, Equatable {
        public var called: Referee.PocketedBall?
        public var safety: Bool
        public var pushOut: Bool

        public init(called: Referee.PocketedBall? = nil, safety: Bool = false, pushOut: Bool = false) {
            self.called = called
            self.safety = safety
            self.pushOut = pushOut
        }
    }

    /// How the frames showed a shot: the camera, the frames' time range (the camera's clock, in
    /// milliseconds), the detector's confidence in the whole shot and its doubts.
    public struct Detection: Sendable, Codable, Equatable {
        public var deviceID: String
        public var from: Int64
        public var to: Int64
        public var confidence: Double
        public var doubts: [String]

        public init(deviceID: String, from: Int64, to: Int64, confidence: Double, doubts: [String] = []) {
            self.deviceID = deviceID
            self.from = from
            self.to = to
            self.confidence = confidence
            self.doubts = doubts
        }
    }

    /// Whether the detector is sure enough of a shot to judge it without review: on a shot in
    /// play, and on a break (which also reads the object balls driven to a rail).
    public struct Judgeable: Sendable, Equatable, Codable {
        public var inPlay: Bool
        public var onBreak: Bool

        public init(inPlay: Bool, onBreak: Bool) {
            self.inPlay = inPlay
            self.onBreak = onBreak
        }

        public static let yes = Judgeable(inPlay: true, onBreak: true)
        public static let no = Judgeable(inPlay: false, onBreak: false)
    }

    /// A shot read from frames that waits for the scorer: the observation as derived (the
    /// declarations merged, the shot id set) and why it was not judged.
    public struct Review: Sendable, Codable, Equatable {
        public var shot: Referee.Shot
        public var detection: Detection
        public var reason: String
        public var openedAt: Timestamp
        /// What each player proposed so far (the shot as read when nil), by side: when both
        /// propose the same, the shot is judged.
        public var proposals: [String: Proposal]?

        public init(shot: Referee.Shot, detection: Detection, reason: String, openedAt: Timestamp, proposals: [String: Proposal]? = nil) {
            self.shot = shot
            self.detection = detection
            self.reason = reason
            self.openedAt = openedAt
            self.proposals = proposals
        }
    }

    /// A player's proposal for the shot under review: as read (`shot` nil) or with these members.
    public struct Proposal: Sendable, Codable, Equatable {
        public var shot: Referee.Shot?

        public init(shot: Referee.Shot?) { self.shot = shot }
    }

    static func decideMode(_ state: State, _ mode: Mode, _ context: CommandContext) throws(DomainError) -> [Event] {
        try requireScorer(state, context)
        guard !state.isFinished else { throw DomainError(.conflict, "match.finished", "the match is over") }
        guard (state.mode ?? .manual) != mode else { return [] }
        if mode == .manual, state.review != nil {
            throw DomainError(.conflict, "match.under_review", "resolve the shot under review first")
        }
        return [.modeSet(mode: mode, at: context.now)]
    }

    static func decideDeclaration(_ state: State, _ declaration: Declaration, _ context: CommandContext) throws(DomainError) -> [Event] {
        let principal = context.principal
        let isPlayer = principal.userID == state.playerA || principal.userID == state.playerB
        guard isPlayer || principal.isAdmin || principal.userID == state.scorer else {
            throw DomainError(.forbidden, "match.not_player", "the players, the scorer or an admin declare a call, a safety or a push-out")
        }
        try requireAutomatic(state, "declare in")
        // Between racks the next shot breaks a fresh rack; the last rack's state does not count.
        let fresh = Referee.Rack(game: Referee.Game(state.gameType), breaker: state.nextBreaker)
        let rack = state.rack == nil ? fresh : state.referee ?? fresh
        if let called = declaration.called {
            guard (1...6).contains(called.pocket) else {
                throw DomainError(.invalid, "referee.invalid_pocket", "pockets are numbered 1–6, got \(called.pocket)")
            }
            guard rack.onTable.contains(called.ball) else {
                throw DomainError(.invalid, "referee.ball_not_on_table", "ball \(called.ball) is not on the table")
            }
        }
        if declaration.pushOut, !rack.pushOutAvailable {
            throw DomainError(.conflict, "referee.push_out_not_available", "a push-out is declared only on the shot right after a foul-free break")
        }
        if declaration.safety, rack.game != .eightBall {
            throw DomainError(.invalid, "referee.invalid_shot", "a safety is declared in 8-ball only")
        }
        return [.declared(declaration: declaration, by: principal.userID, at: context.now)]
    }

    /// A shot read from the table's frames: judged as the camera's own when the detector is sure
    /// (`judgeable`) and the referee accepts it as read; otherwise a review opens.
    static func decideVisionShot(
        _ state: State,
        _ derived: Referee.Shot,
        _ detection: Detection,
        judgeable: Judgeable,
        tableID: String,
        _ context: CommandContext
    ) throws(DomainError) -> [Event] {
        guard state.tableID == tableID else {
            throw DomainError(.forbidden, "match.wrong_table", "this camera watches table \(tableID), not the match's table")
        }
        try requireAutomatic(state, "take a shot from frames in")
        if let id = derived.shotId, state.recentShotIDs.contains(id) || state.review?.shot.shotId == id {
            throw DomainError(.conflict, "referee.duplicate_shot", "shot \(id) was already judged")
        }
        var shot = derived
        if let declared = state.declared {
            shot.called = declared.called
            shot.safety = declared.safety
            shot.pushOut = declared.pushOut
        }
        func review(_ reason: String) -> [Event] {
            [.reviewOpened(review: Review(shot: shot, detection: detection, reason: reason, openedAt: context.now), at: context.now)]
        }
        let onBreak = state.rack == nil || state.referee?.breakShot == true
        guard onBreak ? judgeable.onBreak : judgeable.inPlay else {
            let doubts = detection.doubts.isEmpty ? "" : ": " + detection.doubts.joined(separator: "; ")
            return review("the frames are not clear enough (confidence \(Int((detection.confidence * 100).rounded())) %)\(doubts)")
        }
        do {
            return try decideShot(state, shot, .vision(detection, tableID: tableID), context)
        } catch {
            // The referee cannot judge the shot as read (a ball it says is gone, a choice awaited):
            // a person looks at it.
            guard error.code.hasPrefix("referee."), error.code != "referee.duplicate_shot" else { throw error }
            return review(error.message)
        }
    }

    /// The scorer confirms the shot under review as read, or with the members it gives replaced;
    /// or the players do it together: each proposes, and the second proposal that matches the
    /// first judges the shot.
    static func decideReview(_ state: State, _ edited: Referee.Shot?, _ context: CommandContext) throws(DomainError) -> [Event] {
        try requireLive(state, "resolve a review in")
        guard let review = state.review else {
            throw DomainError(.conflict, "match.no_review", "no shot is under review")
        }
        let principal = context.principal
        let officiates = principal.isAdmin || principal.userID == state.scorer
        if !officiates {
            let side: Side
            switch principal.userID {
            case state.playerA: side = .a
            case state.playerB: side = .b
            default:
                throw DomainError(.forbidden, "match.not_scorer", "only the match's scorer, an admin or the two players together resolve a review")
            }
            let proposal = Proposal(shot: edited.map(Self.members))
            let proposed = Event.reviewProposed(side: side, proposal: proposal, by: principal.userID, at: context.now)
            guard review.proposals?[side.other.rawValue] == proposal else { return [proposed] }
            var working = state
            apply(&working, proposed)
            return [proposed] + (try resolve(working, review, edited, by: nil, context))
        }
        return try resolve(state, review, edited, by: principal.userID, context)
    }

    /// The observation's members a review's edit gives (the shot id and time are the review's).
    static func members(_ shot: Referee.Shot) -> Referee.Shot {
        var members = shot
        members.shotId = nil
        members.observedAt = nil
        return members
    }

    /// Judges the shot under review, as read or with `edited`'s members.
    private static func resolve(
        _ state: State,
        _ review: Review,
        _ edited: Referee.Shot?,
        by: String?,
        _ context: CommandContext
    ) throws(DomainError) -> [Event] {
        var shot = edited.map(members) ?? review.shot
        shot.shotId = review.shot.shotId
        shot.observedAt = review.shot.observedAt
        var working = state
        let resolved = Event.reviewResolved(shotID: shot.shotId, edited: edited != nil, by: by, at: context.now)
        apply(&working, resolved)
        // As read: the camera's shot. Edited: the scorer's, or the players' together.
        let source: ShotSource = edited == nil ? .vision(review.detection, tableID: state.tableID ?? "") : by == nil ? .players : .scorer
        return [resolved] + (try decideShot(working, shot, source, context))
    }

    static func requireAutomatic(_ state: State, _ action: String) throws(DomainError) {
        try requireLive(state, action)
        guard state.mode == .auto else {
            throw DomainError(.conflict, "match.not_auto", "the match is not refereed from the table's frames (mode auto)")
        }
        if let review = state.review {
            throw DomainError(
                .conflict,
                "match.under_review",
                "shot \(review.shot.shotId ?? "") is under review: the scorer confirms or edits it first"
            )
        }
    }
}
