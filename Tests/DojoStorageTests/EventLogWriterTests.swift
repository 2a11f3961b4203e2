import DojoStorage
import DojoTesting
import Foundation
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Group commit")
struct EventLogWriterTests {
    @Test("many actors' appends share batches, and each caller gets its own result", arguments: Backend.allCases)
    func groupCommit(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(120)), logger: testLogger)
            try await withRunningServices([writer]) {
                let results = try await withThrowingTaskGroup(of: (Int, AppendResult).self) { group in
                    for actor in 0..<300 {
                        group.addTask {
                            let count = actor % 3 + 1
                            let result = try await writer.append(
                                AppendRequest(stream: "match:g\(actor)", expectedSequence: 0, events: (0..<count).map(event))
                            )
                            return (actor, result)
                        }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
                for actor in 0..<300 {
                    #expect(results[actor] == AppendResult(stream: "match:g\(actor)", firstSequence: 1, lastSequence: Int64(actor % 3 + 1)))
                }
                let statistics = writer.statistics
                #expect(statistics.requests == 300)
                #expect(statistics.batches < 300, "appends were grouped into \(statistics.batches) batches")
                #expect(try await storage.readEvents(stream: "match:g299", after: 0, limit: 10).count == 3)
            }
        }
    }

    @Test("two appends to one stream never share a batch: the stale one conflicts", arguments: Backend.allCases)
    func sameStream(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(120)), logger: testLogger)
            try await withRunningServices([writer]) {
                for round in 0..<10 {
                    let stream = "match:same\(round)"
                    async let a = try? writer.append(AppendRequest(stream: stream, expectedSequence: 0, events: [event(1)]))
                    async let b = try? writer.append(AppendRequest(stream: stream, expectedSequence: 0, events: [event(2)]))
                    let outcomes = await [a, b]
                    #expect(outcomes.compactMap { $0 }.count == 1)
                    let head = try await storage.lastSequence(of: stream)
                    #expect(head == 1)
                }
            }
        }
    }

    @Test(
        "invalid requests are refused before storage and write nothing",
        arguments: [
            AppendRequest(stream: "", expectedSequence: 0, events: [event(1)]),
            AppendRequest(stream: "match:x", expectedSequence: -1, events: [event(1)]),
            AppendRequest(stream: "match:x", expectedSequence: 0, events: []),
            AppendRequest(stream: "match:x", expectedSequence: 0, events: [NewEvent(type: "", payload: "{}")]),
            AppendRequest(stream: "match:x", expectedSequence: 0, events: [NewEvent(type: "T", payload: "{not json")]),
            AppendRequest(
                stream: "match:x",
                expectedSequence: 0,
                events: [NewEvent(type: "T", payload: "{\"a\":\"" + String(repeating: "x", count: 1 << 20) + "\"}")]
            ),
            AppendRequest(stream: String(repeating: "m", count: 201), expectedSequence: 0, events: [event(1)]),
            AppendRequest(stream: "match:x", expectedSequence: 0, events: Array(repeating: event(1), count: 1001)),
        ]
    )
    func invalidRequests(_ request: AppendRequest) async throws {
        try await withFreshStorage(.sqlite) { storage, _ in
            let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(120)), logger: testLogger)
            try await withRunningServices([writer]) {
                let error = await #expect(throws: StorageError.self) { try await writer.append(request) }
                #expect(error?.code == .invalidRequest)
                let head = try await storage.lastSequence(of: "match:x")
                #expect(head == 0)
                #expect(writer.statistics.batches == 0)
            }
        }
    }

    @Test("a full queue answers unavailable at once instead of growing")
    func queueLimit() async throws {
        try await withFreshStorage(.sqlite) { storage, _ in
            // Not running: nothing drains the queue, so the second append finds it full.
            let writer = EventLogWriter(storage: storage, configuration: .init(maximumBatch: 10, maximumQueued: 1), logger: testLogger)
            let first = Task { try await writer.append(AppendRequest(stream: "match:q1", expectedSequence: 0, events: [event(1)])) }
            try await Task.sleep(for: .milliseconds(100))
            let error = await #expect(throws: StorageError.self) {
                try await writer.append(AppendRequest(stream: "match:q2", expectedSequence: 0, events: [event(1)]))
            }
            #expect(error?.code == .unavailable)
            // Now run it: the queued append is written.
            try await withRunningServices([writer]) {
                let written = try await first.value
                #expect(written.lastSequence == 1)
            }
        }
    }

    @Test("graceful shutdown writes everything queued, then refuses new appends", arguments: Backend.allCases)
    func shutdownDrains(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            // This test is about draining, not about slow disks: on a CI machine busy with the rest
            // of the suite one SQLite fsync'd batch has taken more than the default 10 s.
            let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(120)), logger: testLogger)
            let group = ServiceGroup(services: [writer], logger: testLogger)
            let acknowledged = Tally()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for actor in 0..<200 {
                    tasks.addTask {
                        var head: Int64 = 0
                        while true {
                            do {
                                head = try await writer.append(AppendRequest(stream: "match:d\(actor)", expectedSequence: head, events: [event(1)]))
                                    .lastSequence
                                acknowledged.add()
                            } catch let error as StorageError where error.code == .shuttingDown {
                                return
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            // Every acknowledged append is in storage.
            var stored = 0
            for actor in 0..<200 { stored += Int(try await storage.lastSequence(of: "match:d\(actor)")) }
            #expect(stored == acknowledged.value)
            #expect(stored > 0)
            let late = await #expect(throws: StorageError.self) {
                try await writer.append(AppendRequest(stream: "match:late", expectedSequence: 0, events: [event(1)]))
            }
            #expect(late?.code == .shuttingDown)
        }
    }
}

/// A counter shared by concurrent tasks.
final class Tally: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
