import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Challenges with stakes in the runtime", .serialized)
struct ChallengeRuntimeTests {
    private static func create(
        _ runtime: Runtime,
        _ id: String,
        _ challenger: String,
        _ defender: String,
        stake: Int64,
        expiresIn: TimeInterval? = nil
    )
        async throws
    {
        let expiresAt = expiresIn.map { Timestamp(Date().addingTimeInterval($0)) } ?? Timestamp(Date().addingTimeInterval(86_400))
        let terms = Challenge.Terms(challengerID: challenger, defenderID: defender, raceTo: 1, stake: stake, expiresAt: expiresAt)
        _ = try await runtime.sendChallenge(id, .create(terms), context: ctx(.user(challenger)), commandID: nil)
    }

    /// Every coin: the users', the issuance's, the house's and every challenge's escrow.
    private static func sum(_ runtime: Runtime, users: [String], challenges: [String]) async throws -> (total: Int64, balances: [String: Int64]) {
        var balances: [String: Int64] = [:]
        let accounts = [Account.issuance, Account.house] + users.map(Account.user) + challenges.map(Challenge.escrowAccount)
        for id in accounts { balances[id] = try await runtime.accounts.read(id).state.balance }
        return (balances.values.reduce(0, +), balances)
    }

    @Test(
        "challenges accepted, won, cancelled, failing to escrow and expiring after a restart: coins never appear or vanish, and a redelivery from the log pays nothing twice",
        arguments: Backend.allCases
    )
    func lifecycle(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let users = (0..<6).map { "p\($0)" }
            try await seedUsers(users, in: storage)
            var configuration = RuntimeConfiguration()
            configuration.challengeFeeBasisPoints = 1_000
            configuration.challengeMinimumExpiry = .seconds(1)
            let saved = Locked<[String: Int64]>([:])
            let ids = (0..<24).map { "c\($0)" }
            try await withRuntime(storage, configuration, projections: true) { runtime in
                for (index, user) in users.enumerated() {
                    _ = try await runtime.grant(userID: user, amount: index == 5 ? 5 : 300, key: "welcome-\(user)", reference: nil)
                }
                await runtime.drainConsumers()
                for (index, id) in ids.enumerated() {
                    // p5 holds 5 coins: accepts against p5 fail to escrow (and refund the challenger).
                    let (challenger, defender) = (users[index % 5], index % 6 == 5 ? "p5" : users[(index + 1) % 5])
                    try await Self.create(runtime, id, challenger, defender, stake: Int64(10 + index), expiresIn: index >= 20 ? 2 : nil)
                }
                for (index, id) in ids.enumerated() where index < 20 {
                    let defender = try await runtime.challenges.read(id).state.terms!.defenderID
                    do {
                        let accepted = try await runtime.sendChallenge(id, .accept(matchID: "m-\(id)"), context: ctx(.user(defender)), commandID: nil)
                        #expect(accepted.state.status == .accepted, "\(id)")
                    } catch let error as DomainError {
                        #expect(error.code == "ledger.insufficient_funds" && defender == "p5", "\(id): \(error.code)")
                        continue
                    }
                    // The match the reaction creates, played to its end or cancelled.
                    await runtime.drainConsumers()
                    let match = try #require(try await runtime.challenges.read(id).state.matchID)
                    #expect(try await runtime.matches.read(match).state.challengeID == id)
                    _ = try await runtime.matches.send(match, .start, context: ctx(.user(defender)))
                    if index % 4 == 3 {
                        _ = try await runtime.matches.send(match, .cancel(reason: "closing time"), context: ctx(.user(defender)))
                    } else if index % 4 != 2 {
                        _ = try await runtime.matches.send(
                            match,
                            .recordRack(winner: index % 2 == 0 ? .a : .b, breaker: nil),
                            context: ctx(.user(defender))
                        )
                    }
                }
                await runtime.drainConsumers()
                await runtime.drainConsumers()
                var statuses: [ChallengeStatus: Int] = [:]
                for id in ids { statuses[try await runtime.challenges.read(id).state.status, default: 0] += 1 }
                #expect(
                    statuses[.settled, default: 0] > 0 && statuses[.refunded, default: 0] > 0 && statuses[.accepted, default: 0] > 0,
                    "\(statuses)"
                )
                #expect(statuses[.pending, default: 0] > 0, "the failed escrows are pending again: \(statuses)")
                let (total, balances) = try await Self.sum(runtime, users: users, challenges: ids)
                #expect(total == 0, "coins appeared or vanished: \(balances)")
                #expect(balances.filter { $0.key != Account.issuance }.allSatisfy { $0.value >= 0 }, "\(balances)")
                #expect(balances[Account.house, default: 0] > 0)
                // Only challenges being played hold coins in escrow: both stakes.
                for id in ids {
                    let state = try await runtime.challenges.read(id).state
                    let expected = state.status == .accepted ? 2 * state.terms!.stake : 0
                    #expect(balances[Challenge.escrowAccount(id)] == expected, "\(id) \(state.status)")
                }
                saved.withLock { $0 = balances }
            }
            // The expiry timers survive the restart and fire once their time has come.
            try await withRuntime(storage, configuration, projections: true) { runtime in
                _ = await runtime.fireDueTimers(now: Date().addingTimeInterval(10))
                for id in ids[20...] { #expect(try await runtime.challenges.read(id).state.status == .expired, "\(id)") }
                let pendingBefore = try await runtime.challenges.read("c5").state.status
                #expect(pendingBefore == .pending, "its expiry is a day away")
            }
            // Every consumer position and snapshot lost: the log is redelivered; nothing moves twice.
            try await storage.withSQL { db in
                try await db.delete(from: "consumer_positions").run()
                try await db.delete(from: "snapshots").run()
            }
            try await withRuntime(storage, configuration, projections: true) { runtime in
                await runtime.drainConsumers()
                await runtime.drainConsumers()
                let (_, balances) = try await Self.sum(runtime, users: users, challenges: ids)
                #expect(balances == saved.withLock { $0 })
                let mine = try await runtime.challenges(of: "p0", side: .any, statuses: [], offset: 0, limit: 100)
                var involving = 0
                for id in ids {
                    let terms = try await runtime.challenges.read(id).state.terms!
                    if terms.challengerID == "p0" || terms.defenderID == "p0" { involving += 1 }
                }
                #expect(mine.count == involving && involving > 5, "the records list every challenge of p0")
                #expect(try await storage.challengeIDs(of: "p0", side: .challenger, statuses: [], offset: 0, limit: 100).count == 5)
            }
        }
    }
}
