import DojoStorage
import DojoTesting
import Foundation
import Testing

/// The test-support proxy that other tests use to make Postgres go away.
@Suite("TCP proxy")
struct TCPProxyTests {
    @Test("forwards to Postgres, cuts it away, and restores it")
    func cutAndRestore() async throws {
        guard let admin = try TestServices.postgresURL() else { return }
        try await PostgresTestDatabase.withProxied(adminURL: admin) { url, proxy in
            let storage = try PostgresStorage(url: url, logger: testLogger)
            try await withRunningServices([storage]) {
                try await storage.checkReachable()
                proxy.cut()
                // With every connection cut, the pool either fails the query or keeps waiting for a
                // connection; either way the database is unreachable within the deadline.
                await #expect(throws: (any Error).self) {
                    try await withTimeout(.seconds(2)) { try await storage.checkReachable() }
                }
                proxy.restore()
                var reachable = false
                for _ in 0..<40 where !reachable {
                    reachable = (try? await withTimeout(.seconds(2)) { try await storage.checkReachable() }) != nil
                    if !reachable { try await Task.sleep(for: .milliseconds(250)) }
                }
                #expect(reachable)
            }
        }
    }
}

@Suite("Group commit when Postgres goes away")
struct WriterUnavailableTests {
    @Test("appends fail with unavailable within the batch timeout, and work again once Postgres is back")
    func unreachableDatabase() async throws {
        guard let admin = try TestServices.postgresURL() else { return }
        try await PostgresTestDatabase.withProxied(adminURL: admin) { url, proxy in
            let storage = try PostgresStorage(url: url, logger: testLogger)
            let writer = EventLogWriter(storage: storage, configuration: .init(batchTimeout: .seconds(1)), logger: testLogger)
            try await withRunningServices([storage, writer]) {
                _ = try await storage.migrate(logger: testLogger)
                // The first append, before the cut: a busy CI machine may need more than the 1 s
                // deadline for it (then it may or may not have landed): retry from the stored head.
                var first = false
                for _ in 0..<30 where !first {
                    let head = (try? await storage.lastSequence(of: "match:u")) ?? 0
                    if head >= 1 {
                        first = true
                        break
                    }
                    first = (try? await writer.append(AppendRequest(stream: "match:u", expectedSequence: 0, events: [event(1)]))) != nil
                }
                #expect(first)
                proxy.cut()
                // Twenty callers, most of them in one batch: all fail within about one deadline
                // (a timed-out batch is not retried request by request).
                let started = ContinuousClock.now
                let codes = await withTaskGroup(of: StorageError.Code?.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let stream = index == 0 ? "match:u" : "match:u\(index)"
                            do {
                                _ = try await writer.append(AppendRequest(stream: stream, expectedSequence: index == 0 ? 1 : 0, events: [event(2)]))
                                return nil
                            } catch {
                                return (error as? StorageError)?.code
                            }
                        }
                    }
                    return await group.reduce(into: [StorageError.Code?]()) { $0.append($1) }
                }
                #expect(codes.allSatisfy { $0 == .unavailable }, "\(codes)")
                #expect(ContinuousClock.now - started < .seconds(10), "about one 1 s deadline, with room for a loaded machine")
                proxy.restore()
                // The caller rereads the head (the failed append may or may not have landed) and goes on.
                var written = false
                for _ in 0..<40 where !written {
                    if let head = try? await withTimeout(.seconds(2), { try await storage.lastSequence(of: "match:u") }),
                        (try? await writer.append(AppendRequest(stream: "match:u", expectedSequence: head, events: [event(3)]))) != nil
                    {
                        written = true
                    } else {
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }
                #expect(written)
            }
        }
    }
}
