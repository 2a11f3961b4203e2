import ArgumentParser
import DojoAPI
import DojoDomain
import DojoRuntime
import DojoServer
import DojoStorage
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Synchronization

/// `dojopool bench-ledger`: transfers between `--accounts` player accounts at random (the payer's
/// debit acknowledged after its durable append; the credit by reaction), and the runtime's timers:
/// how late a timer is delivered with `--pending` others waiting. Figures in docs/benchmarks.md.
struct BenchLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ledger",
        abstract: "Benchmark ledger transfers between many accounts, and the lateness of durable timers."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Player accounts.")
    var accounts = 10_000
    @Option(help: "Concurrent drivers sending transfers.")
    var drivers = 256
    @Option(help: "Seconds of transfers measured.")
    var seconds = 10.0
    @Option(help: "Timers pending (due in an hour) while the measured ones fire.")
    var pending = 100_000
    @Option(help: "Timers measured, due over the next --timer-seconds.")
    var timers = 1_000
    @Option(help: "Seconds over which the measured timers fall due.")
    var timerSeconds = 10.0
    @Option(help: "Concurrent pairs of players running challenge cycles (create, accept, play, settle).")
    var cycleDrivers = 64
    @Option(help: "Seconds of challenge cycles measured (0: none).")
    var cycleSeconds = 10.0

    func run() async throws {
        try await Bench.withRuntime(options, name: "bench-ledger") { runtime, storage, run in
            let probe = Probe.register(runtime)
            try await transfers(runtime, storage, run)
            if cycleSeconds > 0 { try await challengeCycles(runtime, storage, run) }
            try await timers(runtime, storage, probe, run)
        }
    }

    private func transfers(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let users = (0..<accounts).map { "l\(run)-\($0)" }
        try await BenchClans.seedUsers(users, storage)
        _ = try await BenchClans.drive(drivers: 200, items: users) { user in
            _ = try await BenchClans.retry { try await runtime.grant(userID: user, amount: 1_000, key: "seed-\(user)", reference: nil) }
        }
        await runtime.drainConsumers()
        let clock = ContinuousClock()
        let end = clock.now + .seconds(seconds)
        let counter = Mutex((sent: 0, refused: 0))
        let start = clock.now
        let latencies = try await BenchClans.drive(drivers: drivers, items: (0..<drivers).map(String.init), until: end) { driver in
            var generator = SystemRandomNumberGenerator()
            let from = users.randomElement(using: &generator)!
            var to = users.randomElement(using: &generator)!
            if to == from { to = users[(users.firstIndex(of: from)! + 1) % users.count] }
            let id = counter.withLock { state -> Int in
                state.sent += 1
                return state.sent
            }
            let transfer = Account.Transfer(
                id: "b\(run)-\(driver)-\(id)",
                from: Account.user(from),
                to: Account.user(to),
                amount: Int64.random(in: 1...10, using: &generator),
                type: .debit
            )
            do {
                _ = try await BenchClans.retry { try await runtime.transfer(transfer) }
            } catch let error as DomainError where error.code == "ledger.insufficient_funds" {
                counter.withLock { $0.refused += 1 }
            }
        }
        let elapsed = Bench.milliseconds(clock.now - start) / 1_000
        // The credits follow by reaction: until they all arrived the sum is minus the debits in
        // flight. Wait for zero (how long the reaction took to catch up is reported).
        var sum: Int64 = 0
        let catchUp = clock.now
        for _ in 0..<600 {
            await runtime.drainConsumers()
            sum = try await runtime.accounts.read(Account.issuance).state.balance
            for user in users { sum += try await runtime.accounts.read(Account.user(user)).state.balance }
            if sum == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let caughtUp = Bench.milliseconds(clock.now - catchUp) / 1_000
        let refused = counter.withLock { $0.refused }
        print(
            String(
                format:
                    "transfers between %d accounts, %d drivers: %.0f transfers/s over %.1f s (%d refused for funds), debit acknowledged p50 %.2f ms, p99 %.2f ms; every credit in %.1f s after the last debit, then the balances sum to %lld",
                users.count,
                drivers,
                Double(latencies.count) / elapsed,
                elapsed,
                refused,
                Bench.percentile(latencies, 0.5),
                Bench.percentile(latencies, 0.99),
                caughtUp,
                sum
            )
        )
        await runtime.passivateIdle()
    }

    /// Whole challenges with a stake: created, accepted (both stakes escrowed by the saga), the
    /// match created by reaction, played (race to 1) and the challenge settled (the prize paid).
    /// Each driver is one pair of players, so the stakes never run out.
    private func challengeCycles(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let pairs = (0..<cycleDrivers).map { "c\(run)-\($0)" }
        try await BenchClans.seedUsers(pairs.flatMap { ["\($0)-a", "\($0)-b"] }, storage)
        _ = try await BenchClans.drive(drivers: 64, items: pairs.flatMap { ["\($0)-a", "\($0)-b"] }) { user in
            _ = try await BenchClans.retry { try await runtime.grant(userID: user, amount: 1_000_000, key: "seed-\(user)", reference: nil) }
        }
        await runtime.drainConsumers()
        let clock = ContinuousClock()
        let accepts = Mutex<[Double]>([])
        let counter = Mutex(0)
        let start = clock.now
        let latencies = try await BenchClans.drive(drivers: cycleDrivers, items: pairs, until: clock.now + .seconds(cycleSeconds)) { pair in
            let index = counter.withLock { value -> Int in
                value += 1
                return value
            }
            let id = "x\(run)-\(index)"
            let (challenger, defender) = ("\(pair)-a", "\(pair)-b")
            let terms = Challenge.Terms(
                challengerID: challenger,
                defenderID: defender,
                raceTo: 1,
                stake: 10,
                expiresAt: Timestamp(Date().addingTimeInterval(86_400))
            )
            let now = Timestamp(Date())
            _ = try await BenchClans.retry {
                try await runtime.sendChallenge(
                    id,
                    .create(terms),
                    context: CommandContext(principal: .user(challenger), now: now),
                    commandID: "create-\(id)"
                )
            }
            let acceptStart = clock.now
            let accepted = try await BenchClans.retry {
                try await runtime.sendChallenge(
                    id,
                    .accept(matchID: "xm\(run)-\(index)"),
                    context: CommandContext(principal: .user(defender), now: Timestamp(Date())),
                    commandID: "accept-\(id)"
                )
            }
            accepts.withLock { $0.append(Bench.milliseconds(clock.now - acceptStart)) }
            guard let match = accepted.state.matchID else { return }
            // The match is created by the challenge's reaction: wait for it, play it, await the payout.
            let player = CommandContext(principal: .user(defender), now: Timestamp(Date()))
            while try await !runtime.matches.read(match).state.exists { try await Task.sleep(for: .milliseconds(2)) }
            _ = try await BenchClans.retry { try await runtime.matches.send(match, .start, context: player, commandID: "start") }
            _ = try await BenchClans.retry {
                try await runtime.matches.send(match, .recordRack(winner: .b, breaker: nil), context: player, commandID: "rack")
            }
            while try await runtime.challenges.read(id).state.status != .settled { try await Task.sleep(for: .milliseconds(2)) }
        }
        let elapsed = Bench.milliseconds(clock.now - start) / 1_000
        let acceptLatencies = accepts.withLock { $0 }.sorted()
        print(
            String(
                format:
                    "challenge cycles (create, accept with both stakes escrowed, match created and played, settled), %d pairs: %.0f cycles/s over %.1f s; a cycle p50 %.1f ms, p99 %.1f ms; the accept (escrow included) p50 %.1f ms, p99 %.1f ms",
                cycleDrivers,
                Double(latencies.count) / elapsed,
                elapsed,
                Bench.percentile(latencies, 0.5),
                Bench.percentile(latencies, 0.99),
                Bench.percentile(acceptLatencies, 0.5),
                Bench.percentile(acceptLatencies, 0.99)
            )
        )
        await runtime.passivateIdle()
    }

    private func timers(_ runtime: Runtime, _ storage: any Storage, _ probe: Probe, _ run: String) async throws {
        // The pending ones, inserted directly (an hour away), then the measured ones.
        let later = Int64((Date().timeIntervalSince1970 + 3_600) * 1000)
        for chunk in stride(from: 0, to: pending, by: 1_000) {
            let values = (chunk..<min(chunk + 1_000, pending)).map { "('p\(run)-\($0)', 'tournament:probe', '{}', \(later), 0, 0)" }
            try await storage.withSQL { db in
                try await db.raw(
                    SQLQueryString(
                        "INSERT INTO timers (id, stream, command, due_at, attempts, created_at) VALUES \(unsafeRaw: values.joined(separator: ","))"
                    )
                ).run()
            }
        }
        let start = Date()
        for index in 0..<timers {
            let due = start.addingTimeInterval(1 + timerSeconds * Double(index) / Double(timers))
            let dueMillis = Int64((due.timeIntervalSince1970 * 1000).rounded(.down))
            try await runtime.scheduleTimer(
                id: "m\(run)-\(index)",
                for: EntityKey(kind: .tournament, id: "probe\(index % 64)")!,
                command: #"{"dueAt":\#(dueMillis)}"#,
                at: due
            )
        }
        let deadline = Date().addingTimeInterval(timerSeconds + 30)
        while probe.late.withLock({ $0.count }) < timers, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let late = probe.late.withLock { $0 }.sorted()
        print(
            String(
                format: "timers: %d delivered of %d, with %d pending; late by p50 %.1f ms, p99 %.1f ms, max %.1f ms (interval %@)",
                late.count,
                timers,
                pending,
                Bench.percentile(late, 0.5),
                Bench.percentile(late, 0.99),
                late.last ?? 0,
                "\(runtime.configuration.timerInterval)"
            )
        )
        try await storage.withSQL { db in try await db.delete(from: "timers").run() }
    }
}

/// A kind for the timer benchmark: its command carries the time it was due, and the registration
/// notes how late it arrived.
final class Probe: Sendable {
    let late = Mutex<[Double]>([])

    enum Aggregate: DojoDomain.Aggregate {
        static let kind = EntityKind.tournament
        static let stateFormatVersion = 1
        struct State: Codable, Sendable, Equatable { var id: String }
        enum Command: Sendable, Codable { case fire }
        enum Event: Codable, Sendable, Equatable, JSONWritable {
            case fired
            func writeJSON(to w: inout JSONWriter) { w.enumCase("fired") { _ in } }
        }
        static func initialState(id: String) -> State { State(id: id) }
        static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] { [] }
        static func apply(_ state: inout State, _ event: Event) {}
        static func eventType(_ event: Event) -> String { "probe.fired" }
    }

    struct Body: Decodable { var dueAt: Int64 }

    static func register(_ runtime: Runtime) -> Probe {
        let probe = Probe()
        runtime.register(
            EntityRegistration(
                directory: runtime.makeDirectory(Aggregate.self),
                collection: "probes",
                exists: { _ in true },
                view: { $0.id },
                decode: { body, _ in
                    let due = try JSONDecoder().decode(Body.self, from: body).dueAt
                    let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                    probe.late.withLock { $0.append(Double(now - due)) }
                    return (.fire, nil)
                }
            )
        )
        return probe
    }
}
