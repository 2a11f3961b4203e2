import CoreMetrics
import Metrics
import NIOCore
import Synchronization

/// The gateway's metrics (Prometheus names in docs/protocol.md): connections, subscriptions,
/// messages in and out, bytes out, slow-consumer closes, conflated drops, recovery outcomes and
/// the fan-out latency (publish to write).
final class GatewayMetrics: Sendable {
    private let connections = Gauge(label: "dojo_ws_connections")
    private let subscriptions = Gauge(label: "dojo_ws_subscriptions")
    private let messagesIn = Counter(label: "dojo_ws_messages_in_total")
    private let messagesOut = Counter(label: "dojo_ws_messages_out_total")
    private let bytesOut = Counter(label: "dojo_ws_bytes_out_total")
    private let slowConsumers = Counter(label: "dojo_ws_slow_consumer_closes_total")
    private let conflated = Counter(label: "dojo_ws_conflated_drops_total")
    private let rateLimited = Counter(label: "dojo_ws_rate_limited_total")
    private let framesDropped = Counter(label: "dojo_ws_frames_dropped_total")
    private let abuseClosedMessages = Counter(label: "dojo_ws_abuse_closes_total", dimensions: [("budget", "messages")])
    private let abuseClosedFrames = Counter(label: "dojo_ws_abuse_closes_total", dimensions: [("budget", "frames")])
    private let revoked = Counter(label: "dojo_ws_access_revoked_total")
    private let recoveryHit = Counter(label: "dojo_ws_recovery_total", dimensions: [("result", "memory")])
    private let recoveryLog = Counter(label: "dojo_ws_recovery_total", dimensions: [("result", "log")])
    private let recoveryMiss = Counter(label: "dojo_ws_recovery_total", dimensions: [("result", "snapshot")])
    private let gapRepaired = Counter(label: "dojo_ws_gaps_total", dimensions: [("result", "repaired")])
    private let gapResync = Counter(label: "dojo_ws_gaps_total", dimensions: [("result", "resync")])
    private let fanOut = Timer(label: "dojo_ws_fanout_latency_seconds", preferredDisplayUnit: .seconds)

    private let counts = Mutex<(connections: Int, subscriptions: Int)>((0, 0))

    func connection(opened: Bool) {
        let value = counts.withLock { counts in
            counts.connections += opened ? 1 : -1
            return counts.connections
        }
        connections.record(value)
    }

    func subscription(added: Bool) {
        let value = counts.withLock { counts in
            counts.subscriptions += added ? 1 : -1
            return counts.subscriptions
        }
        subscriptions.record(value)
    }

    func received() { messagesIn.increment() }
    func sent(messages: Int, bytes: Int) {
        messagesOut.increment(by: messages)
        bytesOut.increment(by: bytes)
    }

    func slowConsumerClosed() { slowConsumers.increment() }
    func conflatedDrop() { conflated.increment() }
    func limited() { rateLimited.increment() }
    func frameDropped() { framesDropped.increment() }
    func accessRevoked() { revoked.increment() }
    enum Budget { case messages, frames }
    func abuseClosed(_ budget: Budget) {
        switch budget {
        case .messages: abuseClosedMessages.increment()
        case .frames: abuseClosedFrames.increment()
        }
    }

    enum Recovery { case memory, log, snapshot }
    func recovered(_ outcome: Recovery) {
        switch outcome {
        case .memory: recoveryHit.increment()
        case .log: recoveryLog.increment()
        case .snapshot: recoveryMiss.increment()
        }
    }

    /// A subscriber's gap (messages lost between nodes): filled from the log, or the subscription
    /// ended with `room.resync`.
    func gap(repaired: Bool) { (repaired ? gapRepaired : gapResync).increment() }

    func delivered(_ count: Int, latencies: some Sequence<TimeAmount>) {
        for latency in latencies { fanOut.recordNanoseconds(latency.nanoseconds) }
    }

    var current: (connections: Int, subscriptions: Int) { counts.withLock { $0 } }
}
