import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The `kill -9` test for the ledger: concurrent grants (some retried with their key) against the
/// real server, killed at a random moment and restarted on the same database.
@Suite("Crash: kill -9 with ledger transfers", .serialized)
struct CrashLedgerTests {
    static let players = 10

    @Test(
        "no acknowledged transfer lost or paid twice; after the restart every debit is credited once and the balances sum to zero",
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
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
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

        // 2. After the restart the reactions credit every debit once, and the sum is zero.
        var credited: [String: Int] = [:]
        var sum: Int64 = 0
        for _ in 0..<100 {
            credited = [:]
            sum = 0
            for stream in ["account:issuance"] + (0..<players).map({ "account:user-p\($0)" }) {
                let events = try await storage.readEvents(stream: stream, after: 0, limit: 1_000_000)
                if let last = events.last, let balance = Self.balance(in: last.payload) { sum += balance }
                for event in events where event.type == "account.credited" {
                    if let id = field("id", in: event.payload) { credited[id, default: 0] += 1 }
                }
            }
            if credited.count == debited.count { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(Set(credited.keys) == Set(debited.keys), "debits without their credit after the restart")
        #expect(credited.values.allSatisfy { $0 == 1 }, "a transfer credited twice")
        #expect(sum == 0, "the balances sum to \(sum)")
        FileHandle.standardError.write(
            Data(
                "crash test ledger \(backend) round \(round): killed after \(killAfter), \(acks.count) grants acknowledged, \(debited.count) recorded\n"
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
