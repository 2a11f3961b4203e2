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

    @Test(
        "import --legacy as an operator runs it: a legacy SQLite database into a new one, with its report as JSON; wrong combinations of options are refused"
    )
    func legacyCommand() async throws {
        let directory = try TestServices.temporaryDirectory()
        let legacyPath = directory + "/legacy.sqlite"
        let legacy = try await SQLiteStorage.open(path: legacyPath, logger: Logger(label: "test"))
        try await withRunningServices([legacy]) {
            let fixture = LegacyFixture(storage: legacy)
            try await fixture.createSchema()
            let at = LegacyFixture.Value.time(Date(timeIntervalSince1970: 1_717_236_000))
            try await fixture.insert(
                "User",
                ["ann", "ben"].map { id in
                    [
                        "id": .text(id), "email": .text("\(id)@legacy.example"), "username": .text("player-\(id)"), "passwordHash": .text("$2b$x"),
                        "role": .text("USER"), "createdAt": at, "updatedAt": at,
                    ]
                }
            )
            try await fixture.insert(
                "Match",
                [
                    [
                        "id": .text("old1"), "playerAId": .text("ann"), "playerBId": .text("ben"), "status": .text("COMPLETED"),
                        "scoreA": .number(2), "scoreB": .number(0), "createdAt": at, "updatedAt": at,
                    ]
                ]
            )
        }
        let target = directory + "/target.sqlite"
        let reportPath = directory + "/report.json"
        let imported = try await DojoPoolExecutable.run(
            ["import", "--legacy", "sqlite:" + legacyPath, "--report", reportPath],
            environment: ["DOJO_DATABASE_SQLITE_PATH": target]
        )
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("User: read 2, written 2"), "\(imported.standardOutput)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any]
        let tables = report?["tables"] as? [[String: Any]] ?? []
        #expect(tables.first { $0["name"] as? String == "Match" }?["written"] as? Int == 1, "\(tables)")
        // The match is in the target's log, completed 2–0.
        let storage = try await SQLiteStorage.open(path: target, logger: Logger(label: "test"))
        try await withRunningServices([storage]) {
            let events = try await storage.readEvents(stream: "match:old1", after: 0, limit: 100)
            #expect(events.last?.type == "match.completed", "\(events.map(\.type))")
        }
        let both = try await DojoPoolExecutable.run(["import", "--legacy", "sqlite:" + legacyPath, "--from", directory])
        #expect(both.status != 0 && both.standardError.contains("either --from"), "\(both.standardError)")
        let forced = try await DojoPoolExecutable.run(["import", "--legacy", "sqlite:" + legacyPath, "--force"])
        #expect(forced.status != 0 && forced.standardError.contains("--force goes with --from"), "\(forced.standardError)")
    }
}
