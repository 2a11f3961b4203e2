import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Testing

/// Runs a writer and a runtime over `storage` while `body` runs; shuts them down gracefully after.
func withRuntime(
    _ storage: any Storage,
    _ configuration: RuntimeConfiguration = RuntimeConfiguration(),
    projections: Bool = false,
    _ body: @Sendable (Runtime) async throws -> Void
) async throws {
    let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(120)), logger: testLogger)
    let runtime = Runtime(writer: writer, storage: storage, configuration: configuration, logger: testLogger, projections: projections)
    runtime.storageReady()
    try await withRunningServices([writer, runtime]) { try await body(runtime) }
}

let alice = Principal.user("alice")
let owner = Principal.user("owner", role: .venueAdmin)

func ctx(_ principal: Principal = alice) -> CommandContext {
    CommandContext(principal: principal, now: Timestamp(Date()))
}

let terms = Match.Terms(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 3)

@Suite("Runtime", .serialized)
struct RuntimeTests {
    @Test("concurrent first calls activate an entity once; concurrent commands get consecutive sequence numbers", arguments: Backend.allCases)
    func singleActivation(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage) { runtime in
                _ = try await runtime.matches.send("m1", .create(terms), context: ctx())
                await runtime.passivateIdle()
                #expect(runtime.matches.residentCount == 0)
                _ = try await runtime.matches.send("m1", .start, context: ctx())
                // The reactions consumer reads the match when it starts: let it finish, then passivate.
                await runtime.drainConsumers()
                try await Task.sleep(for: .milliseconds(200))
                await runtime.drainConsumers()
                await runtime.passivateIdle()
                #expect(runtime.matches.residentCount == 0)

                let before = runtime.matches.counts.activations
                let results = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            try await runtime.matches.send("m1", .commentary("comment \(index)"), context: ctx(), commandID: "c\(index)").sequence
                        }
                    }
                    return try await group.reduce(into: [Int64]()) { $0.append($1) }
                }
                #expect(runtime.matches.counts.activations == before + 1)
                #expect(results.sorted() == Array(3...52))
                #expect(try await storage.lastSequence(of: "match:m1") == 52)
            }
        }
    }

    @Test("passivation snapshots the state; reactivation gives the same state and sequence", arguments: Backend.allCases)
    func passivation(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage) { runtime in
                _ = try await runtime.matches.send("m1", .create(terms), context: ctx())
                _ = try await runtime.matches.send("m1", .start, context: ctx())
                let last = try await runtime.matches.send("m1", .recordRack(winner: .b, breaker: nil), context: ctx())
                // The reactions read the match (activating it again if it were passivated first):
                // let them finish before passivating.
                await runtime.drainConsumers()
                #expect(await runtime.passivateIdle() == 1)
                #expect(runtime.matches.residentCount == 0)
                let snapshot = try #require(try await storage.loadSnapshot(stream: "match:m1"))
                #expect(snapshot.sequence == last.sequence && snapshot.formatVersion == Match.stateFormatVersion)

                let (state, sequence) = try await runtime.matches.read("m1")
                #expect(state == last.state && sequence == last.sequence)
                #expect(runtime.matches.counts == (activations: 2, passivations: 1))
            }
        }
    }

    @Test("a full mailbox answers busy; nothing it refused is appended", arguments: Backend.allCases)
    func mailboxFull(_ backend: Backend) async throws {
        var tight = RuntimeConfiguration()
        tight.mailboxCapacity = 2
        tight.maximumCommandsPerAppend = 1
        let configuration = tight
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage, configuration) { runtime in
                _ = try await runtime.matches.send("m1", .create(terms), context: ctx())
                let outcomes = await withTaskGroup(of: String.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            do {
                                _ = try await runtime.matches.send("m1", .commentary("c\(index)"), context: ctx())
                                return "ok"
                            } catch let error as RuntimeError {
                                return error.code.rawValue
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                }
                let accepted = outcomes["ok", default: 0]
                #expect(outcomes["busy", default: 0] > 0)
                #expect(accepted + outcomes["busy", default: 0] == 200)
                #expect(try await storage.lastSequence(of: "match:m1") == Int64(1 + accepted))
            }
        }
    }

    @Test(
        "a repeated command id returns the original result and appends nothing, also after passivation and a rebuild from the log",
        arguments: Backend.allCases
    )
    func idempotentCommandIDs(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, open in
            try await withRuntime(storage) { runtime in
                let created = try await runtime.matches.send("m1", .create(terms), context: ctx(), commandID: "create-1")
                let started = try await runtime.matches.send("m1", .start, context: ctx(), commandID: "start-1")
                let rack = try await runtime.matches.send("m1", .recordRack(winner: .a, breaker: nil), context: ctx(), commandID: "rack-1")
                #expect(!rack.duplicate && rack.firstSequence == 3 && rack.sequence == 4 && rack.events.count == 2)

                let again = try await runtime.matches.send("m1", .recordRack(winner: .a, breaker: nil), context: ctx(), commandID: "rack-1")
                #expect(again.duplicate && again.firstSequence == 3 && again.sequence == 4 && again.events.isEmpty)
                #expect(try await storage.lastSequence(of: "match:m1") == 4)

                await runtime.passivateIdle()
                let afterSnapshot = try await runtime.matches.send("m1", .start, context: ctx(), commandID: "start-1")
                #expect(afterSnapshot.duplicate && afterSnapshot.sequence == started.sequence)
                #expect(created.sequence == 1)
                // The id names one command: another command under it is refused, before and after
                // a snapshot; the system's own retries are exempt.
                await #expect(throws: DomainError.self) {
                    _ = try await runtime.matches.send("m1", .recordRack(winner: .b, breaker: nil), context: ctx(), commandID: "rack-1")
                }
                let system = try await runtime.matches.send(
                    "m1",
                    .recordRack(winner: .b, breaker: nil),
                    context: CommandContext(principal: .system, now: Timestamp(Date())),
                    commandID: "rack-1"
                )
                #expect(system.duplicate)
            }
            // A new runtime whose snapshot is unreadable rebuilds the memory of command ids from the log.
            try await storage.saveSnapshot(
                Snapshot(stream: "match:m1", sequence: 4, formatVersion: Match.stateFormatVersion, state: Array("not json".utf8), takenAt: Date())
            )
            try await withRuntime(storage) { runtime in
                let repeatCreate = try await runtime.matches.send("m1", .create(terms), context: ctx(), commandID: "create-1")
                #expect(repeatCreate.duplicate && repeatCreate.sequence == 1)
                // The fingerprint came back from the log with the id.
                do {
                    _ = try await runtime.matches.send("m1", .recordRack(winner: .b, breaker: nil), context: ctx(), commandID: "rack-1")
                    Issue.record("a reused command id was accepted after a rebuild from the log")
                } catch let error as DomainError {
                    #expect(error.code == "idempotency_key_reused")
                }
                #expect(try await storage.lastSequence(of: "match:m1") == 4)
            }
            _ = open
        }
    }

    @Test("an unreadable or old-format snapshot is ignored and the state is rebuilt from the log", arguments: Backend.allCases)
    func badSnapshots(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            var rare = RuntimeConfiguration()
            rare.snapshotEveryEvents = 1_000
            let configuration = rare
            try await withRuntime(storage, configuration) { runtime in
                _ = try await runtime.matches.send("m1", .create(terms), context: ctx())
                _ = try await runtime.matches.send("m1", .start, context: ctx())
                _ = try await runtime.matches.send("m1", .recordRack(winner: .a, breaker: nil), context: ctx())
            }
            let expected = try await storage.readEvents(stream: "match:m1", after: 0, limit: 100).reduce(into: Match.initialState(id: "m1")) {
                state,
                recorded in
                struct Envelope: Decodable { var event: Match.Event }
                Match.apply(&state, try! JSONDecoder().decode(Envelope.self, from: Data(recorded.payload.utf8)).event)
            }
            // The shutdown snapshot is valid; replace it by garbage of the right version, at a later sequence.
            let valid = try #require(try await storage.loadSnapshot(stream: "match:m1"))
            #expect(valid.sequence == 4)
            for (version, bytes) in [(Match.stateFormatVersion, Array(#"{"envelope":1,"state":{"oops":true}}"#.utf8)), (0, valid.state)] {
                try await storage.withSQL { db in try await db.delete(from: "snapshots").run() }
                try await storage.saveSnapshot(Snapshot(stream: "match:m1", sequence: 4, formatVersion: version, state: bytes, takenAt: Date()))
                try await withRuntime(storage, configuration) { runtime in
                    let (state, sequence) = try await runtime.matches.read("m1")
                    #expect(state == expected && sequence == 4)
                }
            }
        }
    }

    @Test(
        "a stale writer is fenced: its append conflicts, it steps down, and the command is decided again on the stored state",
        arguments: Backend.allCases
    )
    func fencing(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, open in
            let second = try await open()
            try await withRunningServices([second]) {
                try await withRuntime(storage) { first in
                    try await withRuntime(second) { stale in
                        _ = try await first.matches.send("m1", .create(terms), context: ctx())
                        _ = try await first.matches.send("m1", .start, context: ctx())
                        // The second runtime activates m1 at sequence 2…
                        #expect(try await stale.matches.read("m1").sequence == 2)
                        // …then the first moves it on.
                        _ = try await first.matches.send("m1", .commentary("from the first owner"), context: ctx())
                        let fromStale = try await stale.matches.send("m1", .commentary("from the stale owner"), context: ctx())
                        #expect(fromStale.sequence == 4)
                        #expect(stale.matches.counts.activations == 2)
                        let log = try await storage.readEvents(stream: "match:m1", after: 0, limit: 100)
                        #expect(log.map(\.sequence) == [1, 2, 3, 4])
                        #expect(log[3].payload.contains("from the stale owner"))
                    }
                }
            }
        }
    }

    @Test("a refused command appends nothing and leaves the state; an unknown entity reads as not existing", arguments: Backend.allCases)
    func refusals(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage) { runtime in
                await #expect(throws: DomainError.self) { try await runtime.matches.send("m1", .start, context: ctx()) }
                _ = try await runtime.matches.send("m1", .create(terms), context: ctx())
                do {
                    _ = try await runtime.matches.send("m1", .start, context: ctx(.user("bob")))
                    Issue.record("a non-scorer started the match")
                } catch let error as DomainError {
                    #expect(error.code == "match.not_scorer")
                }
                #expect(try await storage.lastSequence(of: "match:m1") == 1)
                #expect(try await runtime.matches.read("m1").state.status == .scheduled)
                await #expect(throws: DomainError.self) { try await runtime.matches.read("bad id!") }
            }
        }
    }

    @Test(
        "reactions: a live match occupies its table, the end frees it; redelivery after lost positions applies nothing twice",
        arguments: Backend.allCases
    )
    func reactionsExactlyOnce(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "bob", "owner"], in: storage)
            let atTable = Match.Terms(playerA: "alice", playerB: "bob", gameType: .nineBall, raceTo: 1, venueID: "hall", tableID: "t1")
            try await withRuntime(storage, projections: true) { runtime in
                _ = try await runtime.venues.send(
                    "hall",
                    .register(name: "Hall", location: .init(lat: 1, lng: 2), address: nil, ownerID: nil),
                    context: ctx(owner)
                )
                _ = try await runtime.venues.send("hall", .addTable(id: "t1", name: "One"), context: ctx(owner))
                _ = try await runtime.matches.send("m1", .create(atTable), context: ctx())
                _ = try await runtime.matches.send("m1", .start, context: ctx())
                await runtime.drainConsumers()
                let (venue, sequence) = try await runtime.venues.read("hall")
                #expect(venue.table("t1")?.status == .occupied && sequence == 3)
                _ = try await runtime.matches.send("m1", .recordRack(winner: .a, breaker: nil), context: ctx())
                await runtime.drainConsumers()
                let (after, afterSequence) = try await runtime.venues.read("hall")
                #expect(after.table("t1")?.status == .available && afterSequence == 4)
            }
            // Lose every consumer position and snapshot: a new runtime redelivers everything from the
            // log, and the venue (rebuilt from its log) recognises each cause. Without that, the
            // redelivered "started" would occupy the free table again.
            try await storage.withSQL { db in
                try await db.delete(from: "consumer_positions").run()
                try await db.delete(from: "snapshots").run()
            }
            try await withRuntime(storage, projections: true) { runtime in
                await runtime.drainConsumers()
                let (venue, sequence) = try await runtime.venues.read("hall")
                #expect(venue.table("t1")?.status == .available && sequence == 4)
            }
            // The records tables followed.
            let rows = try await storage.withSQL { db in
                try await db.select().columns("status", "score_a", "score_b").from("matches").where("id", .equal, "m1").all()
            }
            #expect(rows.count == 1)
            #expect(try rows.first?.decode(column: "status", as: String.self) == "COMPLETED")
            #expect(try rows.first?.decode(column: "score_a", as: Int.self) == 1)
            let events = try await storage.withSQL { db in
                try await db.select().column("type").from("match_events").where("match_id", .equal, "m1").orderBy("id").all()
            }
            #expect(try events.map { try $0.decode(column: "type", as: String.self) } == ["SYSTEM", "SYSTEM", "RACK_START", "RACK_END", "SYSTEM"])
            let tables = try await storage.withSQL { db in
                try await db.select().column("status").from("venue_tables").where("id", .equal, "t1").all()
            }
            #expect(try tables.first?.decode(column: "status", as: String.self) == "AVAILABLE")
        }
    }

    @Test("the records follow live play: SHOT and FOUL rows, and a corrected rack-ending shot gives the score back", arguments: Backend.allCases)
    func refereeRecords(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            try await withRuntime(storage, projections: true) { runtime in
                _ = try await runtime.matches.send(
                    "m2",
                    .create(.init(playerA: "alice", playerB: "bob", gameType: .nineBall, raceTo: 3)),
                    context: ctx()
                )
                _ = try await runtime.matches.send("m2", .start, context: ctx())
                for shot in [
                    Referee.Shot(shotId: "s1", firstContact: 1, railAfterContact: true, objectBallsToRail: 4),  // A breaks: nothing
                    Referee.Shot(shotId: "s2", firstContact: 1, cueBallPocketed: true),  // B scratches
                    Referee.Shot(shotId: "s3", firstContact: 1, pocketed: [.init(ball: 9, pocket: 2)]),  // A makes the 9
                ] {
                    _ = try await runtime.matches.send("m2", .shot(shot, source: .scorer), context: ctx())
                }
                await runtime.drainConsumers()
                func score() async throws -> Int {
                    let rows = try await storage.withSQL { db in
                        try await db.select().column("score_a").from("matches").where("id", .equal, "m2").all()
                    }
                    return try rows.first?.decode(column: "score_a", as: Int.self) ?? -1
                }
                #expect(try await score() == 1)
                _ = try await runtime.matches.send("m2", .correct(reason: "review", venueAdmin: false), context: ctx())
                await runtime.drainConsumers()
                #expect(try await score() == 0)
                let events = try await storage.withSQL { db in
                    try await db.select().column("type").from("match_events").where("match_id", .equal, "m2").orderBy("id").all()
                }
                let types = try events.map { try $0.decode(column: "type", as: String.self) }
                #expect(types == ["SYSTEM", "SYSTEM", "RACK_START", "SHOT", "FOUL", "SHOT", "RACK_END", "COMMENTARY", "SYSTEM"], "\(types)")
            }
        }
    }

    @Test("many matches at once: every acknowledged command is in the log, in order", arguments: Backend.allCases)
    func manyMatches(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage) { runtime in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for match in 0..<40 {
                        group.addTask {
                            let id = "m\(match)"
                            _ = try await runtime.matches.send(id, .create(terms), context: ctx())
                            _ = try await runtime.matches.send(id, .start, context: ctx())
                            for rack in 0..<5 {
                                _ = try await runtime.matches.send(id, .recordRack(winner: rack % 2 == 0 ? .a : .b, breaker: nil), context: ctx())
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                for match in 0..<40 {
                    let (state, sequence) = try await runtime.matches.read("m\(match)")
                    #expect(state.status == .completed && state.scoreA == 3 && state.scoreB == 2)
                    #expect(try await storage.lastSequence(of: "match:m\(match)") == sequence)
                }
            }
        }
    }

    @Test("past the resident cap the least recently used actors are passivated; a snapshot is written every N events")
    func residentCapAndSnapshotCadence() async throws {
        var small = RuntimeConfiguration()
        small.maximumResidentActors = 5
        small.snapshotEveryEvents = 3
        let configuration = small
        try await withFreshStorage(.sqlite) { storage, _ in
            try await withRuntime(storage, configuration) { runtime in
                for index in 0..<12 { _ = try await runtime.matches.send("m\(index)", .create(terms), context: ctx()) }
                var resident = runtime.matches.residentCount
                for _ in 0..<100 where resident > 5 {
                    try await Task.sleep(for: .milliseconds(10))
                    resident = runtime.matches.residentCount
                }
                #expect(resident <= 5)
                #expect(runtime.matches.counts.passivations >= 7)
                // The most recent ones stay; the first ones were passivated with a snapshot.
                #expect(try await storage.loadSnapshot(stream: "match:m0")?.sequence == 1)

                _ = try await runtime.matches.send("m11", .start, context: ctx())
                _ = try await runtime.matches.send("m11", .commentary("three"), context: ctx())
                var snapshot: Snapshot?
                for _ in 0..<100 where snapshot?.sequence != 3 {
                    try await Task.sleep(for: .milliseconds(10))
                    snapshot = try await storage.loadSnapshot(stream: "match:m11")
                }
                #expect(snapshot?.sequence == 3)
            }
        }
    }

    @Test("shutdown snapshots every resident actor")
    func shutdownSnapshots() async throws {
        try await withFreshStorage(.sqlite) { storage, _ in
            try await withRuntime(storage) { runtime in
                for index in 0..<5 { _ = try await runtime.matches.send("m\(index)", .create(terms), context: ctx()) }
            }
            for index in 0..<5 {
                #expect(try await storage.loadSnapshot(stream: "match:m\(index)")?.sequence == 1)
            }
        }
    }
}
