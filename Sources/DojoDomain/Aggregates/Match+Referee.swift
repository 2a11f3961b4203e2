/// Live play: the match runs its racks through the ``Referee``. A shot (from the scorer or the
/// camera at the match's table) is judged against the rack in progress; a rack the referee ends
/// scores a rack, and the race completes the match, in the same append. Commentary lines about the
/// moment follow in the same append (Match+Commentary.swift).
extension Match {
    /// Who reported a shot.
    public enum ShotSource: Sendable, Equatable, Codable {
        /// The match's scorer (or an admin), over REST or a socket.
        case scorer
        /// A camera device signed in for `tableID`.
        case camera(deviceID: String, tableID: String)
        /// The shot detector, from the frames of a camera at `tableID`.
        case vision(Detection, tableID: String)
        /// The two players together, resolving a review.
        case players

        public var name: String {
            switch self {
            case .scorer: "scorer"
            case .camera(let deviceID, _): "camera:\(deviceID)"
            case .vision(let detection, _): "vision:\(detection.deviceID)"
            case .players: "players"
            }
        }

        /// How the frames showed the shot, for a shot read from them.
        public var detection: Detection? {
            if case .vision(let detection, _) = self { detection } else { nil }
        }
    }

    /// The part of the state a judged shot changes: restored by a correction.
    public struct Undo: Sendable, Codable, Equatable {
        public var shotID: String?
        public var rack: Rack?
        public var referee: Referee.Rack?
        public var scoreA: Int
        public var scoreB: Int
        public var racksPlayed: Int
        public var nextBreaker: Side

        public init(shotID: String?, rack: Rack?, referee: Referee.Rack?, scoreA: Int, scoreB: Int, racksPlayed: Int, nextBreaker: Side) {
            self.shotID = shotID
            self.rack = rack
            self.referee = referee
            self.scoreA = scoreA
            self.scoreB = scoreB
            self.racksPlayed = racksPlayed
            self.nextBreaker = nextBreaker
        }
    }

    /// How many judged shot ids a match remembers for replays (besides the runtime's command ids).
    public static let rememberedShotIDs = 256

    static func decideShot(_ state: State, _ shot: Referee.Shot, _ source: ShotSource, _ context: CommandContext) throws(DomainError) -> [Event] {
        switch source {
        case .scorer:
            try requireScorer(state, context)
        case .players:
            break  // both players agreed on a review (Match+Vision.swift)
        case .camera(_, let tableID), .vision(_, let tableID):
            guard state.tableID == tableID else {
                throw DomainError(.forbidden, "match.wrong_table", "this camera watches table \(tableID), not the match's table")
            }
        }
        try requireLive(state, "record a shot")
        if let id = shot.shotId, state.recentShotIDs.contains(id) {
            throw DomainError(.conflict, "referee.duplicate_shot", "shot \(id) was already judged")
        }
        var working = state
        var events: [Event] = []
        func record(_ event: Event) {
            events.append(event)
            apply(&working, event)
        }
        if working.rack == nil {
            record(.rackStarted(rack: working.racksPlayed + 1, breaker: working.nextBreaker, at: context.now))
        }
        guard let rack = working.rack, let referee = working.referee else {
            throw DomainError(.conflict, "match.no_rack", "no rack is being played")
        }
        let (ruling, after) = try Referee.judge(referee, shot)
        record(
            .shotRuled(
                rack: rack.number,
                shooter: referee.shooter,
                shot: shot,
                ruling: ruling,
                after: after,
                source: source.name,
                detection: source.detection,
                at: context.now
            )
        )
        if let result = ruling.result {
            for event in rackEnd(working, number: rack.number, winner: result.winner, at: context.now) { record(event) }
        }
        events += commentary(before: state, after: working, events: events, at: context.now)
        return events
    }

    static func decideDecision(_ state: State, _ option: Referee.Option, _ side: Side?, _ context: CommandContext) throws(DomainError) -> [Event] {
        try requireLive(state, "decide in")
        guard let rack = state.rack, let referee = state.referee else {
            throw DomainError(.conflict, "match.no_rack", "no rack is being played")
        }
        let principal = context.principal
        let ownSide: Side? = principal.userID == state.playerA ? .a : (principal.userID == state.playerB ? .b : nil)
        let officiates = principal.isAdmin || principal.userID == state.scorer
        let by: Side
        if let side {
            guard side == ownSide || officiates else {
                throw DomainError(.forbidden, "match.not_player", "only player \(side.rawValue), the scorer or an admin decides for \(side.rawValue)")
            }
            by = side
        } else if let ownSide {
            by = ownSide
        } else if officiates, let awaited = referee.awaiting?.by {
            by = awaited
        } else if officiates {
            throw DomainError(.invalid, "invalid_command", "name the side (A or B) that decides")
        } else {
            throw DomainError(.forbidden, "match.not_player", "decisions are made by the players, the scorer or an admin")
        }
        let (ruling, after) = try Referee.decide(referee, Referee.Decision(option, by: by))
        var working = state
        var events: [Event] = []
        func record(_ event: Event) {
            events.append(event)
            apply(&working, event)
        }
        record(.decided(rack: rack.number, side: by, ruling: ruling, after: after, at: context.now))
        if let result = ruling.result {
            for event in rackEnd(working, number: rack.number, winner: result.winner, at: context.now) { record(event) }
        }
        events += commentary(before: state, after: working, events: events, at: context.now)
        return events
    }

    static func decideCorrection(_ state: State, _ reason: String?, venueAdmin: Bool, _ context: CommandContext) throws(DomainError) -> [Event] {
        let principal = context.principal
        guard principal.isAdmin || principal.userID == state.scorer || venueAdmin else {
            throw DomainError(.forbidden, "match.not_referee", "only the scorer, an admin of the match's venue or a platform admin corrects a shot")
        }
        try requireLive(state, "correct a shot in")
        guard let undo = state.undo else {
            throw DomainError(.conflict, "match.nothing_to_correct", "there is no judged shot to correct (only the last shot can be corrected, once)")
        }
        let reason = try reason.map { text throws(DomainError) in try validText(text, field: "reason") }
        let number = undo.rack?.number ?? (undo.racksPlayed + 1)
        return [.corrected(rack: number, shotID: undo.shotID, reason: reason, by: principal.userID, restored: undo, at: context.now)]
    }

    static func applyReferee(_ state: inout State, _ event: Event) {
        switch event {
        case .shotRuled(_, _, let shot, let ruling, let after, _, _, _):
            state.declared = nil
            state.review = nil
            state.undo = Undo(
                shotID: shot.shotId,
                rack: state.rack,
                referee: state.referee,
                scoreA: state.scoreA,
                scoreB: state.scoreB,
                racksPlayed: state.racksPlayed,
                nextBreaker: state.nextBreaker
            )
            state.rack?.shots += 1
            if let breaker = state.rack?.breaker, ruling.foul != nil || ruling.awaiting != nil || after.shooter != breaker {
                state.rack?.turnPassed = true
            }
            state.referee = after
            if let id = shot.shotId {
                state.recentShotIDs.append(id)
                if state.recentShotIDs.count > rememberedShotIDs { state.recentShotIDs.removeFirst(state.recentShotIDs.count - rememberedShotIDs) }
            }
        case .decided(_, _, _, let after, _):
            if let breaker = state.rack?.breaker, after.shooter != breaker { state.rack?.turnPassed = true }
            state.referee = after
        case .corrected(_, _, _, _, let restored, _):
            state.rack = restored.rack
            state.referee = restored.referee
            state.scoreA = restored.scoreA
            state.scoreB = restored.scoreB
            state.racksPlayed = restored.racksPlayed
            state.nextBreaker = restored.nextBreaker
            state.undo = nil
        default:
            break
        }
    }
}
