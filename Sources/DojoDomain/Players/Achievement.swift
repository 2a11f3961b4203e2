/// The achievements a player earns by playing (docs/achievements.md), each once, with its points.
/// The rules are pure: the projections give them what happened and award what they return.
public enum Achievement: String, Sendable, Codable, CaseIterable {
    case firstWin = "first_win"
    case goldenBreak = "golden_break"
    case breakAndRun = "break_and_run"
    case tenWinsInARow = "ten_wins_in_a_row"
    case hundredMatches = "hundred_matches"
    case firstTerritory = "first_territory"
    case clanWarWon = "clan_war_won"
    case tournamentWon = "tournament_won"

    public var name: String {
        switch self {
        case .firstWin: "First win"
        case .goldenBreak: "Golden break"
        case .breakAndRun: "Break and run"
        case .tenWinsInARow: "Ten in a row"
        case .hundredMatches: "Centurion"
        case .firstTerritory: "Flag planted"
        case .clanWarWon: "War hero"
        case .tournamentWon: "Champion"
        }
    }

    public var description: String {
        switch self {
        case .firstWin: "Win a match."
        case .goldenBreak: "Win a rack on your break shot."
        case .breakAndRun: "Break and run out a rack without your opponent at the table."
        case .tenWinsInARow: "Win ten matches in a row."
        case .hundredMatches: "Complete 100 matches."
        case .firstTerritory: "Claim a territory for the first time."
        case .clanWarWon: "Be in a clan when it wins a war."
        case .tournamentWon: "Win a tournament."
        }
    }

    public var points: Int {
        switch self {
        case .firstWin: 10
        case .goldenBreak: 25
        case .breakAndRun: 25
        case .tenWinsInARow: 100
        case .hundredMatches: 100
        case .firstTerritory: 50
        case .clanWarWon: 50
        case .tournamentWon: 100
        }
    }

    /// What a completed match earns one of its players: `stats` is their line for it; `matches`
    /// their completed matches so far and `recent` their latest results (newest first), both with
    /// this match.
    public static func earned(by stats: MatchPlayerStats, matches: Int, recent: [Bool]) -> [Achievement] {
        var earned: [Achievement] = []
        if stats.won { earned.append(.firstWin) }
        if stats.goldenBreaks > 0 { earned.append(.goldenBreak) }
        if stats.breakAndRuns > 0 { earned.append(.breakAndRun) }
        if recent.count >= 10, recent.prefix(10).allSatisfy({ $0 }) { earned.append(.tenWinsInARow) }
        if matches >= 100 { earned.append(.hundredMatches) }
        return earned
    }
}
