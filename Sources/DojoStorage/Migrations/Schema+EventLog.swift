import SQLKit

/// The schema's migrations, one static function each.
enum Schema {
    /// Migration 1: the actor event log and snapshots.
    ///
    /// - `event_streams` holds each stream's head; the conditional append updates it only when it
    ///   still holds the expected sequence, which is what fences a stale writer.
    /// - `events` holds the events, keyed by (stream, seq), so a gap or duplicate is impossible.
    /// - `snapshots` holds the latest snapshot per stream.
    @Sendable static func createEventLog(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "event_streams")
            .column("stream", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("last_seq", type: .bigint, .notNull)
            .column("updated_at", type: d.timestamp, .notNull)
            .run()
        try await db.create(table: "events")
            .column("stream", type: .text, .notNull)
            .column("seq", type: .bigint, .notNull)
            .column("type", type: .text, .notNull)
            .column("payload", type: d.json, .notNull)
            .column("recorded_at", type: d.timestamp, .notNull)
            .primaryKey("stream", "seq")
            .run()
        try await db.create(table: "snapshots")
            .column("stream", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("seq", type: .bigint, .notNull)
            .column("format_version", type: .int, .notNull)
            .column("state", type: d.bytes, .notNull)
            .column("taken_at", type: d.timestamp, .notNull)
            .run()
    }
}

extension Schema {
    /// Migration 3: how far each consumer of the log (reactions, projections) has processed each
    /// stream. A consumer resumes from here after a crash; what it handles again is idempotent.
    @Sendable static func createConsumerPositions(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "consumer_positions")
            .column("consumer", type: .text, .notNull)
            .column("stream", type: .text, .notNull)
            .column("position", type: .bigint, .notNull)
            .column("updated_at", type: d.timestamp, .notNull)
            .primaryKey("consumer", "stream")
            .run()
    }
}

extension Schema {
    /// Migration 4: refresh tokens, stored only as the SHA-256 of the token. A family is the chain
    /// of tokens one login produced by rotation; presenting a used token revokes the family.
    @Sendable static func createRefreshTokens(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "refresh_tokens")
            .column("token_hash", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("family", type: .text, .notNull)
            .column("user_id", type: .text, .notNull, .references("users", "id", onDelete: .cascade))
            .column("expires_at", type: d.timestamp, .notNull)
            .column("used_at", type: d.timestamp)
            .column("revoked_at", type: d.timestamp)
            .column("created_at", type: d.timestamp, .notNull)
            .run()
        try await db.create(index: "refresh_tokens_family").on("refresh_tokens").column("family").run()
    }
}

extension Schema {
    /// Migration 5: camera and edge devices, each bound to one table of one venue and known by its
    /// Ed25519 public key. Venue and table are the ids the venue actor knows (its records are a
    /// projection, so no foreign key that could lag behind the actor).
    @Sendable static func createDevices(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "devices")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("venue_id", type: .text, .notNull)
            .column("table_id", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("public_key", type: .text, .notNull, .unique)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: d.timestamp, .notNull)
            .column("revoked_at", type: d.timestamp)
            .run()
        try await db.create(index: "devices_venue").on("devices").column("venue_id").run()
    }
}

extension Schema {
    /// Migration 6: one-time email login codes, stored only as a salted SHA-256, with their expiry
    /// and the wrong attempts so far (one live code per email: a new one replaces it).
    @Sendable static func createLoginCodes(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "login_codes")
            .column("email", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("code_hash", type: .text, .notNull)
            .column("salt", type: .text, .notNull)
            .column("attempts", type: .int, .notNull)
            .column("expires_at", type: d.timestamp, .notNull)
            .column("created_at", type: d.timestamp, .notNull)
            .run()
    }
}

extension Schema {
    /// Migration 7: claims (a unique key per scope, held by one owner: clan names, a player's clan).
    @Sendable static func createClaims(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "claims")
            .column("scope", type: .text, .notNull)
            .column("key", type: .text, .notNull)
            .column("owner", type: .text, .notNull)
            .column("claimed_at", type: .bigint, .notNull)
            .primaryKey("scope", "key")
            .run()
    }
}

extension Schema {
    /// Migration 8: a territory's display name (the map shows it; the seed's model has none).
    @Sendable static func addTerritoryNames(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.alter(table: "territories").column("name", type: .text).run()
    }
}

extension Schema {
    /// Migration 9: the runtime's durable timers, and a clan's war wins (the leaderboard's).
    @Sendable static func createTimers(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "timers")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("stream", type: .text, .notNull)
            .column("command", type: .text, .notNull)
            .column("due_at", type: .bigint, .notNull)
            .column("attempts", type: .int, .notNull, .default(0))
            .column("lease_owner", type: .text)
            .column("lease_until", type: .bigint)
            .column("created_at", type: .bigint, .notNull)
            .run()
        try await db.create(index: "idx_timers_due_at").on("timers").column("due_at").run()
        try await db.alter(table: "clans").column("war_wins", type: .int, .notNull, .default(0)).run()
    }
}
