import DojoDomain
import Foundation
import Logging
import NIOCore

/// One client's session with the gateway, whatever carries it (``ConnectionTransport``: a native
/// WebSocket, or Socket.IO over WebSocket or long-polling). Everything here runs on the
/// connection's event loop.
///
/// Inbound: complete messages from the transport pass the rate limit and go to the ``Gateway``.
/// Outbound: reliable messages are written while the transport is writable and queued (within
/// the budget) while it is not; lossy ones keep only the newest value.
final class Connection {
    let gateway: Gateway
    let hub: LoopHub
    let id: String
    let limits: GatewayConfiguration
    var principal: Principal?
    /// A camera device's binding, when the connection signed in with a device token.
    var device: DeviceBinding?
    /// When the token expires: commands and frames are refused after it (subscriptions stay).
    var principalExpiry: NIODeadline?
    /// The device's frame budget (60 per second; the excess is dropped and counted) and the last
    /// frame time it sent (frames must move forward).
    var frameTokens = 60.0
    var frameRefill = NIODeadline.now()
    var lastFrameTime: Int64 = -1
    private let upgradeRefusal: GatewayRefusal?
    let logger: Logger
    /// The wire; nil before ``start(transport:writable:)`` and after the transport ended.
    private var transport: (any ConnectionTransport)?

    /// Followed rooms, and rooms whose subscribe is in progress.
    var subscriptions = SubscriptionList()
    var reserved: Set<String> = []
    var commandsInFlight = 0

    // Inbound.
    private var lastInbound = NIODeadline.now()
    private var tokens: Double
    private var lastRefill = NIODeadline.now()
    private var refusedInARow = 0

    // Outbound.
    private var queue = CircularBuffer<ByteBuffer>(initialCapacity: 1)
    private var queuedBytes = 0
    private var conflated: [String: ByteBuffer] = [:]
    private var conflatedOrder: [String] = []
    private var unflushed = false
    private var markedDirty = false
    private var sentMessages = 0
    private var sentBytes = 0
    private(set) var closing = false
    /// This connection's place in its hub's list (heartbeat sweep).
    var hubIndex = -1
    /// The transport's writability, kept from ``writabilityChanged(_:)`` (read per delivery).
    private var writable = true

    init(gateway: Gateway, hub: LoopHub, identity: GatewayIdentity?, upgradeRefusal: GatewayRefusal?, logger: Logger) {
        self.gateway = gateway
        self.hub = hub
        switch identity {
        case .user(let principal, let expiresAt):
            self.principal = principal
            principalExpiry = Self.deadline(expiresAt)
        case .device(let device, let expiresAt):
            self.device = device
            principalExpiry = Self.deadline(expiresAt)
        case nil:
            break
        }
        self.upgradeRefusal = upgradeRefusal
        limits = gateway.configuration
        tokens = Double(gateway.configuration.messageBurst)
        id = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        self.logger = logger
    }

    /// A wall-clock expiry as a deadline on the monotonic clock.
    static func deadline(_ date: Date) -> NIODeadline {
        .now() + .nanoseconds(Int64(max(date.timeIntervalSinceNow, 0) * 1e9))
    }

    // MARK: Lifecycle

    /// The transport is ready: says hello (or why it is refused) and joins the loop's heartbeat.
    func start(transport: any ConnectionTransport, writable: Bool) {
        self.transport = transport
        self.writable = writable
        gateway.metrics.connection(opened: true)
        if let refusal = upgradeRefusal {
            sendNow(Messages.error(requestID: nil, code: refusal.code, message: refusal.message))
            close(CloseCode.unauthorized, refusal.code, waitForPeer: false)
            return
        }
        sendNow(hello())
        hub.register(self, heartbeat: .seconds(Int64(limits.heartbeatSeconds)))
    }

    /// The `hello` message as of now (its identity is the connection's current one).
    func hello() -> ByteBuffer {
        Messages.hello(connectionID: id, configuration: limits, principal: principal, device: device)
    }

    /// Whether one more packet a transport answers by itself (a Socket.IO ping, a CONNECT to
    /// another namespace) fits the message budget: they count as messages.
    func admitsPacket() -> Bool {
        guard !closing else { return false }
        lastInbound = .now()
        return admit()
    }

    /// Refuses what a transport could not turn into a message (a malformed Socket.IO packet),
    /// within the same rate limit as messages.
    func refuse(requestID: [UInt8]?, code: String, message: String) {
        guard !closing else { return }
        lastInbound = .now()
        guard admit() else { return }
        sendNow(Messages.error(requestID: requestID, code: code, message: message))
    }

    /// The transport is gone (the socket closed, the session expired): the session ends.
    func transportEnded() {
        teardown()
        transport = nil
    }

    private var tornDown = false

    private func teardown() {
        guard !tornDown else { return }
        tornDown = true
        closing = true
        hub.unregister(self)
        for subscription in subscriptions.values { gateway.detach(subscription) }
        subscriptions.removeAll()
        queue.removeAll()
        conflated.removeAll()
        gateway.metrics.connection(opened: false)
    }

    /// Something arrived from the client (any frame or packet): it is alive.
    func touched() {
        lastInbound = .now()
    }

    func beat(_ interval: TimeAmount) {
        guard !closing else { return }
        if NIODeadline.now() - lastInbound > interval * 2 {
            close(CloseCode.heartbeatTimeout, "heartbeat_timeout", waitForPeer: false)
            return
        }
        transport?.heartbeat()
    }

    /// One complete client message (text, within the size, valid UTF-8: the transport checked).
    func receive(_ bytes: [UInt8]) {
        guard !closing else { return }
        lastInbound = .now()
        gateway.metrics.received()
        // A camera's frames have their own budget (60/s, excess dropped and counted), not the
        // message rate limit.
        if device != nil, bytes.starts(with: Self.framePrefix) {
            guard admitFrame() else { return }
        } else {
            guard admit() else { return }
        }
        gateway.handle(bytes, from: self)
    }

    static let framePrefix = Array(#"{"type":"frame""#.utf8)

    /// The device's frame budget: 60 per second, the excess dropped and counted. The device
    /// hears `rate_limited` on the first dropped frame and every 60th after it, and a device that
    /// keeps sending with nothing admitted (``Self/abusiveRefusals`` in a row) is closed with 1008.
    private func admitFrame() -> Bool {
        let now = NIODeadline.now()
        frameTokens = min(60, frameTokens + Double((now - frameRefill).nanoseconds) / 1e9 * 60)
        frameRefill = now
        if frameTokens >= 1 {
            frameTokens -= 1
            framesRefusedInARow = 0
            return true
        }
        gateway.metrics.frameDropped()
        framesRefusedInARow += 1
        if framesRefusedInARow > Self.abusiveFrameRefusals {
            gateway.metrics.abuseClosed(.frames)
            close(CloseCode.policyViolation, "rate_limited: kept sending frames past 60 per second", waitForPeer: false)
        } else if framesRefusedInARow == 1 || framesRefusedInARow % 60 == 0 {
            sendNow(
                Messages.error(
                    requestID: nil,
                    code: "rate_limited",
                    message: "more than 60 frames per second; the excess is dropped",
                    retryAfterMilliseconds: Int(((1 - frameTokens) / 60 * 1000).rounded(.up))
                )
            )
        }
        return false
    }

    /// Frames refused in a row before the device is closed (10 seconds' worth).
    static let abusiveFrameRefusals = 600
    private var framesRefusedInARow = 0

    /// The per-connection token bucket: `messagesPerSecond` sustained, `messageBurst` at once.
    private func admit() -> Bool {
        let now = NIODeadline.now()
        let elapsed = Double((now - lastRefill).nanoseconds) / 1e9
        lastRefill = now
        tokens = min(Double(limits.messageBurst), tokens + elapsed * Double(limits.messagesPerSecond))
        if tokens >= 1 {
            tokens -= 1
            refusedInARow = 0
            return true
        }
        gateway.metrics.limited()
        refusedInARow += 1
        if refusedInARow > limits.messageBurst * 4 {
            gateway.metrics.abuseClosed(.messages)
            close(CloseCode.policyViolation, "rate_limited: kept sending past \(limits.messagesPerSecond) messages per second", waitForPeer: false)
        } else if refusedInARow == 1 || refusedInARow % 16 == 0 {
            let retry = Int(((1 - tokens) / Double(limits.messagesPerSecond) * 1000).rounded(.up))
            sendNow(
                Messages.error(
                    requestID: nil,
                    code: "rate_limited",
                    message: "more than \(limits.messagesPerSecond) messages per second; messages are dropped for \(retry) ms",
                    retryAfterMilliseconds: retry
                )
            )
        }
        return false
    }

    // MARK: Outbound

    /// A reliable message: written now, or queued while the socket is not writable. A queue past
    /// the budget closes the connection (4008): it can reconnect and recover with `since`.
    func sendReliable(_ frame: ByteBuffer) {
        guard !closing else { return }
        if writable && queue.isEmpty {
            write(frame)
            return
        }
        queue.append(frame)
        queuedBytes += frame.readableBytes
        if queue.count > limits.outboundMessages || queuedBytes > limits.outboundBytes {
            closeSlowConsumer()
        }
    }

    /// A lossy message (frames, presence): written now, or kept as the newest value per room.
    func sendLossy(_ frame: ByteBuffer, room: String, key: Room.LossyKey) {
        guard !closing else { return }
        if writable && queue.isEmpty && conflated.isEmpty {
            write(frame)
            return
        }
        let slot =
            switch key {
            case .frame: room
            case .presence: "presence " + room
            case .notice(let entity): entity + " " + room
            }
        if conflated.updateValue(frame, forKey: slot) != nil {
            gateway.metrics.conflatedDrop()
        } else {
            conflatedOrder.append(slot)
        }
    }

    /// Sends and flushes at once (answers to the client's own requests).
    func sendNow(_ frame: ByteBuffer) {
        sendReliable(frame)
        flushPass()
        hub.reportFlushed()
    }

    private func write(_ frame: ByteBuffer) {
        guard let transport else { return }
        transport.write(frame)
        sentMessages += 1
        sentBytes += frame.readableBytes
        unflushed = true
        if !markedDirty {
            markedDirty = true
            hub.markDirty(self)
        }
    }

    /// Flushes what this pass wrote (called once per connection per fan-out pass).
    func flushPass() {
        markedDirty = false
        guard unflushed, let transport else { return }
        unflushed = false
        transport.flush()
        hub.flushed(messages: sentMessages, bytes: sentBytes)
        sentMessages = 0
        sentBytes = 0
    }

    /// The transport can take more (`true`) or asks to wait (`false`).
    func writabilityChanged(_ writable: Bool) {
        self.writable = writable
        if writable && !closing {
            while writable, let frame = queue.popFirst() {
                queuedBytes -= frame.readableBytes
                write(frame)
            }
            if queue.isEmpty {
                for slot in conflatedOrder {
                    if let frame = conflated.removeValue(forKey: slot) { write(frame) }
                }
                conflatedOrder.removeAll()
            }
            flushPass()
        }
    }

    func closeSlowConsumer() {
        guard !closing else { return }
        gateway.metrics.slowConsumerClosed()
        logger.info(
            "closing a slow consumer",
            metadata: ["ws.connection": "\(id)", "ws.queued": "\(queue.count)", "ws.queued_bytes": "\(queuedBytes)"]
        )
        close(CloseCode.slowConsumer, "slow_consumer: reconnect and subscribe with since to recover", waitForPeer: false)
    }

    /// Ends the session: drops what is queued and the subscriptions, and has the transport say
    /// why (`code`, `reason`) and close (`waitForPeer`: after the peer answers, a graceful stop).
    func close(_ code: UInt16, _ reason: String, waitForPeer: Bool) {
        guard !closing, let transport else { return }
        closing = true
        queue.removeAll()
        queuedBytes = 0
        conflated.removeAll()
        conflatedOrder.removeAll()
        for subscription in subscriptions.values { gateway.detach(subscription) }
        subscriptions.removeAll()
        transport.close(code: code, reason: reason, waitForPeer: waitForPeer)
    }
}

/// A connection's subscriptions by room name: a small array (a few rooms per connection, at most
/// `gateway.subscriptions.max`), lighter than a dictionary on a server holding many sockets.
struct SubscriptionList {
    private var items: [Subscription] = []

    var count: Int { items.count }
    var values: [Subscription] { items }

    subscript(_ room: String) -> Subscription? {
        get { items.first { $0.room.nameText == room } }
        set {
            items.removeAll { $0.room.nameText == room }
            if let newValue { items.append(newValue) }
        }
    }

    @discardableResult
    mutating func removeValue(forKey room: String) -> Subscription? {
        guard let index = items.firstIndex(where: { $0.room.nameText == room }) else { return nil }
        return items.remove(at: index)
    }

    mutating func removeAll() { items.removeAll() }
}
