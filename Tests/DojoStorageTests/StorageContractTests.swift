import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The storage contract: every test runs on SQLite and on Postgres.
@Suite("Storage contract")
struct StorageContractTests {
    @Test("migrations apply from empty, once, and record themselves", arguments: Backend.allCases)
    func migrationsFromEmpty(_ backend: Backend) async throws {
        try await withFreshStorage(backend, migrated: false) { storage, _ in
            #expect(try await storage.appliedMigrations() == [])
            let applied = try await storage.migrate(logger: testLogger)
            #expect(applied == Migration.all.map(\.descriptor))
            #expect(try await storage.migrate(logger: testLogger) == [])
            #expect(try await storage.appliedMigrations() == Migration.all.map(\.descriptor))
        }
    }

    @Test("two nodes migrating at once apply each migration exactly once", arguments: Backend.allCases)
    func concurrentMigrations(_ backend: Backend) async throws {
        try await withFreshStorage(backend, migrated: false) { storage, open in
            let other = try await open()
            try await withRunningServices([other]) {
                async let first = storage.migrate(logger: testLogger)
                async let second = other.migrate(logger: testLogger)
                let (a, b) = try await (first, second)
                #expect(a.count + b.count == Migration.all.count)
                #expect(try await storage.appliedMigrations() == Migration.all.map(\.descriptor))
            }
        }
    }

    @Test("append and read back", arguments: Backend.allCases)
    func appendAndRead(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let now = Date(timeIntervalSince1970: 1_790_000_000.123456)
            let results = try await storage.append(
                [AppendRequest(stream: "match:a1", expectedSequence: 0, events: [event(1), event(2), event(3)])],
                at: now
            )
            #expect(try results[0].get() == AppendResult(stream: "match:a1", firstSequence: 1, lastSequence: 3))
            #expect(try await storage.lastSequence(of: "match:a1") == 3)
            #expect(try await storage.lastSequence(of: "match:none") == 0)

            let all = try await storage.readEvents(stream: "match:a1", after: 0, limit: 100)
            #expect(all.map(\.sequence) == [1, 2, 3])
            #expect(all.map(\.type) == ["TestEvent", "TestEvent", "TestEvent"])
            let payload = try JSONSerialization.jsonObject(with: Data(all[0].payload.utf8)) as? [String: Any]
            #expect(payload?["n"] as? Int == 1)
            #expect(payload?["text"] as? String == "ünïcødé ✓ '; DROP TABLE events;--")
            #expect(abs(all[0].recordedAt.timeIntervalSince(now)) < 0.000_002)

            #expect(try await storage.readEvents(stream: "match:a1", after: 1, limit: 1).map(\.sequence) == [2])
            #expect(try await storage.readEvents(stream: "match:a1", after: 3, limit: 10).isEmpty)

            let more = try await storage.append([AppendRequest(stream: "match:a1", expectedSequence: 3, events: [event(4)])], at: now)
            #expect(try more[0].get() == AppendResult(stream: "match:a1", firstSequence: 4, lastSequence: 4))
        }
    }

    @Test("a stale append is refused with a conflict and writes nothing", arguments: Backend.allCases)
    func staleAppend(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            _ = try await storage.append([AppendRequest(stream: "match:s", expectedSequence: 0, events: [event(1)])], at: Date())
            for expected: Int64 in [0, 2, 7] {
                let results = try await storage.append(
                    [AppendRequest(stream: "match:s", expectedSequence: expected, events: [event(9), event(10)])],
                    at: Date()
                )
                guard case .failure(let error) = results[0] else {
                    Issue.record("a stale append at \(expected) succeeded")
                    continue
                }
                #expect(error.code == .conflict)
                #expect(error.expectedSequence == expected)
                #expect(error.actualSequence == 1)
            }
            #expect(try await storage.readEvents(stream: "match:s", after: 0, limit: 10).count == 1)
            #expect(try await storage.lastSequence(of: "match:s") == 1)
            // An append to a stream that does not exist, expecting it at 3, is a conflict too.
            let missing = try await storage.append([AppendRequest(stream: "match:new", expectedSequence: 3, events: [event(1)])], at: Date())
            #expect(throws: StorageError.self) { try missing[0].get() }
            #expect(try await storage.lastSequence(of: "match:new") == 0)
        }
    }

    @Test("one batch: the conflicting request fails alone, the others are written", arguments: Backend.allCases)
    func mixedBatch(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            _ = try await storage.append([AppendRequest(stream: "match:m2", expectedSequence: 0, events: [event(1)])], at: Date())
            let results = try await storage.append(
                [
                    AppendRequest(stream: "match:m1", expectedSequence: 0, events: [event(1)]),
                    AppendRequest(stream: "match:m2", expectedSequence: 0, events: [event(2)]),  // stale
                    AppendRequest(stream: "match:m3", expectedSequence: 0, events: [event(1), event(2)]),
                    AppendRequest(stream: "match:m4", expectedSequence: 5, events: [event(1)]),  // stale
                ],
                at: Date()
            )
            #expect((try? results[0].get()) == AppendResult(stream: "match:m1", firstSequence: 1, lastSequence: 1))
            #expect((try? results[1].get()) == nil)
            #expect((try? results[2].get()) == AppendResult(stream: "match:m3", firstSequence: 1, lastSequence: 2))
            #expect((try? results[3].get()) == nil)
            #expect(try await storage.lastSequence(of: "match:m2") == 1)
            #expect(try await storage.readEvents(stream: "match:m2", after: 0, limit: 10).count == 1)
            #expect(try await storage.lastSequence(of: "match:m4") == 0)
        }
    }

    @Test("a batch naming a stream twice, or holding an invalid request, is refused whole", arguments: Backend.allCases)
    func invalidBatch(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            for batch in [
                [
                    AppendRequest(stream: "match:d", expectedSequence: 0, events: [event(1)]),
                    AppendRequest(stream: "match:d", expectedSequence: 1, events: [event(2)]),
                ],
                [
                    AppendRequest(stream: "match:d", expectedSequence: 0, events: [event(1)]),
                    AppendRequest(stream: "match:e", expectedSequence: 0, events: [NewEvent(type: "T", payload: "{oops")]),
                ],
            ] {
                let error = await #expect(throws: StorageError.self) { try await storage.append(batch, at: Date()) }
                #expect(error?.code == .invalidRequest)
            }
            let head = try await storage.lastSequence(of: "match:d")
            #expect(head == 0)
        }
    }

    @Test("two writers to one stream: exactly one wins each round, no gap, no duplicate", arguments: Backend.allCases)
    func concurrentWriters(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, open in
            let other = try await open()
            try await withRunningServices([other]) {
                var head: Int64 = 0
                for round in 0..<25 {
                    let expected = head
                    async let a = storage.append(
                        [AppendRequest(stream: "match:race", expectedSequence: expected, events: [event(round)])],
                        at: Date()
                    )
                    async let b = other.append(
                        [AppendRequest(stream: "match:race", expectedSequence: expected, events: [event(round + 1000)])],
                        at: Date()
                    )
                    let outcomes = try await [a[0], b[0]]
                    let winners = outcomes.filter { (try? $0.get()) != nil }
                    #expect(winners.count == 1, "round \(round)")
                    for case .failure(let error) in outcomes { #expect(error.code == .conflict) }
                    head += 1
                }
                let events = try await storage.readEvents(stream: "match:race", after: 0, limit: 100)
                #expect(events.map(\.sequence) == Array(1...25))
            }
        }
    }

    @Test("snapshots round-trip, and an older one never replaces a newer one", arguments: Backend.allCases)
    func snapshots(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            #expect(try await storage.loadSnapshot(stream: "venue:v1") == nil)
            let taken = Date(timeIntervalSince1970: 1_790_000_000.5)
            let bytes: [UInt8] = Array(0...255) + Array("{\"state\":1}".utf8)
            let snapshot = Snapshot(stream: "venue:v1", sequence: 10, formatVersion: 3, state: bytes, takenAt: taken)
            try await storage.saveSnapshot(snapshot)
            #expect(try await storage.loadSnapshot(stream: "venue:v1") == snapshot)

            try await storage.saveSnapshot(Snapshot(stream: "venue:v1", sequence: 4, formatVersion: 3, state: [1], takenAt: taken))
            #expect(try await storage.loadSnapshot(stream: "venue:v1") == snapshot)

            let newer = Snapshot(stream: "venue:v1", sequence: 12, formatVersion: 4, state: [], takenAt: taken)
            try await storage.saveSnapshot(newer)
            #expect(try await storage.loadSnapshot(stream: "venue:v1") == newer)
        }
    }

    @Test("the records schema keeps the seed's uniqueness and cascades", arguments: Backend.allCases)
    func recordsSchema(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await storage.withSQL { db in
                try await db.insert(into: "users").columns("id", "email", "username", "password_hash")
                    .values(SQLBind("u1"), SQLBind("a@example.com"), SQLBind("alice"), SQLBind("x")).run()
                try await db.insert(into: "profiles").columns("id", "user_id").values(SQLBind("p1"), SQLBind("u1")).run()
                try await db.insert(into: "venues").columns("id", "name", "lat", "lng", "owner_id")
                    .values(SQLBind("v1"), SQLBind("Dojo"), SQLBind(51.5), SQLBind(-0.1), SQLBind("u1")).run()
                try await db.insert(into: "venue_tables").columns("id", "venue_id", "name").values(SQLBind("t1"), SQLBind("v1"), SQLBind("T1")).run()

                // Uniqueness: the same email again is refused.
                await #expect(throws: (any Error).self) {
                    try await db.insert(into: "users").columns("id", "email", "username", "password_hash")
                        .values(SQLBind("u2"), SQLBind("a@example.com"), SQLBind("bob"), SQLBind("x")).run()
                }
                // Enumerations: a status outside the enum is refused.
                await #expect(throws: (any Error).self) {
                    try await db.insert(into: "venue_tables").columns("id", "venue_id", "name", "status")
                        .values(SQLBind("t2"), SQLBind("v1"), SQLBind("T2"), SQLBind("BROKEN")).run()
                }
                // Relations: a table of a venue that does not exist is refused.
                await #expect(throws: (any Error).self) {
                    try await db.insert(into: "venue_tables").columns("id", "venue_id", "name")
                        .values(SQLBind("t3"), SQLBind("nope"), SQLBind("T3")).run()
                }
                let status = try await db.select().column("status").from("venue_tables").where("id", .equal, SQLBind("t1")).first()
                #expect(try status?.decode(column: "status", as: String.self) == "AVAILABLE")

                // Cascades: deleting the venue deletes its tables; deleting the user deletes the profile
                // and sets the (optional) venue owner to null.
                try await db.delete(from: "venues").where("id", .equal, SQLBind("v1")).run()
                #expect(try await db.select().column("id").from("venue_tables").all().isEmpty)
                try await db.insert(into: "venues").columns("id", "name", "lat", "lng", "owner_id")
                    .values(SQLBind("v2"), SQLBind("Dojo 2"), SQLBind(1.0), SQLBind(2.0), SQLBind("u1")).run()
                try await db.delete(from: "users").where("id", .equal, SQLBind("u1")).run()
                #expect(try await db.select().column("id").from("profiles").all().isEmpty)
                let owner = try await db.select().column("owner_id").from("venues").where("id", .equal, SQLBind("v2")).first()
                #expect(try owner?.decode(column: "owner_id", as: String?.self) == nil)
            }
        }
    }

    @Test("every model of the seed has its table", arguments: Backend.allCases)
    func everySeedTable(_ backend: Backend) async throws {
        let tables = [
            "users", "profiles", "user_settings", "venues", "venue_tables", "check_ins", "clans", "clan_members",
            "territories", "territory_events", "tournaments", "tournament_participants", "matches", "match_events",
            "challenges", "wallets", "transactions", "nfts", "user_nfts", "achievements", "user_achievements",
            "notifications", "audit_logs",
        ]
        try await withFreshStorage(backend) { storage, _ in
            try await storage.withSQL { db in
                for table in tables {
                    _ = try await db.select().column(SQLLiteral.all).from(table).limit(1).all()
                }
            }
        }
    }
}
