import Logging
import SQLKit

/// Applies migrations on one connection, in one transaction, recording each in `schema_migrations`.
///
/// The whole pass (read what is applied, apply what is pending) runs in a single transaction that
/// first takes an exclusive lock (`pg_advisory_xact_lock` on Postgres, `BEGIN IMMEDIATE` on SQLite),
/// so two nodes starting at once serialize: the second finds nothing pending. Any failure rolls the
/// whole pass back.
enum Migrator {
    /// The advisory lock key on Postgres (`"dojo"` as an integer).
    static let advisoryLockKey: Int64 = 0x646F_6A6F

    static func migrate(
        _ db: any SQLDatabase,
        dialect: SchemaDialect,
        migrations: [Migration] = Migration.all,
        logger: Logger
    ) async throws -> [Migration.Descriptor] {
        try await db.exec(dialect.isPostgres ? "BEGIN" : "BEGIN IMMEDIATE")
        do {
            if dialect.isPostgres {
                try await db.exec("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
            }
            try await db.create(table: "schema_migrations")
                .ifNotExists()
                .column("version", type: .bigint, .primaryKey(autoIncrement: false), .notNull)
                .column("name", type: .text, .notNull)
                .column("applied_at", type: dialect.timestamp, .notNull, .default(dialect.now))
                .run()
            let applied = try await readApplied(db)
            try check(applied: applied, known: migrations.map(\.descriptor))
            let pending = migrations.dropFirst(applied.count)
            for migration in pending {
                logger.info("applying migration", metadata: ["migration": "\(migration.descriptor)"])
                try await migration.apply(db, dialect)
                try await db.insert(into: "schema_migrations")
                    .columns("version", "name")
                    .values(SQLBind(migration.descriptor.version), SQLBind(migration.descriptor.name))
                    .run()
            }
            try await db.exec("COMMIT")
            return pending.map(\.descriptor)
        } catch {
            try? await db.exec("ROLLBACK")
            if let error = error as? StorageError { throw error }
            logger.error("migration failed", metadata: ["error": "\(String(reflecting: error))"])
            throw StorageError(.migration, "migration failed: \(error)")
        }
    }

    /// The applied migrations, or none when the table does not exist yet.
    static func applied(_ db: any SQLDatabase, dialect: SchemaDialect) async throws -> [Migration.Descriptor] {
        let exists =
            dialect.isPostgres
            ? "SELECT 1 AS present FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"
            : "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        guard try await db.execute(SQLRaw(exists)).isEmpty == false else { return [] }
        return try await readApplied(db)
    }

    private static func readApplied(_ db: any SQLDatabase) async throws -> [Migration.Descriptor] {
        try await db.select().columns("version", "name").from("schema_migrations").orderBy("version").all()
            .map { row in
                Migration.Descriptor(
                    version: try row.decode(column: "version", as: Int.self),
                    name: try row.decode(column: "name", as: String.self)
                )
            }
    }

    /// The applied list must be a prefix of the known list: anything else is a database written by
    /// another (newer or diverged) binary, which this one must not touch.
    static func check(applied: [Migration.Descriptor], known: [Migration.Descriptor]) throws {
        guard applied.count <= known.count, Array(known.prefix(applied.count)) == applied else {
            throw StorageError(
                .migration,
                "the database has migrations this binary does not know (\(applied.map(\.description)) vs \(known.map(\.description))); run a newer dojopool"
            )
        }
    }
}

extension SQLDatabase {
    /// Runs a statement that returns no rows.
    func exec(_ sql: String) async throws {
        try await execute(sql: SQLRaw(sql)) { _ in }
    }

    /// Runs a statement and collects its rows.
    func execute(_ query: any SQLExpression) async throws -> [any SQLRow] {
        let rows = RowCollector()
        try await execute(sql: query) { rows.append($0) }
        return rows.rows
    }
}

/// Collects rows from SQLKit's row callback.
private final class RowCollector: @unchecked Sendable {
    // Safe: SQLKit calls the row callback serially, and `rows` is read only after the query completed.
    var rows: [any SQLRow] = []
    func append(_ row: any SQLRow) { rows.append(row) }
}
