import ArgumentParser
import DojoAPI
import DojoRuntime
import DojoServer
import DojoStorage
import Foundation
import Logging
import ServiceLifecycle

/// `dojopool export --out DIR`: every table and the event log of the configured database, as
/// NDJSON with a manifest (schema version, row counts, checksums), read in one snapshot while the
/// server may keep running. Backup (docs/operations.md).
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export the whole database (every table and the event log) to a directory.")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "A new or empty directory.") var out: String

    func run() async throws {
        let configuration = try await options.load()
        let (logger, _) = bootstrapObservability(configuration)
        let storage = try await openStorage(configuration, logger: logger)
        let manifest = try await withStorageRunning(storage) { try await DataTransfer.export(storage, to: URL(fileURLWithPath: out)) }
        print("export: \(Transfers.summary(manifest)) from \(storage.backend.rawValue) into \(out)")
    }
}

/// `dojopool import --from DIR [--force]`: an export into the configured database (migrated
/// first), then checked against the export's manifest. Restore (docs/operations.md).
/// `dojopool import --legacy postgres://…|sqlite:PATH [--report FILE]`: the legacy platform's
/// database (the seed's Prisma schema) into the configured one (docs/operations.md, "The legacy
/// import"); idempotent and resumable, with a report of every table.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Import an export into the configured database (empty, or --force to replace what it holds), then verify it; or, with --legacy, the legacy platform's database."
    )

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "The export's directory.") var from: String?
    @Flag(help: "Replace what the target holds.") var force = false
    @Option(help: "The legacy platform's database: postgres://… or sqlite:PATH (read only).") var legacy: String?
    @Option(help: "With --legacy: also write the report as JSON to this file.") var report: String?

    func validate() throws {
        guard (from == nil) != (legacy == nil) else {
            throw ValidationError("give either --from DIR (an export) or --legacy URL (the legacy platform's database)")
        }
        if report != nil && legacy == nil { throw ValidationError("--report goes with --legacy") }
        if force && legacy != nil { throw ValidationError("--force goes with --from: the legacy import never replaces what is there") }
    }

    func run() async throws {
        let configuration = try await options.load()
        let (logger, _) = bootstrapObservability(configuration)
        if let legacy {
            return try await importLegacy(legacy, configuration: configuration, logger: logger)
        }
        let storage = try await openStorage(configuration, logger: logger)
        let manifest = try await withStorageRunning(storage) {
            _ = try await storage.migrate(logger: logger)
            return try await DataTransfer.import(URL(fileURLWithPath: from ?? ""), into: storage, force: force)
        }
        print("import: \(Transfers.summary(manifest)) into \(storage.backend.rawValue), verified (row counts, checksums, streams)")
    }

    /// The legacy import runs the runtime (its reactions and projections, notifications quiet)
    /// over the configured database while the importer sends its commands.
    func importLegacy(_ location: String, configuration: ServerConfiguration, logger: Logger) async throws {
        let legacyStorage = try await Transfers.open(location, logger: logger)
        let storage = try await openStorage(configuration, logger: logger)
        let writer = EventLogWriter(storage: storage, configuration: configuration.writerConfiguration, logger: logger)
        var runtimeConfiguration = configuration.runtime
        runtimeConfiguration.quietNotifications = true
        let runtime = Runtime(writer: writer, storage: storage, configuration: runtimeConfiguration, logger: logger)
        let group = ServiceGroup(services: [legacyStorage, storage, writer, runtime], logger: logger)
        let result: LegacyImportReport = try await withThrowingTaskGroup(of: LegacyImportReport?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            do {
                _ = try await storage.migrate(logger: logger)
                runtime.storageReady()
                let importer = LegacyImporter(
                    source: LegacySource(storage: legacyStorage),
                    runtime: runtime,
                    storage: storage,
                    positionConsumers: serverConsumerNames
                )
                let report = try await importer.run()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return report
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
        if let path = report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: path))
        }
        print("import --legacy into \(storage.backend.rawValue):\n\(result.summary)")
    }
}

/// `dojopool copy --from sqlite:PATH --to postgres://…`: moves a whole database to another (the
/// embedded default to Postgres, say), verified before it reports success.
struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a whole database into another (sqlite:PATH or postgres://…), verified: row counts, checksums, every stream's last sequence."
    )

    @Option(help: "The source: sqlite:PATH or postgres://….") var from: String
    @Option(help: "The target: sqlite:PATH or postgres://… (empty, or --force).") var to: String
    @Flag(help: "Replace what the target holds.") var force = false

    func run() async throws {
        let logger = { () -> Logger in
            var logger = Logger(label: "dojopool.copy")
            logger.logLevel = .warning
            return logger
        }()
        let source = try await Transfers.open(from, logger: logger)
        let target = try await Transfers.open(to, logger: logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dojopool-copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try await withStorageRunning(source) {
            try await withStorageRunning(target) {
                // The source at this binary's schema (a source from an older release is brought up to it).
                _ = try await source.migrate(logger: logger)
                _ = try await DataTransfer.export(source, to: directory)
                _ = try await target.migrate(logger: logger)
                return try await DataTransfer.import(directory, into: target, force: force)
            }
        }
        print(
            "copy: \(Transfers.summary(manifest)) from \(source.backend.rawValue) to \(target.backend.rawValue), verified (row counts, checksums, streams)"
        )
    }
}

enum Transfers {
    /// `sqlite:PATH` (or a path) or a `postgres://` URL.
    static func open(_ location: String, logger: Logger) async throws -> any Storage {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") { return try PostgresStorage(url: location, logger: logger) }
        let path = location.hasPrefix("sqlite:") ? String(location.dropFirst("sqlite:".count)) : location
        guard !path.isEmpty else { throw ValidationError("give a database as sqlite:PATH or postgres://…") }
        return try await SQLiteStorage.open(path: path, logger: logger)
    }

    static func summary(_ manifest: ExportManifest) -> String {
        let rows = manifest.tables.reduce(0) { $0 + $1.rows }
        let events = manifest.tables.first { $0.name == "events" }?.rows ?? 0
        return "\(manifest.tables.count) tables, \(rows) rows (\(events) events), schema \(manifest.schemaVersion)"
    }
}
