public import Logging
import ServiceLifecycle
import Synchronization

/// The loop of a service that polls (the outboxes of notification delivery and partner webhooks,
/// the cluster heartbeat):
/// every `interval` one `round`, until graceful shutdown. A failing round (before the migrations,
/// storage away) is logged once, then again only after a round has succeeded.
public func pollUntilShutdown(every interval: Duration, logger: Logger, problem: String, _ round: @escaping @Sendable () async throws -> Void) async {
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

/// Says yes at most once per `interval` (housekeeping inside a polling loop: pruning old rows).
public final class AtMostEvery: Sendable {
    private let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    public init(_ interval: Duration) { self.interval = interval }

    public func due() -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}
