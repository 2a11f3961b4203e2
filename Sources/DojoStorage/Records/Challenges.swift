public import Foundation
import SQLKit

/// A challenge as the `challenges` table holds it (the challenge actor's projection, written whole
/// on every event: idempotent).
public struct ChallengeRow: Sendable, Equatable {
    public var id: String
    public var challengerID: String
    public var defenderID: String
    public var venueID: String?
    public var tableID: String?
    public var status: String
    public var stake: Int64
    public var gameType: String
    public var raceTo: Int
    public var expiresAt: Date
    public var matchID: String?
    public var winnerID: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String,
        challengerID: String,
        defenderID: String,
        venueID: String?,
        tableID: String?,
        status: String,
        stake: Int64,
        gameType: String,
        raceTo: Int,
        expiresAt: Date,
        matchID: String?,
        winnerID: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.challengerID = challengerID
        self.defenderID = defenderID
        self.venueID = venueID
        self.tableID = tableID
        self.status = status
        self.stake = stake
        self.gameType = gameType
        self.raceTo = raceTo
        self.expiresAt = expiresAt
        self.matchID = matchID
        self.winnerID = winnerID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which side of a user's challenges to list.
public enum ChallengeSide: String, Sendable {
    case challenger, defender, any
}

extension Storage {
    /// The ids of a user's challenges, newest first: as challenger, defender or either, with one of
    /// `statuses` (any when empty), `limit` from `offset`.
    public func challengeIDs(of userID: String, side: ChallengeSide, statuses: [String], offset: Int, limit: Int) async throws -> [String] {
        try await withSQL { db in
            var query = db.select().column("id").from("challenges")
            switch side {
            case .challenger: query = query.where("challenger_id", .equal, userID)
            case .defender: query = query.where("defender_id", .equal, userID)
            case .any: query = query.where { $0.where("challenger_id", .equal, userID).orWhere("defender_id", .equal, userID) }
            }
            if !statuses.isEmpty { query = query.where("status", .in, statuses) }
            return try await query.orderBy("created_at", .descending).orderBy("id", .descending)
                .limit(limit).offset(offset).all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
    }

    static func put(_ row: ChallengeRow, on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.insert(into: "challenges")
            .columns(
                "id",
                "challenger_id",
                "defender_id",
                "venue_id",
                "table_id",
                "status",
                "stake_coins",
                "game_type",
                "race_to",
                "expires_at",
                "match_id",
                "winner_id",
                "created_at",
                "updated_at"
            )
            .values([
                SQLBind(row.id), SQLBind(row.challengerID), SQLBind(row.defenderID),
                // A venue or table not projected yet (or gone) is written as null, as clans are.
                SQLQueryString("(SELECT id FROM venues WHERE id = \(bind: row.venueID))"),
                SQLQueryString("(SELECT id FROM venue_tables WHERE id = \(bind: row.tableID))"),
                SQLBind(row.status), SQLBind(row.stake), SQLBind(row.gameType), SQLBind(row.raceTo), d.bind(row.expiresAt),
                SQLBind(row.matchID), SQLBind(row.winnerID), d.bind(row.createdAt), d.bind(row.updatedAt),
            ])
            .onConflict(with: ["id"]) { update in
                update.set(excludedValueOf: "status").set(excludedValueOf: "match_id").set(excludedValueOf: "winner_id")
                    .set(excludedValueOf: "updated_at")
            }
            .run()
    }
}

extension Schema {
    /// Migration 10: the seed's `challenges` table, replaced (nothing wrote to it before) by one
    /// with what a challenge holds: its table, game, race, expiry, match and winner, and the
    /// statuses beyond the seed's four (docs/challenges.md).
    @Sendable static func createChallenges(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.drop(table: "challenges").ifExists().run()
        let statuses = ["PENDING", "ACCEPTING", "ACCEPTED", "DECLINED", "EXPIRED", "WITHDRAWN", "SETTLED", "REFUNDED"]
            .map { "'\($0)'" }.joined(separator: ", ")
        try await db.create(table: "challenges")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("challenger_id", type: .text, .notNull, .references("users", "id", onDelete: .restrict))
            .column("defender_id", type: .text, .notNull, .references("users", "id", onDelete: .restrict))
            .column("venue_id", type: .text, .references("venues", "id", onDelete: .setNull))
            .column("table_id", type: .text, .references("venue_tables", "id", onDelete: .setNull))
            .column("status", type: .text, .notNull, .check(SQLRaw("status IN (\(statuses))")))
            .column("stake_coins", type: .bigint, .notNull, .default(0))
            .column("game_type", type: .text, .notNull)
            .column("race_to", type: .int, .notNull)
            .column("expires_at", type: d.timestamp, .notNull)
            .column("match_id", type: .text)
            .column("winner_id", type: .text)
            .column("created_at", type: d.timestamp, .notNull)
            .column("updated_at", type: d.timestamp, .notNull)
            .run()
        for (name, columns) in [
            ("idx_challenges_challenger", ["challenger_id", "created_at"]), ("idx_challenges_defender", ["defender_id", "created_at"]),
        ] {
            var builder = db.create(index: name).on("challenges")
            for column in columns { builder = builder.column(column) }
            try await builder.run()
        }
    }
}
