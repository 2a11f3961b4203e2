import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import Logging
import SQLKit
import Testing

/// `dojopool copy`, `export` and `import` as an operator runs them (docs/operations.md).
@Suite("Backup, restore and copy commands")
struct TransferCommandTests {
    @Test(
        "copy a SQLite database with play into Postgres (verified; a second copy is refused, --force replaces); export it and import into a new SQLite"
    )
    func commands() async throws {
        guard let admin = try TestServices.postgresURL() else { return }
        let directory = try TestServices.temporaryDirectory()
        let sqlite = directory + "/source.sqlite"
        // A database with a player's history: users, a match's events, its rating.
        let source = try await SQLiteStorage.open(path: sqlite, logger: Logger(label: "test"))
        try await withRunningServices([source]) {
            _ = try await source.migrate(logger: Logger(label: "test"))
            try await seedUsers(["pa", "pb"], in: source)
            _ = try await source.append(
                [
                    AppendRequest(
                        stream: "match:cm",
                        expectedSequence: 0,
                        events: ["match.created", "match.started", "match.completed"].map { NewEvent(type: $0, payload: #"{"é":1}"#) }
                    )
                ],
                at: Date()
            )
            try await source.rate([RatedGame(matchID: "cm", recordedAt: Date(), stream: "match:cm", playerA: "pa", playerB: "pb", winnerIsA: true)])
        }
        try await PostgresTestDatabase.with(adminURL: admin) { postgres in
            let copied = try await DojoPoolExecutable.run(["copy", "--from", "sqlite:" + sqlite, "--to", postgres])
            #expect(copied.status == 0, "\(copied.standardError)")
            #expect(copied.standardOutput.contains("from sqlite to postgres, verified"), "\(copied.standardOutput)")
            let again = try await DojoPoolExecutable.run(["copy", "--from", "sqlite:" + sqlite, "--to", postgres])
            #expect(again.status != 0 && again.standardError.contains("--force"), "\(again.standardError)")
            #expect(try await DojoPoolExecutable.run(["copy", "--from", "sqlite:" + sqlite, "--to", postgres, "--force"]).status == 0)

            let export = directory + "/backup"
            let exported = try await DojoPoolExecutable.run(["export", "--out", export], environment: ["DOJO_DATABASE_URL": postgres])
            #expect(exported.status == 0, "\(exported.standardError)")
            let restored = directory + "/restored.sqlite"
            let imported = try await DojoPoolExecutable.run(["import", "--from", export], environment: ["DOJO_DATABASE_SQLITE_PATH": restored])
            #expect(imported.status == 0 && imported.standardOutput.contains("verified"), "\(imported.standardError)")
            // The restored database serves the match from its log.
            let storage = try await SQLiteStorage.open(path: restored, logger: Logger(label: "test"))
            try await withRunningServices([storage]) {
                let events = try await storage.readEvents(stream: "match:cm", after: 0, limit: 100)
                #expect(events.last?.type == "match.completed")
                let rated = try await storage.withSQL { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM rating_history").first()?.decode(column: "n", as: Int.self) ?? 0
                }
                #expect(rated == 2)
                #expect(events.count == 3)
            }
        }
    }
}
