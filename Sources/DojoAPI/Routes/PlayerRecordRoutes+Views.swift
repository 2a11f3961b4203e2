import DojoDomain
import DojoStorage
import Foundation
import Hummingbird

// What ``PlayerRecordRoutes`` answers with.

struct RatingView: Encodable {
    struct Entry: Encodable {
        var matchId: String
        var opponentId: String
        var result: String
        var ratingBefore: Double
        var rating: Double
        var deviation: Double
        var at: Timestamp
    }

    var userId: String
    var rating: Double
    var deviation: Double
    var volatility: Double
    var games: Int
    var provisional: Bool
    /// Newest first.
    var history: [Entry]
}

struct StatsView: Encodable {
    struct Line: Encodable {
        var gameType: String?
        var matches: Int
        var wins: Int
        var losses: Int
        var winRate: Double
        var racksWon: Int
        var racksLost: Int
        var breaks: Int
        var breakAndRuns: Int
        var goldenBreaks: Int
        var fouls: Int
        var foulsPerRack: Double
        /// Balls pocketed per visit to the table (judged shots only).
        var averageRun: Double

        init(_ t: StatsTotals) {
            func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : (Double(a) / Double(b) * 1_000).rounded() / 1_000 }
            gameType = t.gameType
            matches = t.matches
            wins = t.wins
            losses = t.matches - t.wins
            winRate = ratio(t.wins, t.matches)
            racksWon = t.racksWon
            racksLost = t.racksLost
            breaks = t.breaks
            breakAndRuns = t.breakAndRuns
            goldenBreaks = t.goldenBreaks
            fouls = t.fouls
            foulsPerRack = ratio(t.fouls, t.racksWon + t.racksLost)
            averageRun = ratio(t.ballsInVisits, t.visits)
        }
    }

    var userId: String
    var byGameType: [Line]
}

struct HeadToHeadView: Encodable {
    var userId: String
    var opponentId: String
    var totals: StatsView.Line
}

struct AchievementsView: Encodable {
    struct Entry: Encodable {
        var key: String
        var name: String
        var description: String
        var points: Int
        var earnedAt: Timestamp?

        init(_ achievement: Achievement, at: Timestamp?) {
            key = achievement.rawValue
            name = achievement.name
            description = achievement.description
            points = achievement.points
            earnedAt = at
        }
    }

    var userId: String?
    /// The sum of the earned achievements' points.
    var points: Int?
    var achievements: [Entry]
}
