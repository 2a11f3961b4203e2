/// One player's statistics from one completed match (pure; docs/statistics.md): racks, breaks,
/// break-and-runs, golden breaks, fouls, and the visits to the table with the balls pocketed in
/// them (an average run is balls per visit). Counted from the referee's shots; racks entered whole
/// (`recordRack`) count as racks only.
public struct MatchPlayerStats: Sendable, Equatable, Codable {
    public var won = false
    public var racksWon = 0
    public var racksLost = 0
    /// Racks this player broke.
    public var breaks = 0
    /// Racks won by this player's break and every shot after it, with no shot by the opponent
    /// (more than the break alone).
    public var breakAndRuns = 0
    /// Racks won on this player's break shot itself.
    public var goldenBreaks = 0
    public var fouls = 0
    /// Turns at the table (consecutive judged shots of the player).
    public var visits = 0
    /// Balls pocketed by legal shots in those turns.
    public var ballsInVisits = 0

    public init() {}

    /// Both players' statistics from a match's events, in order; nil unless the match completed.
    /// A correction takes back the shot it reverses (so the shot counts nowhere).
    public static func of(_ events: [Match.Event]) -> (a: MatchPlayerStats, b: MatchPlayerStats)? {
        // The judged shots a correction reversed.
        var kept: [Match.Event] = []
        for event in events {
            if case .corrected = event, let index = kept.lastIndex(where: { if case .shotRuled = $0 { true } else { false } }) {
                kept.remove(at: index)
                continue
            }
            kept.append(event)
        }
        var stats = Referee.PerPlayer(a: MatchPlayerStats(), b: MatchPlayerStats())
        var breaker: Match.Side?
        var rackShots: [Match.Side] = []
        var visit: (side: Match.Side, balls: Int)?
        var winner: Match.Side?
        func closeVisit() {
            guard let open = visit else { return }
            stats[open.side].visits += 1
            stats[open.side].ballsInVisits += open.balls
            visit = nil
        }
        for event in kept {
            switch event {
            case .rackStarted(_, let side, _):
                closeVisit()
                breaker = side
                rackShots = []
                stats[side].breaks += 1
            case .shotRuled(_, let shooter, let shot, let ruling, _, _, _, _):
                rackShots.append(shooter)
                if ruling.foul != nil { stats[shooter].fouls += 1 }
                if visit?.side != shooter {
                    closeVisit()
                    visit = (shooter, 0)
                }
                if ruling.legal { visit?.balls += shot.pocketed.count }
            case .rackEnded(_, let rackWinner, _, _, _):
                closeVisit()
                stats[rackWinner].racksWon += 1
                stats[rackWinner.other].racksLost += 1
                if let breaker, rackWinner == breaker, !rackShots.isEmpty, rackShots.allSatisfy({ $0 == breaker }) {
                    if rackShots.count == 1 { stats[breaker].goldenBreaks += 1 } else { stats[breaker].breakAndRuns += 1 }
                }
                breaker = nil
                rackShots = []
            case .completed(let side, _, _, _, _):
                closeVisit()
                winner = side
            default:
                break
            }
        }
        guard let winner else { return nil }
        stats[winner].won = true
        return (stats.a, stats.b)
    }
}
