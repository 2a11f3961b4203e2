import DojoDomain
import Foundation
import Logging
import NIOCore

/// One client's session with the gateway, whatever carries it (``ConnectionTransport``: a native
/// WebSocket, or Socket.IO over WebSocket or long-polling). Everything here runs on the
/// connection's event loop.
///
/// The protocol logic (budgets, the heartbeat, the outbound queue, the lifecycle) is a value, the
/// ``ConnectionStateMachine``; this class holds what it cannot (the gateway, the transport, the
/// identity, the subscriptions) and performs the machine's answers: it writes, flushes, counts,
/// tells the client why, and closes.
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
    /// The last frame time the device sent (frames must move forward).
    var lastFrameTime: Int64 = -1
    private let upgradeRefusal: GatewayRefusal?
    let logger: Logger
    /// The wire; nil before ``start(transport:writable:)`` and after the transport ended.
    private var transport: (any ConnectionTransport)?
    private var machine: ConnectionStateMachine

    /// Followed rooms, and rooms whose subscribe is in progress.
    var subscriptions = SubscriptionList()
    var reserved: Set<String> = []
    var commandsInFlight = 0

    // What the current fan-out pass wrote, flushed once at its end.
    private var unflushed = false
    private var markedDirty = false
    private var sentMessages = 0
    private var sentBytes = 0
    /// This connection's place in its hub's list (heartbeat sweep).
    var hubIndex = -1

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
        let configuration = gateway.configuration
        limits = configuration
        machine = ConnectionStateMachine(
            limits: .init(
                messagesPerSecond: configuration.messagesPerSecond,
                messageBurst: configuration.messageBurst,
                outboundMessages: configuration.outboundMessages,
                outboundBytes: configuration.outboundBytes
            ),
            now: .now()
        )
        id = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        self.logger = logger
    }

    /// A wall-clock expiry as a deadline on the monotonic clock.
    static func deadline(_ date: Date) -> NIODeadline {
        .now() + .nanoseconds(Int64(max(date.timeIntervalSinceNow, 0) * 1e9))
    }

    /// The session is closing or over: nothing more is read or sent.
    var closing: Bool { !machine.isOpen }

    // MARK: Lifecycle

    /// The transport is ready: says hello (or why it is refused) and joins the loop's heartbeat.
    func start(transport: any ConnectionTransport, writable: Bool) {
        self.transport = transport
        machine.writabilityChanged(writable)
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
        admitted(machine.message(isFrame: false, now: .now()), frames: false)
    }

    /// Refuses what a transport could not turn into a message (a malformed Socket.IO packet),
    /// within the same rate limit as messages.
    func refuse(requestID: [UInt8]?, code: String, message: String) {
        guard admitsPacket() else { return }
        sendNow(Messages.error(requestID: requestID, code: code, message: message))
    }

    /// The transport is gone (the socket closed, the session expired): the session ends.
    func transportEnded() {
        if machine.end() {
            hub.unregister(self)
            detachAll()
            gateway.metrics.connection(opened: false)
        }
        transport = nil
    }

    private func detachAll() {
        for subscription in subscriptions.values { gateway.detach(subscription) }
        subscriptions.removeAll()
    }

    /// Something arrived from the client (any frame or packet): it is alive.
    func touched() {
        machine.touched(now: .now())
    }

    func beat(_ interval: TimeAmount) {
        switch machine.tick(now: .now(), interval: interval) {
        case .idle: break
        case .probe: transport?.heartbeat()
        case .timeout: close(CloseCode.heartbeatTimeout, "heartbeat_timeout", waitForPeer: false)
        }
    }

    /// One complete client message (text, within the size, valid UTF-8: the transport checked).
    func receive(_ bytes: [UInt8]) {
        // A camera's frames have their own budget (60/s, excess dropped and counted), not the
        // message rate limit.
        let isFrame = device != nil && bytes.starts(with: Self.framePrefix)
        guard let verdict = machine.message(isFrame: isFrame, now: .now()) else { return }
        gateway.metrics.received()
        guard admitted(verdict, frames: isFrame) else { return }
        gateway.handle(bytes, from: self)
    }

    static let framePrefix = Array(#"{"type":"frame""#.utf8)

    /// Performs a budget's verdict: counts what is dropped, tells the client why (not every
    /// time), and closes a client that keeps sending with nothing admitted (1008).
    private func admitted(_ verdict: TokenBudget.Verdict?, frames: Bool) -> Bool {
        guard let verdict else { return false }
        if verdict == .admitted { return true }
        if frames { gateway.metrics.frameDropped() } else { gateway.metrics.limited() }
        switch verdict {
        case .admitted, .dropped:
            break
        case .abusive where frames:
            gateway.metrics.abuseClosed(.frames)
            close(CloseCode.policyViolation, "rate_limited: kept sending frames past 60 per second", waitForPeer: false)
        case .abusive:
            gateway.metrics.abuseClosed(.messages)
            close(CloseCode.policyViolation, "rate_limited: kept sending past \(limits.messagesPerSecond) messages per second", waitForPeer: false)
        case .refused(let retry):
            let message =
                frames
                ? "more than 60 frames per second; the excess is dropped"
                : "more than \(limits.messagesPerSecond) messages per second; messages are dropped for \(retry) ms"
            sendNow(Messages.error(requestID: nil, code: "rate_limited", message: message, retryAfterMilliseconds: retry))
        }
        return false
    }

    // MARK: Outbound

    /// A reliable message: written now, or queued while the socket is not writable. A queue past
    /// the budget closes the connection (4008): it can reconnect and recover with `since`.
    func sendReliable(_ frame: ByteBuffer) {
        switch machine.sendReliable(frame) {
        case .writeNow: write(frame)
        case .overBudget: closeSlowConsumer()
        case .queued, .replaced, .discarded: break
        }
    }

    /// A lossy message (frames, presence): written now, or kept as the newest value per room.
    func sendLossy(_ frame: ByteBuffer, room: String, key: Room.LossyKey) {
        switch machine.sendLossy(frame, room: room, key: key) {
        case .writeNow: write(frame)
        case .replaced: gateway.metrics.conflatedDrop()
        case .queued, .overBudget, .discarded: break
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

    /// The transport can take more (`true`) or asks to wait (`false`). What waited is written one
    /// message at a time: a write that fills the transport again stops the drain.
    func writabilityChanged(_ writable: Bool) {
        machine.writabilityChanged(writable)
        guard writable, !closing else { return }
        while let frame = machine.nextToWrite() { write(frame) }
        flushPass()
    }

    func closeSlowConsumer() {
        guard !closing else { return }
        gateway.metrics.slowConsumerClosed()
        logger.info(
            "closing a slow consumer",
            metadata: [
                "ws.connection": "\(id)", "ws.queued": "\(machine.outbound.queuedMessages)",
                "ws.queued_bytes": "\(machine.outbound.queuedBytes)",
            ]
        )
        close(CloseCode.slowConsumer, "slow_consumer: reconnect and subscribe with since to recover", waitForPeer: false)
    }

    /// Ends the session: drops what is queued and the subscriptions, and has the transport say
    /// why (`code`, `reason`) and close (`waitForPeer`: after the peer answers, a graceful stop).
    func close(_ code: UInt16, _ reason: String, waitForPeer: Bool) {
        guard let transport, machine.close() else { return }
        detachAll()
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
