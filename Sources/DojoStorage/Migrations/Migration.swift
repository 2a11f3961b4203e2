import Foundation
public import SQLKit

/// One versioned schema change, applied once per database and recorded in `schema_migrations`.
public struct Migration: Sendable {
    /// A migration's identity.
    public struct Descriptor: Sendable, Hashable, CustomStringConvertible {
        /// Strictly increasing version.
        public var version: Int
        /// Short snake-case name.
        public var name: String

        /// Creates a descriptor.
        public init(version: Int, name: String) {
            self.version = version
            self.name = name
        }

        public var description: String { "\(version)_\(name)" }
    }

    /// The version and name.
    public var descriptor: Descriptor
    /// Applies the change inside the migration transaction.
    public var apply: @Sendable (any SQLDatabase, SchemaDialect) async throws -> Void

    /// Creates a migration.
    public init(
        version: Int,
        name: String,
        apply: @escaping @Sendable (any SQLDatabase, SchemaDialect) async throws -> Void
    ) {
        self.descriptor = Descriptor(version: version, name: name)
        self.apply = apply
    }

    /// Every migration this binary knows, in order.
    public static let all: [Migration] = [
        Migration(version: 1, name: "event_log", apply: Schema.createEventLog),
        Migration(version: 2, name: "records", apply: Schema.createRecords),
        Migration(version: 3, name: "consumer_positions", apply: Schema.createConsumerPositions),
        Migration(version: 4, name: "refresh_tokens", apply: Schema.createRefreshTokens),
        Migration(version: 5, name: "devices", apply: Schema.createDevices),
        Migration(version: 6, name: "login_codes", apply: Schema.createLoginCodes),
        Migration(version: 7, name: "claims", apply: Schema.createClaims),
        Migration(version: 8, name: "territory_names", apply: Schema.addTerritoryNames),
        Migration(version: 9, name: "timers", apply: Schema.createTimers),
        Migration(version: 10, name: "challenges", apply: Schema.createChallenges),
        Migration(version: 11, name: "wallet_proofs", apply: Schema.addWalletProofs),
        Migration(version: 12, name: "tournament_index", apply: Schema.indexTournaments),
        Migration(version: 13, name: "ratings", apply: Schema.createRatings),
        Migration(version: 14, name: "match_player_stats", apply: Schema.createMatchPlayerStats),
        Migration(version: 15, name: "achievements_catalog", apply: Schema.seedAchievements),
        Migration(version: 16, name: "notification_deliveries", apply: Schema.createNotificationDeliveries),
        Migration(version: 17, name: "partners", apply: Schema.createPartners),
        Migration(version: 18, name: "shot_frames", apply: Schema.createShotFrames),
        Migration(version: 19, name: "partner_formats", apply: Schema.addPartnerFormats),
    ]
}

/// The column types and defaults that differ between the backends; everything else is SQLKit's.
public struct SchemaDialect: Sendable {
    /// The backend.
    public let backend: StorageBackend

    /// Creates the dialect helper for `backend`.
    public init(backend: StorageBackend) { self.backend = backend }

    var isPostgres: Bool { backend == .postgres }
    /// A JSON document: `JSONB` on Postgres (validated, queryable), `TEXT` on SQLite.
    var json: SQLDataType { .custom(SQLRaw(isPostgres ? "JSONB" : "TEXT")) }
    /// An instant: `TIMESTAMPTZ` on Postgres, ISO-8601 `TEXT` on SQLite (what its date functions read).
    var timestamp: SQLDataType { .custom(SQLRaw(isPostgres ? "TIMESTAMPTZ" : "TEXT")) }
    /// Bytes.
    var bytes: SQLDataType { .custom(SQLRaw(isPostgres ? "BYTEA" : "BLOB")) }
    /// A boolean.
    var boolean: SQLDataType { .custom(SQLRaw("BOOLEAN")) }
    /// A double-precision float.
    var double: SQLDataType { .custom(SQLRaw(isPostgres ? "DOUBLE PRECISION" : "REAL")) }
    /// The current instant as a column default.
    var now: any SQLExpression { SQLRaw(isPostgres ? "now()" : "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))") }
    /// The empty JSON object as a column default.
    var emptyObject: any SQLExpression { SQLRaw(isPostgres ? "'{}'::jsonb" : "'{}'") }

    /// A bound instant, stored as the column type above expects (ISO-8601 with milliseconds on SQLite).
    func bind(_ date: Date) -> any SQLExpression {
        isPostgres ? SQLBind(date) : SQLBind(date.formatted(Self.iso8601Milliseconds))
    }

    /// A bound JSON document (text that is already valid JSON).
    func bindJSON(_ json: String) -> any SQLExpression {
        isPostgres ? SQLQueryString("CAST(\(bind: json) AS JSONB)") : SQLBind(json)
    }

    private static let iso8601Milliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
