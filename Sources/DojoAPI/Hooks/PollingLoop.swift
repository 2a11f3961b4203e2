import Logging
import ServiceLifecycle

/// The loop of a service that sends from an outbox (notification delivery, partner webhooks):
/// every `interval` one `round`, until graceful shutdown. A failing round (before the migrations,
/// storage away) is logged once, then again only after a round has succeeded.
func pollUntilShutdown(every interval: Duration, logger: Logger, problem: String, _ round: @escaping @Sendable () async throws -> Void) async {
    await cancelWhenGracefulShutdown {
        var failing = false
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                try await round()
                failing = false
            } catch  where !Task.isCancelled {
                if !failing { logger.warning("\(problem)", metadata: ["error": "\(error)"]) }
                failing = true
            } catch {}
        }
    }
}
