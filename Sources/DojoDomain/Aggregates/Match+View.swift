extension Match.State {
    /// The state as clients see it (REST and room snapshots): everything but the bookkeeping kept
    /// for the actor's own rules (the correction's restore point, remembered shot ids, deficits),
    /// plus whether the last shot can be corrected and which it was, the mode, what was declared
    /// for the next shot and the shot under review (spectators show "under review").
    public var view: View { View(state: self) }

    public struct View: Encodable, Sendable {
        let state: Match.State

        enum CodingKeys: String, CodingKey {
            case id, exists, status, playerA, playerB, scorer, createdBy, gameType, raceTo, venueID, tableID, tournamentID, territoryID, challengeID
            case scoreA, scoreB, racksPlayed, rack, nextBreaker, breakRule, referee, correctable, lastShotId, mode, declared, review
            case winner, cancelReason, createdAt, startedAt, endedAt
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(state.id, forKey: .id)
            try c.encode(state.exists, forKey: .exists)
            try c.encode(state.status, forKey: .status)
            try c.encode(state.playerA, forKey: .playerA)
            try c.encode(state.playerB, forKey: .playerB)
            try c.encode(state.scorer, forKey: .scorer)
            try c.encodeIfPresent(state.createdBy, forKey: .createdBy)
            try c.encode(state.gameType, forKey: .gameType)
            try c.encode(state.raceTo, forKey: .raceTo)
            try c.encodeIfPresent(state.venueID, forKey: .venueID)
            try c.encodeIfPresent(state.tableID, forKey: .tableID)
            try c.encodeIfPresent(state.tournamentID, forKey: .tournamentID)
            try c.encodeIfPresent(state.territoryID, forKey: .territoryID)
            try c.encodeIfPresent(state.challengeID, forKey: .challengeID)
            try c.encode(state.scoreA, forKey: .scoreA)
            try c.encode(state.scoreB, forKey: .scoreB)
            try c.encode(state.racksPlayed, forKey: .racksPlayed)
            try c.encodeIfPresent(state.rack, forKey: .rack)
            try c.encode(state.nextBreaker, forKey: .nextBreaker)
            try c.encode(state.breakRule, forKey: .breakRule)
            try c.encodeIfPresent(state.referee, forKey: .referee)
            try c.encode(state.undo != nil, forKey: .correctable)
            try c.encodeIfPresent(state.undo?.shotID, forKey: .lastShotId)
            try c.encode(state.mode ?? .manual, forKey: .mode)
            try c.encodeIfPresent(state.declared, forKey: .declared)
            try c.encodeIfPresent(state.review, forKey: .review)
            try c.encodeIfPresent(state.winner, forKey: .winner)
            try c.encodeIfPresent(state.cancelReason, forKey: .cancelReason)
            try c.encodeIfPresent(state.createdAt, forKey: .createdAt)
            try c.encodeIfPresent(state.startedAt, forKey: .startedAt)
            try c.encodeIfPresent(state.endedAt, forKey: .endedAt)
        }
    }
}
