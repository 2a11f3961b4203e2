import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The `kill -9` test for the ledger: concurrent grants (some retried with their key) and
/// challenges with stakes (created and accepted: both stakes escrowed) against the real server,
/// killed at a random moment and restarted on the same database.
@Suite("Crash: kill -9 with ledger transfers", .serialized)
struct CrashLedgerTests {
    static let players = 10

    @Test(
        "no acknowledged transfer or challenge lost, nothing paid twice; after the restart every debit is credited once, every accepted challenge holds both stakes, and all balances, escrows included, sum to zero",
        arguments: Backend.allCases
    )
    func killMidLoad(_ backend: Backend) async throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let killAfter = Duration.milliseconds(Int.random(in: 50...800, using: &generator))
            try await withFreshStorage(backend) { storage, _ in
                try await seedUsers((0..<Self.players).map { "p\($0)" }, in: storage)
                try await Self.run(storage: storage, backend: backend, killAfter: killAfter, round: round)
            }
        }
    }

    static func run(storage: any Storage, backend: Backend, killAfter: Duration, round: Int) async throws {
        let environment = try await CrashTests.serverEnvironment(storage: storage, backend: backend)
        var server = try await ServerChild.start(environment: environment)
        let client = Client(port: server.port, key: CrashTests.serviceKey)
        let acknowledged = Locked<[String: Int]>([:])  // transfer id → amount
        let challenges = Locked<[String: (stake: Int, accepted: Bool)]>([:])  // acknowledged challenges
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                // Pairs of players challenging each other with stakes while the grants fund them.
                for pair in 0..<(players / 2) {
                    group.addTask {
                        var index = 0
                        let (challenger, defender) = ("p\(2 * pair)", "p\(2 * pair + 1)")
                        while !Task.isCancelled {
                            let id = "r\(round)-c\(pair)-\(index)"
                            let stake = 1 + index % 5
                            index += 1
                            let body: [String: any Sendable] = ["id": id, "defenderId": defender, "stakeCoins": stake]
                            guard let created = try? await client.post("/v1/challenges", user: challenger, body, commandID: "create-\(id)") else {
                                return
                            }
                            guard created.status < 300 else {
                                try? await Task.sleep(for: .milliseconds(20))  // not funded yet
                                continue
                            }
                            challenges.withLock { $0[id] = (stake, false) }
                            guard let accepted = try? await client.post("/v1/challenges/\(id)/accept", user: defender, [:], commandID: "accept-\(id)")
                            else { return }
                            let status = (accepted.json["challenge"] as? [String: Any])?["status"] as? String
                            if accepted.status == 200, status == "ACCEPTED" { challenges.withLock { $0[id] = (stake, true) } }
                        }
                    }
                }
                for worker in 0..<8 {
                    group.addTask {
                        var index = 0
                        while !Task.isCancelled {
                            let key = "r\(round)-w\(worker)-\(index)"
                            let amount = 1 + (worker * 7 + index) % 50
                            let body: [String: any Sendable] = ["userId": "p\((worker + index) % players)", "amount": amount, "reason": "crash test"]
                            // Every fifth grant is sent twice, as a client retrying after a lost answer.
                            for _ in 0..<(index % 5 == 0 ? 2 : 1) {
                                guard let reply = try? await client.post("/v1/admin/grants", user: "root", role: "ADMIN", body, commandID: key),
                                    reply.status < 300
                                else { return }
                                acknowledged.withLock { $0["grant-\(key)"] = amount }
                            }
                            index += 1
                        }
                    }
                }
            }
        }
        // The kill comes at a random moment once the load is flowing (a busy CI machine starts the
        // child slowly: wait for the first acknowledgements, up to 30 s).
        for _ in 0..<300 where acknowledged.withLock({ $0.count }) < 24 { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: killAfter)
        server.kill9()
        await load.value
        let acks = acknowledged.withLock { $0 }
        #expect(acks.count >= 24, "the load produced too few acknowledged grants before the kill")
        let made = challenges.withLock { $0 }

        server = try await ServerChild.start(environment: environment)
        defer { server.stop() }

        // 1. Every acknowledged grant is one debit of the issuance account, exactly once.
        let issuance = try await storage.readEvents(stream: "account:issuance", after: 0, limit: 1_000_000)
        var debited: [String: Int] = [:]
        for event in issuance where event.type == "account.debited" {
            if let id = field("id", in: event.payload) { debited[id, default: 0] += 1 }
        }
        for (id, _) in acks { #expect(debited[id] == 1, "acknowledged \(id): \(debited[id] ?? 0) debits") }
        #expect(debited.values.allSatisfy { $0 == 1 }, "a transfer debited twice")

        // 2. After the restart the reactions credit every grant once (the sum over every account is
        //    checked below, with the challenges' escrows).
        var credited: [String: Int] = [:]
        for _ in 0..<100 {
            credited = [:]
            for stream in ["account:issuance"] + (0..<players).map({ "account:user-p\($0)" }) {
                let events = try await storage.readEvents(stream: stream, after: 0, limit: 1_000_000)
                for event in events where event.type == "account.credited" {
                    if let id = field("id", in: event.payload), id.hasPrefix("grant-") { credited[id, default: 0] += 1 }
                }
            }
            if credited.count == debited.count { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(Set(credited.keys) == Set(debited.keys), "debits without their credit after the restart")
        #expect(credited.values.allSatisfy { $0 == 1 }, "a transfer credited twice")

        // 3. Every acknowledged challenge survived; an acknowledged accept is ACCEPTED with both
        //    stakes in its escrow; the sagas cut by the kill finish; every account (players,
        //    issuance, house, escrows) sums to zero once every debit is credited.
        var settled = false
        var last: [String: String] = [:]
        var everything: Int64 = 0
        for _ in 0..<150 where !settled {
            last = [:]
            for id in made.keys {
                last[id] = try await storage.readEvents(stream: "challenge:\(id)", after: 0, limit: 1_000).last?.type
            }
            let streams = try await storage.withSQL { db in
                try await db.select().column("stream").from("event_streams").where("stream", .like, "account:%").all()
                    .map { try $0.decode(column: "stream", as: String.self) }
            }
            everything = 0
            var debits = Set<String>()
            var credits = Set<String>()
            for stream in streams {
                let events = try await storage.readEvents(stream: stream, after: 0, limit: 1_000_000)
                if let final = events.last, let balance = Self.balance(in: final.payload) { everything += balance }
                for event in events {
                    guard let id = field("id", in: event.payload) else { continue }
                    if event.type == "account.debited" { debits.insert(id) } else { credits.insert(id) }
                }
            }
            settled = debits == credits && !last.values.contains("challenge.accept_requested")
            if !settled { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(settled, "sagas or credits unfinished after the restart")
        #expect(everything == 0, "all accounts, escrows included, sum to \(everything)")
        for (id, challenge) in made {
            #expect(last[id] != nil, "acknowledged challenge \(id) lost")
            guard challenge.accepted else { continue }
            #expect(last[id] == "challenge.accepted", "acknowledged accept of \(id): \(last[id] ?? "nothing")")
            let escrow = try await storage.readEvents(stream: "account:escrow-\(id)", after: 0, limit: 100)
            #expect(escrow.last.flatMap { Self.balance(in: $0.payload) } == Int64(2 * challenge.stake), "escrow of \(id)")
        }
        FileHandle.standardError.write(
            Data(
                "crash test ledger \(backend) round \(round): killed after \(killAfter), \(acks.count) grants acknowledged, \(debited.count) recorded, \(made.count) challenges acknowledged (\(made.values.filter(\.accepted).count) accepted)\n"
                    .utf8
            )
        )
    }

    /// The `balance` member of an account event's payload.
    static func balance(in payload: String) -> Int64? {
        guard let range = payload.range(of: #""balance":\s*-?\d+"#, options: .regularExpression) else { return nil }
        return Int64(payload[range].split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
    }
}
