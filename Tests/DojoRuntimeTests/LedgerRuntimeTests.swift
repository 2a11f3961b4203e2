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
    private static func balances(_ runtime: Runtime, _ users: [String], challenges: [String] = []) async throws -> [String: Int64] {
        var balances: [String: Int64] = [:]
        let accounts = [Account.issuance, Account.house] + users.map(Account.user) + challenges.map(Challenge.escrowAccount)
        for id in accounts { balances[id] = try await runtime.accounts.read(id).state.balance }
        return balances
    }

    @Test(
        "thousands of concurrent grants, transfers and challenges (accepted, won, cancelled, declined, short of funds), some retried, some beyond the funds: every balance ≥ 0, the sum is zero, replay gives the same balances, the records hold every leg",
        arguments: Backend.allCases
    )
    func property(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let users = (0..<20).map { "p\($0)" }
            try await seedUsers(users, in: storage)
            let seed = UInt64.random(in: 0...UInt64.max)
            let outcome = Locked<(made: Int, refused: Int, duplicates: Int)>((0, 0, 0))
            let saved = Locked<[String: Int64]>([:])
            let challengeIDs = Locked<[String]>([])
            var configuration = RuntimeConfiguration()
            configuration.challengeFeeBasisPoints = 250
            configuration.challengeMaximumOpen = 1_000
            // Each accept waits for its saga, a few consumer rounds: short rounds keep the test short.
            configuration.consumerRoundInterval = .milliseconds(5)
            try await withRuntime(storage, configuration, projections: true) { runtime in
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
                    // Challenges between random pairs at the same time: accepted (both stakes
                    // escrowed, or refused short of funds), then won, cancelled or left being played;
                    // some declined; accepts retried with their command id.
                    for worker in 0..<4 {
                        group.addTask {
                            var rng = SplitMix64(seed: seed &+ 1_000 &+ UInt64(worker))
                            for index in 0..<20 {
                                let challenger = users[Int(rng.next() % UInt64(users.count))]
                                var defender = users[Int(rng.next() % UInt64(users.count))]
                                if defender == challenger { defender = users[(users.firstIndex(of: challenger)! + 1) % users.count] }
                                let id = "ch\(worker)-\(index)"
                                let terms = Challenge.Terms(
                                    challengerID: challenger,
                                    defenderID: defender,
                                    raceTo: 1,
                                    stake: Int64(rng.next() % 30) + 1,
                                    expiresAt: Timestamp(Date().addingTimeInterval(86_400))
                                )
                                do {
                                    _ = try await runtime.sendChallenge(id, .create(terms), context: ctx(.user(challenger)), commandID: nil)
                                } catch let error as DomainError where error.code == "ledger.insufficient_funds" {
                                    continue
                                }
                                challengeIDs.withLock { $0.append(id) }
                                let fate = rng.next() % 5
                                if fate == 0 {
                                    _ = try await runtime.sendChallenge(id, .decline, context: ctx(.user(defender)), commandID: nil)
                                    continue
                                }
                                var accepted: CommandResult<Challenge>?
                                for _ in 0..<(fate == 1 ? 2 : 1) {
                                    do {
                                        accepted = try await runtime.sendChallenge(
                                            id,
                                            .accept(matchID: "m-\(id)"),
                                            context: ctx(.user(defender)),
                                            commandID: "accept-\(id)"
                                        )
                                    } catch let error as DomainError where error.code == "ledger.insufficient_funds" {
                                        break
                                    }
                                }
                                guard let match = accepted?.state.matchID, accepted?.state.status == .accepted else { continue }
                                while try await !runtime.matches.read(match).state.exists { try await Task.sleep(for: .milliseconds(5)) }
                                _ = try await runtime.matches.send(match, .start, context: ctx(.user(defender)))
                                switch fate {
                                case 2: _ = try await runtime.matches.send(match, .cancel(reason: nil), context: ctx(.user(defender)))
                                case 3: break  // still being played
                                default:
                                    _ = try await runtime.matches.send(
                                        match,
                                        .recordRack(winner: rng.next() % 2 == 0 ? .a : .b, breaker: nil),
                                        context: ctx(.user(defender))
                                    )
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // The sagas and credits finish (a payout may wait a round for its escrow's credit).
                for _ in 0..<3 { await runtime.drainConsumers() }
                let challenges = challengeIDs.withLock { $0 }
                var statuses: [ChallengeStatus: Int] = [:]
                for id in challenges {
                    let state = try await runtime.challenges.read(id).state
                    statuses[state.status, default: 0] += 1
                    let escrow = try await runtime.accounts.read(Challenge.escrowAccount(id)).state.balance
                    #expect(escrow == (state.status == .accepted ? 2 * state.terms!.stake : 0), "\(id) \(state.status): escrow \(escrow)")
                }
                #expect(statuses[.settled, default: 0] > 0 && statuses[.refunded, default: 0] > 0, "seed \(seed): \(statuses)")
                let before = try await Self.balances(runtime, users, challenges: challenges)
                saved.withLock { $0 = before }
                #expect(before.values.reduce(0, +) == 0, "coins appeared or vanished: \(before)")
                #expect(before.filter { $0.key != Account.issuance }.allSatisfy { $0.value >= 0 })
                #expect(before[Account.issuance] == -2_000)
                #expect(before[Account.house, default: 0] >= 0)
            }
            let before = saved.withLock { $0 }
            let counts = outcome.withLock { $0 }
            #expect(counts.made > 100 && counts.duplicates > 0, "seed \(seed): \(counts)")
            // Replay from the log alone (no snapshot, no consumer position) gives the same balances.
            try await storage.withSQL { db in
                try await db.delete(from: "snapshots").run()
                try await db.delete(from: "consumer_positions").run()
            }
            try await withRuntime(storage, configuration, projections: true) { runtime in
                for _ in 0..<3 { await runtime.drainConsumers() }
                let replayed = try await Self.balances(runtime, users, challenges: challengeIDs.withLock { $0 })
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
