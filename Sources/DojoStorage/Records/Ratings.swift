public import DojoDomain
public import Foundation
import SQLKit

/// A completed match as the ratings see it: its place in the log's order, the two players, who won.
public struct RatedGame: Sendable, Equatable {
    public var matchID: String
    /// The order games are rated in: the completion's commit time (µs), then the stream. The same
    /// on every rebuild from the log.
    public var orderKey: String
    public var playerA: String
    public var playerB: String
    public var winnerIsA: Bool
    public var at: Date

    public init(matchID: String, recordedAt: Date, stream: String, playerA: String, playerB: String, winnerIsA: Bool) {
        self.matchID = matchID
        let micros = Int64((recordedAt.timeIntervalSince1970 * 1_000_000).rounded())
        self.orderKey = String(repeating: "0", count: max(0, 20 - String(micros).count)) + String(micros) + "|" + stream
        self.playerA = playerA
        self.playerB = playerB
        self.winnerIsA = winnerIsA
        self.at = recordedAt
    }
}

/// A player's rating as stored, with how many games it rests on.
public struct PlayerRating: Sendable, Equatable {
    public var userID: String
    public var rating: Glicko2.Rating
    public var games: Int
    public var updatedAt: Date?
}

/// One rated game of a player: the rating after it.
public struct RatingHistoryEntry: Sendable, Equatable {
    public var matchID: String
    public var opponentID: String
    public var score: Double
    public var before: Glicko2.Rating
    public var after: Glicko2.Rating
    public var at: Date
}

extension Storage {
    /// The advisory lock key of the ratings on Postgres (`"rate"` as an integer).
    static var ratingsLockKey: Int64 { 0x7261_7465 }

    /// Rates `games` (idempotent: a game already rated is skipped) in the log's order. A game that
    /// sorts before games already rated (its round of the consumer finished late) rewinds: the
    /// ratings after it are taken back and every game from it on is rated again, so the ratings
    /// are always those of rating every game in order, whatever order they arrived in. One
    /// transaction; `profiles.skill_rating` follows (rounded).
    public func rate(_ games: [RatedGame]) async throws {
        guard !games.isEmpty else { return }
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            // One rating transaction at a time (two rounds of the consumer, or two nodes, must not
            // rate from the same stale ratings); SQLite's BEGIN IMMEDIATE already serializes.
            if d.isPostgres { try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Self.ratingsLockKey)))").run() }
            let known = Set(
                try await db.select().column("match_id").from("rating_history").where("match_id", .in, games.map(\.matchID)).all()
                    .map { try $0.decode(column: "match_id", as: String.self) }
            )
            var pending = games.filter { !known.contains($0.matchID) }.sorted { $0.orderKey < $1.orderKey }
            guard let earliest = pending.first?.orderKey else { return }
            // Rated games that sort after the earliest new one are rated again after it.
            let later = try await db.select().columns("match_id", "user_id", "opponent_id", "score", "order_key", "created_at")
                .from("rating_history").where("order_key", .greaterThan, earliest).all()
            if !later.isEmpty {
                var rows: [String: (order: String, at: Date, players: [(user: String, score: Double)])] = [:]
                for row in later {
                    let match = try row.decode(column: "match_id", as: String.self)
                    let entry = (try row.decode(column: "user_id", as: String.self), try row.decode(column: "score", as: Double.self))
                    let order = try row.decode(column: "order_key", as: String.self)
                    let at = try Self.date(row, "created_at", d)
                    rows[match, default: (order, at, [])].players.append(entry)
                }
                for (match, game) in rows where game.players.count == 2 {
                    let (a, b) = (game.players[0], game.players[1])
                    var replay = RatedGame(
                        matchID: match,
                        recordedAt: game.at,
                        stream: "",
                        playerA: a.user,
                        playerB: b.user,
                        winnerIsA: a.score > b.score
                    )
                    replay.orderKey = game.order
                    pending.append(replay)
                }
                pending.sort { $0.orderKey < $1.orderKey }
                try await db.delete(from: "rating_history").where("order_key", .greaterThan, earliest).run()
            }
            // The players' ratings as of before the earliest game to rate: their last remaining
            // history entry, or new.
            let players = Array(Set(pending.flatMap { [$0.playerA, $0.playerB] }))
            var current: [String: (rating: Glicko2.Rating, games: Int)] = [:]
            for player in players {
                let last = try await db.select().columns("rating_after", "deviation_after", "volatility_after").from("rating_history")
                    .where("user_id", .equal, player).orderBy("order_key", .descending).limit(1).first()
                let count =
                    try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("rating_history")
                    .where("user_id", .equal, player).first()?.decode(column: "n", as: Int.self) ?? 0
                current[player] = (try last.map { try Self.rating($0, "_after") } ?? .initial, count)
            }
            for game in pending {
                let a = current[game.playerA]!.rating
                let b = current[game.playerB]!.rating
                let scoreA = game.winnerIsA ? 1.0 : 0.0
                let newA = Glicko2.update(a, games: [.init(opponent: b, score: scoreA)])
                let newB = Glicko2.update(b, games: [.init(opponent: a, score: 1 - scoreA)])
                for (player, opponent, score, before, after) in [
                    (game.playerA, game.playerB, scoreA, a, newA), (game.playerB, game.playerA, 1 - scoreA, b, newB),
                ] {
                    let values: [any SQLExpression] = [
                        SQLBind("\(game.matchID):\(player)"), SQLBind(player), SQLBind(game.matchID), SQLBind(opponent), SQLBind(score),
                        SQLBind(game.orderKey), SQLBind(before.rating), SQLBind(before.deviation), SQLBind(before.volatility),
                        SQLBind(after.rating), SQLBind(after.deviation), SQLBind(after.volatility), d.bind(game.at),
                    ]
                    try await db.insert(into: "rating_history")
                        .columns(
                            "id",
                            "user_id",
                            "match_id",
                            "opponent_id",
                            "score",
                            "order_key",
                            "rating_before",
                            "deviation_before",
                            "volatility_before",
                            "rating_after",
                            "deviation_after",
                            "volatility_after",
                            "created_at"
                        )
                        .values(values)
                        .run()
                    current[player] = (after, current[player]!.games + 1)
                }
            }
            for (player, value) in current {
                let now = Date()
                try await db.insert(into: "ratings")
                    .columns("user_id", "rating", "deviation", "volatility", "games", "updated_at")
                    .values([
                        SQLBind(player), SQLBind(value.rating.rating), SQLBind(value.rating.deviation), SQLBind(value.rating.volatility),
                        SQLBind(value.games), d.bind(now),
                    ])
                    .onConflict(with: ["user_id"]) { update in
                        update.set(excludedValueOf: "rating").set(excludedValueOf: "deviation").set(excludedValueOf: "volatility")
                            .set(excludedValueOf: "games").set(excludedValueOf: "updated_at")
                    }
                    .run()
                try await db.insert(into: "profiles")
                    .columns("id", "user_id", "skill_rating", "created_at", "updated_at")
                    .values([SQLBind(player), SQLBind(player), SQLBind(Int(value.rating.rating.rounded())), d.bind(now), d.bind(now)])
                    .onConflict(with: ["user_id"]) { update in update.set(excludedValueOf: "skill_rating").set(excludedValueOf: "updated_at") }
                    .run()
            }
        }
    }

    /// A player's rating (nil: no rated game yet).
    public func rating(of userID: String) async throws -> PlayerRating? {
        let d = SchemaDialect(backend: backend)
        return try await withSQL { db in
            guard
                let row = try await db.select().columns("rating", "deviation", "volatility", "games", "updated_at").from("ratings")
                    .where("user_id", .equal, userID).first()
            else { return nil }
            return PlayerRating(
                userID: userID,
                rating: try Self.rating(row, ""),
                games: try row.decode(column: "games", as: Int.self),
                updatedAt: try Self.date(row, "updated_at", d)
            )
        }
    }

    /// A player's rated games, newest first.
    public func ratingHistory(of userID: String, limit: Int) async throws -> [RatingHistoryEntry] {
        let d = SchemaDialect(backend: backend)
        return try await withSQL { db in
            try await db.select()
                .columns(
                    "match_id",
                    "opponent_id",
                    "score",
                    "rating_before",
                    "deviation_before",
                    "volatility_before",
                    "rating_after",
                    "deviation_after",
                    "volatility_after",
                    "created_at"
                )
                .from("rating_history").where("user_id", .equal, userID).orderBy("order_key", .descending).limit(limit).all()
                .map { row in
                    RatingHistoryEntry(
                        matchID: try row.decode(column: "match_id", as: String.self),
                        opponentID: try row.decode(column: "opponent_id", as: String.self),
                        score: try row.decode(column: "score", as: Double.self),
                        before: try Self.rating(row, "_before"),
                        after: try Self.rating(row, "_after"),
                        at: try Self.date(row, "created_at", d)
                    )
                }
        }
    }

    /// The rating in the columns `rating{suffix}`, `deviation{suffix}`, `volatility{suffix}`.
    static func rating(_ row: any SQLRow, _ suffix: String) throws -> Glicko2.Rating {
        Glicko2.Rating(
            rating: try row.decode(column: "rating\(suffix)", as: Double.self),
            deviation: try row.decode(column: "deviation\(suffix)", as: Double.self),
            volatility: try row.decode(column: "volatility\(suffix)", as: Double.self)
        )
    }

    /// A timestamp column on either backend (SQLite keeps ISO-8601 text).
    static func date(_ row: any SQLRow, _ column: String, _ d: SchemaDialect) throws -> Date {
        if d.isPostgres { return try row.decode(column: column, as: Date.self) }
        let text = try row.decode(column: column, as: String.self)
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? Date(timeIntervalSince1970: 0)
    }
}

extension Schema {
    /// Migration 13: Glicko-2 ratings (docs/ratings.md) and every rated game of every player.
    @Sendable static func createRatings(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "ratings")
            .column("user_id", type: .text, .primaryKey(autoIncrement: false), .notNull, .references("users", "id", onDelete: .cascade))
            .column("rating", type: d.double, .notNull)
            .column("deviation", type: d.double, .notNull)
            .column("volatility", type: d.double, .notNull)
            .column("games", type: .int, .notNull)
            .column("updated_at", type: d.timestamp, .notNull)
            .run()
        try await db.create(table: "rating_history")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("user_id", type: .text, .notNull, .references("users", "id", onDelete: .cascade))
            .column("match_id", type: .text, .notNull)
            .column("opponent_id", type: .text, .notNull)
            .column("score", type: d.double, .notNull)
            .column("order_key", type: .text, .notNull)
            .column("rating_before", type: d.double, .notNull)
            .column("deviation_before", type: d.double, .notNull)
            .column("volatility_before", type: d.double, .notNull)
            .column("rating_after", type: d.double, .notNull)
            .column("deviation_after", type: d.double, .notNull)
            .column("volatility_after", type: d.double, .notNull)
            .column("created_at", type: d.timestamp, .notNull)
            .run()
        try await db.create(index: "idx_rating_history_user").on("rating_history").column("user_id").column("order_key").run()
        try await db.create(index: "idx_rating_history_order").on("rating_history").column("order_key").run()
        try await db.create(index: "idx_rating_history_match").on("rating_history").column("match_id").run()
    }
}
