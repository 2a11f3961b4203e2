import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Synchronization
import Testing

@Suite("The ledger in the runtime", .serialized)
struct LedgerRuntimeTests {
    /// Every account's balance, read from its actor.
    private static func balances(_ runtime: Runtime, _ users: [String]) async throws -> [String: Int64] {
        var balances: [String: Int64] = [:]
        for id in [Account.issuance] + users.map(Account.user) { balances[id] = try await runtime.accounts.read(id).state.balance }
        return balances
    }

    @Test(
        "thousands of concurrent grants and transfers, some retried, some beyond the funds: every balance ≥ 0, the sum is zero, replay gives the same balances, the records hold every leg",
        arguments: Backend.allCases
    )
    func property(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let users = (0..<20).map { "p\($0)" }
            try await seedUsers(users, in: storage)
            let seed = UInt64.random(in: 0...UInt64.max)
            let outcome = Locked<(made: Int, refused: Int, duplicates: Int)>((0, 0, 0))
            let saved = Locked<[String: Int64]>([:])
            try await withRuntime(storage, projections: true) { runtime in
                for user in users { _ = try await runtime.grant(userID: user, amount: 100, key: "welcome-\(user)", reference: "grant:welcome") }
                // A grant repeated with its key pays once.
                let repeated = try await runtime.grant(userID: "p0", amount: 100, key: "welcome-p0", reference: "grant:welcome")
                #expect(repeated.duplicate)
                // The credits follow the debits by reaction.
                await runtime.drainConsumers()
                #expect(try await runtime.balance(of: "p0").available == 100)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            var rng = SplitMix64(seed: seed &+ UInt64(worker))
                            for index in 0..<250 {
                                let from = users[Int(rng.next() % UInt64(users.count))]
                                var to = users[Int(rng.next() % UInt64(users.count))]
                                if to == from { to = users[(users.firstIndex(of: from)! + 1) % users.count] }
                                let move = Account.Transfer(
                                    id: "w\(worker)-\(index)",
                                    from: Account.user(from),
                                    to: Account.user(to),
                                    amount: Int64(rng.next() % 20) + 1,
                                    type: .debit
                                )
                                // One in ten is sent twice (a client retrying after a lost answer).
                                for attempt in 0..<(rng.next() % 10 == 0 ? 2 : 1) {
                                    do {
                                        let result = try await runtime.transfer(move)
                                        outcome.withLock {
                                            if result.duplicate { $0.duplicates += 1 } else if attempt == 0 { $0.made += 1 }
                                        }
                                    } catch let error as DomainError where error.code == "ledger.insufficient_funds" {
                                        outcome.withLock { $0.refused += 1 }
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                await runtime.drainConsumers()
                let before = try await Self.balances(runtime, users)
                saved.withLock { $0 = before }
                #expect(before.values.reduce(0, +) == 0, "coins appeared or vanished: \(before)")
                #expect(before.filter { $0.key != Account.issuance }.allSatisfy { $0.value >= 0 })
                #expect(before[Account.issuance] == -2_000)
            }
            let before = saved.withLock { $0 }
            let counts = outcome.withLock { $0 }
            #expect(counts.made > 100 && counts.duplicates > 0, "seed \(seed): \(counts)")
            // Replay from the log alone (no snapshot, no consumer position) gives the same balances.
            try await storage.withSQL { db in
                try await db.delete(from: "snapshots").run()
                try await db.delete(from: "consumer_positions").run()
            }
            try await withRuntime(storage, projections: true) { runtime in
                await runtime.drainConsumers()
                let replayed = try await Self.balances(runtime, users)
                #expect(replayed == before, "seed \(seed)")
            }
            // The records: one row per user-side leg; per user they add up to the balance.
            for user in users {
                let rows = try await storage.transactions(of: user, offset: 0, limit: 100_000)
                #expect(rows.map(\.amount).reduce(0, +) == before[Account.user(user)], "\(user)")
            }
        }
    }
}

/// A value behind a lock, shareable by escaping closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
