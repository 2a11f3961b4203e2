public import DojoStorage
import Foundation
public import Logging
import SQLKit

/// The storage backends every integration test runs against.
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

/// A quiet logger for tests (warnings and worse).
public let testLogger: Logger = {
    var logger = Logger(label: "dojopool.test")
    logger.logLevel = .warning
    return logger
}()

/// Runs `body` with a fresh, empty storage of `backend` (its own SQLite file or its own Postgres
/// database), running as a service. Returns without running `body` when Postgres is not configured
/// locally; in CI that is a failure.
///
/// `open` opens a second handle on the same database (a second node, or a restart).
public func withFreshStorage(
    _ backend: Backend,
    migrated: Bool = true,
    _ body: @Sendable (any Storage, _ open: @Sendable () async throws -> any Storage) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        let path = try TestServices.temporaryDirectory() + "/dojo.sqlite"
        let open: @Sendable () async throws -> any Storage = { try await SQLiteStorage.open(path: path, logger: testLogger) }
        let storage = try await open()
        try await withRunningServices([storage]) {
            if migrated { _ = try await storage.migrate(logger: testLogger) }
            try await body(storage, open)
        }
    case .postgres:
        guard let admin = try TestServices.postgresURL() else { return }
        try await PostgresTestDatabase.with(adminURL: admin) { url in
            let open: @Sendable () async throws -> any Storage = { try PostgresStorage(url: url, logger: testLogger) }
            let storage = try await open()
            try await withRunningServices([storage]) {
                if migrated { _ = try await storage.migrate(logger: testLogger) }
                try await body(storage, open)
            }
        }
    }
}

/// Inserts users into the records (accounts come with the identity issue; tests need players).
public func seedUsers(_ ids: [String], in storage: any Storage) async throws {
    try await storage.withSQL { db in
        for id in ids {
            try await db.raw(
                """
                INSERT INTO users (id, email, username, password_hash, created_at, updated_at)
                VALUES (\(bind: id), \(bind: id + "@example.test"), \(bind: id), 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
                """
            ).run()
        }
    }
}
