public import DojoDomain
public import Foundation
import SQLKit

/// One player's line for one completed match (`match_player_stats`, written whole: idempotent).
public struct MatchStatsRow: Sendable, Equatable {
    public var matchID: String
    public var userID: String
    public var opponentID: String
    public var gameType: String
    public var stats: MatchPlayerStats
    public var completedAt: Date

    public init(matchID: String, userID: String, opponentID: String, gameType: String, stats: MatchPlayerStats, completedAt: Date) {
        self.matchID = matchID
        self.userID = userID
        self.opponentID = opponentID
        self.gameType = gameType
        self.stats = stats
        self.completedAt = completedAt
    }
}

/// A player's totals over matches (one game type, or against one opponent).
public struct StatsTotals: Sendable, Equatable {
    public var gameType: String?
    public var matches = 0
    public var wins = 0
    public var racksWon = 0
    public var racksLost = 0
    public var breaks = 0
    public var breakAndRuns = 0
    public var goldenBreaks = 0
    public var fouls = 0
    public var visits = 0
    public var ballsInVisits = 0

    public init(
        gameType: String? = nil,
        matches: Int = 0,
        wins: Int = 0,
        racksWon: Int = 0,
        racksLost: Int = 0,
        breaks: Int = 0,
        breakAndRuns: Int = 0,
        goldenBreaks: Int = 0,
        fouls: Int = 0,
        visits: Int = 0,
        ballsInVisits: Int = 0
    ) {
        self.gameType = gameType
        self.matches = matches
        self.wins = wins
        self.racksWon = racksWon
        self.racksLost = racksLost
        self.breaks = breaks
        self.breakAndRuns = breakAndRuns
        self.goldenBreaks = goldenBreaks
        self.fouls = fouls
        self.visits = visits
        self.ballsInVisits = ballsInVisits
    }
}

extension Storage {
    /// Writes each row whole (a redelivery writes the same values).
    public func putMatchStats(_ rows: [MatchStatsRow]) async throws {
        guard !rows.isEmpty else { return }
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            for row in rows {
                let s = row.stats
                let values: [any SQLExpression] = [
                    SQLBind("\(row.matchID):\(row.userID)"), SQLBind(row.matchID), SQLBind(row.userID), SQLBind(row.opponentID),
                    SQLBind(row.gameType), SQLBind(s.won ? 1 : 0), SQLBind(s.racksWon), SQLBind(s.racksLost), SQLBind(s.breaks),
                    SQLBind(s.breakAndRuns), SQLBind(s.goldenBreaks), SQLBind(s.fouls), SQLBind(s.visits), SQLBind(s.ballsInVisits),
                    d.bind(row.completedAt),
                ]
                try await db.insert(into: "match_player_stats")
                    .columns(
                        "id",
                        "match_id",
                        "user_id",
                        "opponent_id",
                        "game_type",
                        "won",
                        "racks_won",
                        "racks_lost",
                        "breaks",
                        "break_and_runs",
                        "golden_breaks",
                        "fouls",
                        "visits",
                        "balls_in_visits",
                        "completed_at"
                    )
                    .values(values)
                    .onConflict(with: ["id"]) { update in
                        var update = update
                        for column in [
                            "won", "racks_won", "racks_lost", "breaks", "break_and_runs", "golden_breaks", "fouls", "visits", "balls_in_visits",
                        ] {
                            update = update.set(excludedValueOf: column)
                        }
                        return update
                    }
                    .run()
            }
        }
    }

    /// A player's totals per game type, or against `opponent` (all game types together).
    public func statsTotals(of userID: String, against opponent: String? = nil) async throws -> [StatsTotals] {
        try await withSQL { db in
            let grouped = opponent == nil
            var query = db.select()
                .column(SQLRaw("COUNT(*)"), as: "matches").column(SQLRaw("SUM(won)"), as: "wins")
                .column(SQLRaw("SUM(racks_won)"), as: "racks_won").column(SQLRaw("SUM(racks_lost)"), as: "racks_lost")
                .column(SQLRaw("SUM(breaks)"), as: "breaks").column(SQLRaw("SUM(break_and_runs)"), as: "break_and_runs")
                .column(SQLRaw("SUM(golden_breaks)"), as: "golden_breaks").column(SQLRaw("SUM(fouls)"), as: "fouls")
                .column(SQLRaw("SUM(visits)"), as: "visits").column(SQLRaw("SUM(balls_in_visits)"), as: "balls_in_visits")
                .from("match_player_stats").where("user_id", .equal, userID)
            if let opponent { query = query.where("opponent_id", .equal, opponent) }
            if grouped { query = query.column("game_type").groupBy("game_type").orderBy("game_type") }
            return try await query.all().compactMap { row -> StatsTotals? in
                let matches = try row.decode(column: "matches", as: Int.self)
                guard matches > 0 else { return grouped ? nil : StatsTotals() }
                func sum(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
                return StatsTotals(
                    gameType: grouped ? try row.decode(column: "game_type", as: String.self) : nil,
                    matches: matches,
                    wins: try sum("wins"),
                    racksWon: try sum("racks_won"),
                    racksLost: try sum("racks_lost"),
                    breaks: try sum("breaks"),
                    breakAndRuns: try sum("break_and_runs"),
                    goldenBreaks: try sum("golden_breaks"),
                    fouls: try sum("fouls"),
                    visits: try sum("visits"),
                    ballsInVisits: try sum("balls_in_visits")
                )
            }
        }
    }
}

extension Schema {
    /// Migration 14: every completed match's line per player (docs/statistics.md).
    @Sendable static func createMatchPlayerStats(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "match_player_stats")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("match_id", type: .text, .notNull)
            .column("user_id", type: .text, .notNull, .references("users", "id", onDelete: .cascade))
            .column("opponent_id", type: .text, .notNull)
            .column("game_type", type: .text, .notNull)
            .column("won", type: .int, .notNull)
            .column("racks_won", type: .int, .notNull)
            .column("racks_lost", type: .int, .notNull)
            .column("breaks", type: .int, .notNull)
            .column("break_and_runs", type: .int, .notNull)
            .column("golden_breaks", type: .int, .notNull)
            .column("fouls", type: .int, .notNull)
            .column("visits", type: .int, .notNull)
            .column("balls_in_visits", type: .int, .notNull)
            .column("completed_at", type: d.timestamp, .notNull)
            .run()
        try await db.create(index: "idx_match_player_stats_user").on("match_player_stats").column("user_id").column("opponent_id").run()
    }
}
