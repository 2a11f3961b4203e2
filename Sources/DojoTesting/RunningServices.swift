public import Logging
public import ServiceLifecycle

/// Runs `services` in a `ServiceGroup` (in order, as the server does) while `body` runs, then shuts
/// the group down gracefully and waits for every service to finish.
public func withRunningServices<T: Sendable>(
    _ services: [any Service],
    logger: Logger = Logger(label: "test"),
    _ body: @Sendable () async throws -> T
) async throws -> T {
    let group = ServiceGroup(services: services, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
