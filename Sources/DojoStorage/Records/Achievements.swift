public import DojoDomain
public import Foundation
import SQLKit

/// An achievement a player holds.
public struct EarnedAchievement: Sendable, Equatable {
    public var achievement: Achievement
    public var earnedAt: Date
}

/// An achievement for a player, earned at a time.
public struct AchievementAward: Sendable, Equatable {
    public var userID: String
    public var achievement: Achievement
    public var at: Date

    public init(userID: String, achievement: Achievement, at: Date) {
        self.userID = userID
        self.achievement = achievement
        self.at = at
    }

    /// Its row's id in `user_achievements`.
    var id: String { "\(userID):\(achievement.rawValue)" }
}

extension Storage {
    /// Awards `achievement` to `userID` once: a second award of it changes nothing. Returns whether
    /// this call awarded it.
    @discardableResult
    public func award(_ achievement: Achievement, to userID: String, at now: Date) async throws -> Bool {
        try await award([AchievementAward(userID: userID, achievement: achievement, at: now)]).isEmpty == false
    }

    /// Awards each achievement to its player once, all in one transaction (a consumer's round).
    /// Returns the awards made by this call, in the order given; the rest were held already.
    public func award(_ awards: [AchievementAward]) async throws -> [AchievementAward] {
        guard !awards.isEmpty else { return [] }
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            // The catalog rows first (an achievement newer than the migration that seeded the rest).
            var kinds: [Achievement] = []
            for award in awards where !kinds.contains(award.achievement) { kinds.append(award.achievement) }
            try await Schema.insertCatalog(kinds, on: db, d)
            var held = Set(
                try await db.select().column("id").from("user_achievements").where("id", .in, awards.map(\.id)).all()
                    .map { try $0.decode(column: "id", as: String.self) }
            )
            var made: [AchievementAward] = []
            for award in awards where !held.contains(award.id) {
                try await db.insert(into: "user_achievements").columns("id", "user_id", "achievement_id", "earned_at")
                    .values([SQLBind(award.id), SQLBind(award.userID), SQLBind(award.achievement.rawValue), d.bind(award.at)])
                    .ignoringConflicts(with: ["id"]).run()
                held.insert(award.id)
                made.append(award)
            }
            return made
        }
    }

    /// The achievements a player holds, in the order earned.
    public func achievements(of userID: String) async throws -> [EarnedAchievement] {
        let d = SchemaDialect(backend: backend)
        return try await withSQL { db in
            try await db.select().columns("achievement_id", "earned_at").from("user_achievements").where("user_id", .equal, userID)
                .orderBy("earned_at").orderBy("achievement_id").all()
                .compactMap { row in
                    guard let achievement = Achievement(rawValue: try row.decode(column: "achievement_id", as: String.self)) else { return nil }
                    return EarnedAchievement(achievement: achievement, earnedAt: try Self.date(row, "earned_at", d))
                }
        }
    }

    /// Players' completed matches and their latest results (newest first, `limit` of them each),
    /// in two statements whatever the number of players (a consumer's round).
    public func matchRecords(of userIDs: [String], limit: Int) async throws -> [String: (matches: Int, recent: [Bool])] {
        let players = Array(Set(userIDs))
        guard !players.isEmpty else { return [:] }
        return try await withSQL { db in
            var records: [String: (matches: Int, recent: [Bool])] = [:]
            for row in try await db.select().column("user_id").column(SQLRaw("COUNT(*)"), as: "n").from("match_player_stats")
                .where("user_id", .in, players).groupBy("user_id").all()
            {
                records[try row.decode(column: "user_id", as: String.self), default: (0, [])].matches = try row.decode(column: "n", as: Int.self)
            }
            let ranked = db.select().column("user_id").column("won")
                .column(SQLRaw("ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY completed_at DESC, match_id DESC)"), as: "rank")
                .from("match_player_stats").where("user_id", .in, players)
            for row in try await db.select().columns("user_id", "won").from(SQLAlias(SQLGroupExpression(ranked.query), as: SQLIdentifier("r")))
                .where("rank", .lessThanOrEqual, limit).orderBy("user_id").orderBy("rank").all()
            {
                records[try row.decode(column: "user_id", as: String.self), default: (0, [])].recent.append(
                    try row.decode(column: "won", as: Int.self) == 1
                )
            }
            return records
        }
    }

    /// A player's completed matches and their latest results (newest first, `limit` of them).
    public func matchRecord(of userID: String, limit: Int) async throws -> (matches: Int, recent: [Bool]) {
        try await withSQL { db in
            let count =
                try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("match_player_stats").where("user_id", .equal, userID)
                .first()?.decode(column: "n", as: Int.self) ?? 0
            let recent = try await db.select().column("won").from("match_player_stats").where("user_id", .equal, userID)
                .orderBy("completed_at", .descending).orderBy("match_id", .descending).limit(limit).all()
                .map { try $0.decode(column: "won", as: Int.self) == 1 }
            return (count, recent)
        }
    }
}

extension Schema {
    /// Migration 15: the achievements' catalog (docs/achievements.md).
    @Sendable static func seedAchievements(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await insertCatalog(Achievement.allCases, on: db, d)
    }

    static func insertCatalog(_ achievements: [Achievement], on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        for achievement in achievements {
            try await db.insert(into: "achievements").columns("id", "key", "name", "desc", "points")
                .values([
                    SQLBind(achievement.rawValue), SQLBind(achievement.rawValue), SQLBind(achievement.name), SQLBind(achievement.description),
                    SQLBind(achievement.points),
                ])
                .ignoringConflicts(with: ["id"]).run()
        }
    }
}
