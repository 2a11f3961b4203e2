public import DojoDomain
public import Foundation
import SQLKit

/// An achievement a player holds.
public struct EarnedAchievement: Sendable, Equatable {
    public var achievement: Achievement
    public var earnedAt: Date
}

extension Storage {
    /// Awards `achievement` to `userID` once: a second award of it changes nothing. Returns whether
    /// this call awarded it.
    @discardableResult
    public func award(_ achievement: Achievement, to userID: String, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await withSQL { db in
            // The catalog row first (an achievement newer than the migration that seeded the rest).
            try await Schema.insertCatalog([achievement], on: db, d)
            let before = try await db.select().column("id").from("user_achievements").where("id", .equal, "\(userID):\(achievement.rawValue)").first()
            guard before == nil else { return false }
            try await db.insert(into: "user_achievements").columns("id", "user_id", "achievement_id", "earned_at")
                .values([SQLBind("\(userID):\(achievement.rawValue)"), SQLBind(userID), SQLBind(achievement.rawValue), d.bind(now)])
                .ignoringConflicts(with: ["id"]).run()
            return true
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
