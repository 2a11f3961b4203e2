import ArgumentParser
import CMalloc
import DojoAPI
import DojoDomain
import DojoRuntime
import DojoServer
import DojoStorage
import Foundation
import Logging
import SQLKit
import ServiceLifecycle

/// `dojopool bench-runtime`: commands through the whole path (actor mailbox, decide, durable
/// append through group commit, apply, acknowledge, consumers) for many concurrently active
/// matches, then the memory of idle match actors and their activation time from a snapshot.
///
/// Each active match has one driver that sends a shot command, awaits its acknowledgement, and
/// sends the next (with `--rate`, paced to that total rate, latency measured from the scheduled
/// time). Runs against the configured storage (Postgres with `DOJO_DATABASE_URL`, else a temporary
/// SQLite file); the records projection runs too unless `--no-projections`.
struct BenchRuntime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-runtime",
        abstract: "Benchmark commands through the actor runtime, and idle actor memory."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Comma-separated counts of concurrently active matches.")
    var matches = "1,100,10000"

    @OptionGroup var load: Bench.LoadOptions

    @Option(help: "Idle match actors to measure memory and activation with (0: skip).")
    var idle = 10_000

    @Flag(inversion: .prefixedNo, help: "Run the records projection (as the server does).")
    var projections = true

    @Flag(inversion: .prefixedNo, help: "Run the reactions consumer (as the server does).")
    var reactions = true

    struct Run: Codable {
        var backend: String
        var matches: Int
        var targetRate: Double
        var commands: Int
        var commandsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var maxMilliseconds: Double
        var meanAppendsPerBatch: Double
        var errors: Int
        /// Mean milliseconds per command in each stage (docs/runtime.md, "Where a command's time goes").
        var stageMeanMilliseconds: [String: Double]
    }

    struct IdleRun: Codable {
        var backend: String
        var actors: Int
        var bytesPerIdleActor: Double
        var activationP50Milliseconds: Double
        var activationP99Milliseconds: Double
        var activationsPerSecond: Double
    }

    func run() async throws {
        try await Bench.withDatabase(options) { configuration in
            try await run(configuration)
        }
    }

    private func run(_ configuration: ServerConfiguration) async throws {
        let (logger, _) = bootstrapObservability(configuration)
        let counts = try Bench.counts(matches, option: "matches")

        let storage = try await openStorage(configuration, logger: logger)
        let writer = EventLogWriter(storage: storage, configuration: configuration.writerConfiguration, logger: logger)
        var runtimeConfiguration = configuration.runtime
        runtimeConfiguration.idleTimeout = .seconds(3_600)
        let runtime = Runtime(
            writer: writer,
            storage: storage,
            configuration: runtimeConfiguration,
            logger: logger,
            projections: projections,
            reactions: reactions
        )
        let group = ServiceGroup(services: [storage, writer, runtime], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await storage.migrate(logger: logger)
            runtime.storageReady()
            try await seedPlayers(storage)

            if !load.json { print("backend   matches  target/s  commands/s   p50 ms   p99 ms   max ms  appends/batch  errors") }
            for count in counts {
                let result = try await measure(matches: count, runtime: runtime, writer: writer, backend: storage.backend)
                if load.json {
                    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
                } else {
                    print(
                        String(
                            format: "%-8@ %8d %9.0f %11.0f %8.2f %8.2f %8.2f %14.1f %7d",
                            result.backend as NSString,
                            result.matches,
                            result.targetRate,
                            result.commandsPerSecond,
                            result.p50Milliseconds,
                            result.p99Milliseconds,
                            result.maxMilliseconds,
                            result.meanAppendsPerBatch,
                            result.errors
                        )
                    )
                    print(
                        "  where the time went (mean ms per command):",
                        CommandStage.allCases.map { String(format: "%@ %.3f", $0.rawValue, result.stageMeanMilliseconds[$0.rawValue] ?? 0) }
                            .joined(separator: ", ")
                    )
                }
                await runtime.passivateIdle()
            }
            if idle > 0 {
                let result = try await measureIdle(actors: idle, runtime: runtime, backend: storage.backend)
                if load.json {
                    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
                } else {
                    print(
                        String(
                            format:
                                "\nidle match actors: %d resident, %.0f heap bytes each; activation from a snapshot p50 %.2f ms, p99 %.2f ms, %.0f/s (%@)",
                            result.actors,
                            result.bytesPerIdleActor,
                            result.activationP50Milliseconds,
                            result.activationP99Milliseconds,
                            result.activationsPerSecond,
                            result.backend as NSString
                        )
                    )
                }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static let terms = Match.Terms(playerA: "bench-a", playerB: "bench-b", gameType: .nineBall, raceTo: 9)
    private static let scorer = Principal.user("bench-a")

    private func seedPlayers(_ storage: any Storage) async throws {
        let existing = try await storage.existingIDs(in: "users", ["bench-a", "bench-b"])
        try await storage.withSQL { db in
            for id in ["bench-a", "bench-b"] where !existing.contains(id) {
                try await db.raw(
                    """
                    INSERT INTO users (id, email, username, password_hash, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: id + "@bench.invalid"), \(bind: id), 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
                    """
                ).run()
            }
        }
    }

    /// Creates, starts and opens a rack in `count` matches, 200 at a time.
    private func prepare(_ ids: [String], runtime: Runtime, rack: Bool) async throws {
        for chunk in stride(from: 0, to: ids.count, by: 200).map({ ids[$0..<min($0 + 200, ids.count)] }) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in chunk {
                    group.addTask {
                        let context = CommandContext(principal: Self.scorer, now: Timestamp(Date()))
                        _ = try await runtime.matches.send(id, .create(Self.terms), context: context)
                        if rack {
                            _ = try await runtime.matches.send(id, .start, context: context)
                            _ = try await runtime.matches.send(id, .startRack(breaker: .a), context: context)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    private func measure(matches count: Int, runtime: Runtime, writer: EventLogWriter, backend: StorageBackend) async throws -> Run {
        let runID = UUID().uuidString.prefix(8).lowercased()
        let ids = (0..<count).map { "bench-\(runID)-\($0)" }
        try await prepare(ids, runtime: runtime, rack: true)

        let interval = load.rate > 0 ? Double(count) / load.rate : 0
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .seconds(load.warmup)
        let end = measureFrom + .seconds(load.seconds)
        let baseline = Baseline()

        let perMatch = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for (index, id) in ids.enumerated() {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    var scheduled = start + .seconds(interval * Double(index) / Double(count))
                    // A legal miss (the 1 first, a rail, nothing pocketed): the referee passes the
                    // table every shot and the rack never ends, so the match runs for the whole load.
                    let miss = Referee.Shot(firstContact: 1, railAfterContact: true)
                    while clock.now < end {
                        if interval > 0 {
                            if scheduled > clock.now { try await Task.sleep(until: scheduled, clock: clock) }
                        } else {
                            scheduled = clock.now
                        }
                        let sentAt = scheduled
                        do {
                            _ = try await runtime.matches.send(
                                id,
                                .shot(miss, source: .scorer),
                                context: CommandContext(principal: Self.scorer, now: Timestamp(Date()))
                            )
                            if sentAt >= measureFrom && clock.now <= end {
                                latencies.append(Bench.milliseconds(clock.now - sentAt))
                            }
                        } catch {
                            errors += 1
                        }
                        if interval > 0 { scheduled = scheduled + .seconds(interval) }
                        if index == 0, sentAt < measureFrom, clock.now >= measureFrom {
                            baseline.set(writer.statistics)
                            runtime.commandStages.reset()
                        }
                    }
                    return (latencies, errors)
                }
            }
            var all: [([Double], Int)] = []
            for try await result in group { all.append(result) }
            return all
        }
        let after = writer.statistics
        let stages = runtime.commandStages.snapshot()
        let before = baseline.value
        var latencies = perMatch.flatMap(\.0)
        latencies.sort()
        func percentile(_ p: Double) -> Double { Bench.percentile(latencies, p) }
        return Run(
            backend: backend.rawValue,
            matches: count,
            targetRate: load.rate,
            commands: latencies.count,
            commandsPerSecond: Double(latencies.count) / load.seconds,
            p50Milliseconds: percentile(0.5),
            p99Milliseconds: percentile(0.99),
            maxMilliseconds: latencies.last ?? 0,
            meanAppendsPerBatch: Double(after.requests - before.requests) / Double(max(1, after.batches - before.batches)),
            errors: perMatch.map(\.1).reduce(0, +),
            stageMeanMilliseconds: Dictionary(
                uniqueKeysWithValues: stages.map { stage, value in
                    (stage.rawValue, value.count == 0 ? 0 : Bench.milliseconds(value.total) / Double(value.count))
                }
            )
        )
    }

    /// Creates `actors` matches, passivates them (snapshots), then activates every one again from
    /// its snapshot and measures resident memory growth and activation latency.
    private func measureIdle(actors: Int, runtime: Runtime, backend: StorageBackend) async throws -> IdleRun {
        let runID = UUID().uuidString.prefix(8).lowercased()
        let ids = (0..<actors).map { "idle-\(runID)-\($0)" }
        try await prepare(ids, runtime: runtime, rack: true)
        await runtime.passivateIdle()
        await runtime.drainConsumers()
        let rssBefore = Self.residentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        var latencies: [Double] = []
        for chunk in stride(from: 0, to: ids.count, by: 64).map({ ids[$0..<min($0 + 64, ids.count)] }) {
            latencies += try await withThrowingTaskGroup(of: Double.self) { group in
                for id in chunk {
                    group.addTask {
                        let begin = clock.now
                        _ = try await runtime.matches.read(id)
                        let elapsed = clock.now - begin
                        return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let total = clock.now - started
        let rssAfter = Self.residentBytes()
        latencies.sort()
        let elapsedSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        return IdleRun(
            backend: backend.rawValue,
            actors: actors,
            bytesPerIdleActor: Double(rssAfter - rssBefore) / Double(actors),
            activationP50Milliseconds: latencies[latencies.count / 2],
            activationP99Milliseconds: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
            activationsPerSecond: Double(actors) / elapsedSeconds
        )
    }

    /// Heap bytes in use (glibc `mallinfo2`): unlike the resident set size, it is not hidden by
    /// memory freed earlier and reused.
    static func residentBytes() -> Int {
        // Looked up at run time: called directly, the toolchain's Glibc overlay bound the name to
        // a declaration that never reached libc (the figures read 0).
        typealias MallInfo2 = @convention(c) () -> mallinfo2
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return 0 }
        return Int(unsafeBitCast(symbol, to: MallInfo2.self)().uordblks)
    }
}
