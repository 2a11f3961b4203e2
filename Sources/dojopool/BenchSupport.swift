import ArgumentParser
import DojoAPI
import DojoRuntime
import DojoServer
import DojoStorage
import Foundation
import Logging
import ServiceLifecycle

/// What both benchmark commands share.
enum Bench {
    /// Runs `body` with the configuration the options give; without a Postgres URL, on a temporary
    /// SQLite file that is removed afterwards.
    static func withDatabase<T>(_ options: ConfigurationOptions, _ body: (ServerConfiguration) async throws -> T) async throws -> T {
        var configuration = try await options.load()
        configuration.logLevel = .warning
        var temporary: String?
        if configuration.databaseURL == nil {
            temporary = NSTemporaryDirectory() + "dojopool-bench-\(UUID().uuidString).sqlite"
            configuration.sqlitePath = temporary!
        }
        defer {
            if let temporary {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
            }
        }
        return try await body(configuration)
    }

    /// Positive counts from `1,100,1000`.
    static func counts(_ text: String, option: String) throws -> [Int] {
        let counts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--\(option) takes positive counts, e.g. 1,100,1000") }
        return counts
    }

    /// The `p` quantile of sorted values (0 when empty).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// A duration in milliseconds.
    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }
}

extension Bench {
    /// How long and how hard a benchmark runs, and how it reports.
    struct LoadOptions: ParsableArguments {
        @Option(help: "Seconds measured per run.")
        var seconds = 10.0

        @Option(help: "Seconds of warm-up before each measured run.")
        var warmup = 2.0

        @Option(help: "Total target operations per second (0: as fast as possible).")
        var rate = 0.0

        @Flag(help: "Print one JSON object per run instead of a table.")
        var json = false
    }
}

extension Bench {
    /// Runs `body` against a running storage, event-log writer and runtime (reactions and
    /// projections on, actors kept for an hour), with a short id for this run's entities; a
    /// failure of `body` is printed, and the services are shut down gracefully either way.
    static func withRuntime(
        _ options: ConfigurationOptions,
        name: String,
        _ body: @escaping (Runtime, any Storage, String) async throws -> Void
    ) async throws {
        try await withDatabase(options) { configuration in
            let (logger, _) = bootstrapObservability(configuration)
            let storage = try await openStorage(configuration, logger: logger)
            let writer = EventLogWriter(storage: storage, configuration: configuration.writerConfiguration, logger: logger)
            var runtimeConfiguration = configuration.runtime
            runtimeConfiguration.idleTimeout = .seconds(3_600)
            let runtime = Runtime(writer: writer, storage: storage, configuration: runtimeConfiguration, logger: logger)
            let group = ServiceGroup(services: [storage, writer, runtime], logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                _ = try await storage.migrate(logger: logger)
                runtime.storageReady()
                print("backend: \(storage.backend.rawValue)")
                do {
                    try await body(runtime, storage, String(UUID().uuidString.prefix(6).lowercased()))
                } catch {
                    print("\(name) failed: \(error)")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
