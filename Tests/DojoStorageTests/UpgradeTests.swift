import DojoTesting
import Foundation
import SQLKit
import Testing

@testable import DojoStorage

@Suite("Upgrades")
struct UpgradeTests {
    @Test(
        "migration 17 starts the partners' feed at the log's head: an upgraded server does not read its whole log for it",
        arguments: Backend.allCases
    )
    func partnersFeedStartsAtTheHead(_ backend: Backend) async throws {
        try await withFreshStorage(backend, migrated: false) { storage, _ in
            let dialect = SchemaDialect(backend: storage.backend)
            _ = try await storage.withSQL { db in
                try await Migrator.migrate(db, dialect: dialect, migrations: Array(Migration.all.prefix(16)), logger: testLogger)
            }
            _ = try await storage.append(
                [
                    AppendRequest(stream: "match:old", expectedSequence: 0, events: (1...3).map { NewEvent(type: "t\($0)", payload: "{}") }),
                    AppendRequest(stream: "venue:old", expectedSequence: 0, events: [NewEvent(type: "v", payload: "{}")]),
                ],
                at: Date()
            )
            #expect(try await storage.migrate(logger: testLogger).map(\.version).first == 17)
            let positions = try await storage.consumerPositions(consumer: "hook.partners", streams: ["match:old", "venue:old"])
            #expect(positions == ["match:old": 3, "venue:old": 1])
        }
    }
}
