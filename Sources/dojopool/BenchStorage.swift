import ArgumentParser
import DojoAPI
import DojoServer
import DojoStorage
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `dojopool bench-storage`: appends through the group-commit writer from many concurrent actors,
/// each appending one ~200-byte event at a time and awaiting it (durable) before the next, and
/// reports events per second and append latency percentiles.
///
/// Runs against the configured storage (Postgres with `DOJO_DATABASE_URL`, else a temporary SQLite
/// file), on streams of its own. With `--rate`, actors are paced to that total rate and latency is
/// measured from each append's scheduled time (no coordinated omission); without it, they append as
/// fast as the storage lets them.
struct BenchStorage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-storage",
        abstract: "Benchmark durable appends through group commit."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Comma-separated counts of concurrent actors.")
    var actors = "1,100,1000"

    @OptionGroup var load: Bench.LoadOptions

    @Option(help: "Payload size of each event in bytes.")
    var payloadBytes = 200

    struct Run: Codable {
        var backend: String
        var actors: Int
        var targetRate: Double
        var events: Int
        var seconds: Double
        var eventsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var maxMilliseconds: Double
        var meanBatch: Double
        var errors: Int
    }

    func run() async throws {
        try await Bench.withDatabase(options) { configuration in
            try await run(configuration)
        }
    }

    private func run(_ configuration: ServerConfiguration) async throws {
        let (logger, _) = bootstrapObservability(configuration)
        let counts = try Bench.counts(actors, option: "actors")

        if !load.json {
            print("backend   actors  target/s   events/s   p50 ms   p99 ms   max ms  mean batch  errors")
        }
        for count in counts {
            let result = try await measure(actors: count, configuration: configuration, logger: logger)
            if load.json {
                let data = try JSONEncoder().encode(result)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(
                    String(
                        format: "%-8@ %7d %9.0f %10.0f %8.2f %8.2f %8.2f %11.1f %7d",
                        result.backend as NSString,
                        result.actors,
                        result.targetRate,
                        result.eventsPerSecond,
                        result.p50Milliseconds,
                        result.p99Milliseconds,
                        result.maxMilliseconds,
                        result.meanBatch,
                        result.errors
                    )
                )
            }
        }
    }

    private func measure(actors: Int, configuration: ServerConfiguration, logger: Logger) async throws -> Run {
        let storage = try await openStorage(configuration, logger: logger)
        let writer = EventLogWriter(
            storage: storage,
            configuration: configuration.writerConfiguration,
            logger: logger
        )
        let group = ServiceGroup(services: [storage, writer], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await storage.migrate(logger: logger)

            let payload = Self.payload(bytes: payloadBytes)
            let runID = UUID().uuidString.prefix(8).lowercased()
            let interval = load.rate > 0 ? Double(actors) / load.rate : 0
            let clock = ContinuousClock()
            let start = clock.now
            let measureFrom = start + .seconds(load.warmup)
            let end = measureFrom + .seconds(load.seconds)
            let before = Baseline()

            let perActor = try await withThrowingTaskGroup(of: ([Double], Int).self) { actorsGroup in
                for index in 0..<actors {
                    actorsGroup.addTask {
                        var latencies: [Double] = []
                        var errors = 0
                        var sequence: Int64 = 0
                        // Spread the actors' first appends over one interval.
                        var scheduled = start + .seconds(interval * Double(index) / Double(actors))
                        let stream = "bench-\(runID)-\(index)"
                        while clock.now < end {
                            if interval > 0 {
                                if scheduled > clock.now { try await Task.sleep(until: scheduled, clock: clock) }
                            } else {
                                scheduled = clock.now
                            }
                            let sentAt = scheduled
                            do {
                                let result = try await writer.append(
                                    AppendRequest(
                                        stream: stream,
                                        expectedSequence: sequence,
                                        events: [NewEvent(type: "BenchEvent", payload: payload)]
                                    )
                                )
                                sequence = result.lastSequence
                                if sentAt >= measureFrom && clock.now <= end {
                                    latencies.append(Bench.milliseconds(clock.now - sentAt))
                                }
                            } catch {
                                errors += 1
                                sequence = try await storage.lastSequence(of: stream)
                            }
                            if interval > 0 { scheduled = scheduled + .seconds(interval) }
                            if sentAt < measureFrom, clock.now >= measureFrom, index == 0 {
                                before.set(writer.statistics)
                            }
                        }
                        return (latencies, errors)
                    }
                }
                var all: [([Double], Int)] = []
                for try await result in actorsGroup { all.append(result) }
                return all
            }
            let after = writer.statistics
            let baseline = before.value
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()

            var latencies = perActor.flatMap(\.0)
            latencies.sort()
            func percentile(_ p: Double) -> Double { Bench.percentile(latencies, p) }
            let batches = max(1, after.batches - baseline.batches)
            return Run(
                backend: storage.backend.rawValue,
                actors: actors,
                targetRate: load.rate,
                events: latencies.count,
                seconds: load.seconds,
                eventsPerSecond: Double(latencies.count) / load.seconds,
                p50Milliseconds: percentile(0.50),
                p99Milliseconds: percentile(0.99),
                maxMilliseconds: latencies.last ?? 0,
                meanBatch: Double(after.requests - baseline.requests) / Double(batches),
                errors: perActor.map(\.1).reduce(0, +)
            )
        }
    }

    /// A JSON object of about `bytes` bytes.
    static func payload(bytes: Int) -> String {
        let prefix = #"{"shotId":"s-0001","player":"p-42","balls":[1,2,3],"note":""#
        let filler = String(repeating: "x", count: max(0, bytes - prefix.utf8.count - 2))
        return prefix + filler + #""}"#
    }
}

/// The writer's counts when measuring started, shared by the actor tasks.
final class Baseline: Sendable {
    private let statistics = Mutex(EventLogWriter.Statistics())
    func set(_ value: EventLogWriter.Statistics) { statistics.withLock { $0 = value } }
    var value: EventLogWriter.Statistics { statistics.withLock { $0 } }
}
