import NIOCore
import Synchronization

/// The fan-out of one event loop: publishers (actors, other loops) enqueue a room's message once
/// per loop; the loop drains its inbox in one pass, writes the same bytes to every local
/// subscriber, and flushes each connection once per pass. Under load, several messages arrive per
/// pass and each socket gets one `writev` for all of them (write coalescing).
final class LoopHub: Sendable {
    struct Delivery: Sendable {
        enum Kind: Sendable {
            case reliable(seq: Int64, frame: ByteBuffer)
            case lossy(key: Room.LossyKey, frame: ByteBuffer)
        }

        let shard: RoomShard
        let kind: Kind
        let publishedAt: NIODeadline
    }

    let eventLoop: any EventLoop
    /// Socket.IO's translations of this loop's messages (one per message, not per session).
    let translations = TranslationCache()
    private let inbox = Mutex<(items: [Delivery], scheduled: Bool)>(([], false))
    private let pass: PassState
    private let metrics: GatewayMetrics

    /// What one pass touched, and the loop's connections: only used on the hub's loop.
    final class PassState: @unchecked Sendable {
        var dirty: [Connection] = []
        var messages = 0
        var bytes = 0
        var connections: [Connection] = []
        var heartbeat: RepeatedTask?
    }

    init(eventLoop: any EventLoop, metrics: GatewayMetrics) {
        self.eventLoop = eventLoop
        self.metrics = metrics
        pass = PassState()
    }

    func enqueue(_ delivery: Delivery) {
        let schedule = inbox.withLock { inbox in
            inbox.items.append(delivery)
            if inbox.scheduled { return false }
            inbox.scheduled = true
            return true
        }
        if schedule { eventLoop.execute { self.drain() } }
    }

    /// Registers a connection to be flushed at the end of the current pass.
    func markDirty(_ connection: Connection) {
        eventLoop.assertInEventLoop()
        pass.dirty.append(connection)
    }

    /// Registers a connection for the loop's heartbeat sweep (one timer per loop, not per socket).
    func register(_ connection: Connection, heartbeat: TimeAmount) {
        eventLoop.assertInEventLoop()
        connection.hubIndex = pass.connections.count
        pass.connections.append(connection)
        if pass.heartbeat == nil {
            pass.heartbeat = eventLoop.scheduleRepeatedTask(initialDelay: heartbeat, delay: heartbeat) { [pass] _ in
                for connection in pass.connections { connection.beat(heartbeat) }
            }
        }
    }

    /// Closes every connection of this loop with 1001 (graceful shutdown).
    func closeAll() {
        for connection in pass.connections {
            connection.close(CloseCode.goingAway, "going_away: server restarting; reconnect and subscribe with since", waitForPeer: true)
        }
    }

    func unregister(_ connection: Connection) {
        eventLoop.assertInEventLoop()
        let index = connection.hubIndex
        guard index >= 0, index < pass.connections.count, pass.connections[index] === connection else { return }
        let last = pass.connections.removeLast()
        if index < pass.connections.count {
            pass.connections[index] = last
            last.hubIndex = index
        }
        connection.hubIndex = -1
    }

    /// Counts what a connection flushed (reported to the metrics once per pass).
    func flushed(messages: Int, bytes: Int) {
        pass.messages += messages
        pass.bytes += bytes
    }

    private func drain() {
        let items = inbox.withLock { inbox in
            inbox.scheduled = false
            var items: [Delivery] = []
            swap(&items, &inbox.items)
            return items
        }
        var deliveries = 0
        for delivery in items {
            let subscriptions = delivery.shard.subscriptions
            deliveries += subscriptions.count
            switch delivery.kind {
            case .reliable(let seq, let frame):
                for subscription in subscriptions { subscription.offer(seq, frame) }
            case .lossy(let key, let frame):
                for subscription in subscriptions where subscription.pending == nil {
                    subscription.connection.sendLossy(frame, room: subscription.room.nameText, key: key)
                }
            }
        }
        var connections: [Connection] = []
        swap(&connections, &pass.dirty)
        for connection in connections { connection.flushPass() }
        let now = NIODeadline.now()
        metrics.delivered(deliveries, latencies: items.lazy.map { now - $0.publishedAt })
        reportFlushed()
    }

    /// Hands the pass's message and byte counts to the metrics (also after out-of-pass flushes).
    func reportFlushed() {
        guard pass.messages > 0 else { return }
        metrics.sent(messages: pass.messages, bytes: pass.bytes)
        pass.messages = 0
        pass.bytes = 0
    }
}
