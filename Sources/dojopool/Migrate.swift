import ArgumentParser
import DojoAPI
import DojoServer
import DojoStorage
import ServiceLifecycle

/// `dojopool migrate`: applies pending migrations and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let (logger, _) = bootstrapObservability(configuration)
        let storage = try await openStorage(configuration, logger: logger)
        let applied = try await withStorageRunning(storage) {
            try await storage.migrate(logger: logger)
        }
        print(
            applied.isEmpty
                ? "migrations: up to date (\(storage.backend.rawValue))"
                : "migrations: applied \(applied.map(\.description).joined(separator: ", ")) (\(storage.backend.rawValue))"
        )
    }
}

/// Runs `body` while `storage` (a service) runs, then stops it.
func withStorageRunning<T: Sendable>(_ storage: any Storage, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await storage.run()
            return nil
        }
        let result = try await body()
        group.cancelAll()
        // Cancelled, the storage service closes its connections before it returns.
        while let _ = try? await group.next() {}
        return result
    }
}
