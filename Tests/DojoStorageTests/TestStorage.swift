import DojoStorage
import DojoTesting
import Foundation
import Logging

/// The backends every contract test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

import Testing

let testLogger: Logger = {
    var logger = Logger(label: "dojopool.test")
    logger.logLevel = .warning
    return logger
}()

/// Runs `body` with a fresh, empty storage of `backend` (its own SQLite file or its own Postgres
/// database), running as a service. Returns without running `body` when Postgres is not configured
/// locally; in CI that is a failure.
func withFreshStorage(
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

func event(_ n: Int) -> NewEvent {
    NewEvent(type: "TestEvent", payload: #"{"n":\#(n),"text":"ünïcødé ✓ '; DROP TABLE events;--"}"#)
}
