import DojoDomain
import Foundation
import Logging
import NIOCore
import NIOWebSocket

/// Writes bytes straight to the socket: it sits first in the pipeline (before NIO's frame
/// encoder), so the frames the gateway encoded once per room go out unchanged.
final class RawOutlet: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }
}

/// One client connection, after the upgrade. Everything here runs on the connection's event loop.
///
/// Inbound: RFC 6455 frames from NIO's decoder are checked (masking, reserved bits and opcodes,
/// fragmentation, control frames, close codes, UTF-8) and assembled into messages, which go to the
/// ``Gateway`` after the rate limit. Outbound: reliable messages are written while the socket is
/// writable and queued (within the budget) while it is not; lossy ones keep only the newest value.
final class Connection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame

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
    private let outlet: RawOutlet
    private let logger: Logger
    private(set) var context: ChannelHandlerContext?

    /// Followed rooms, and rooms whose subscribe is in progress.
    var subscriptions = SubscriptionList()
    var reserved: Set<String> = []
    var commandsInFlight = 0

    // Inbound message assembly.
    private var fragments: [UInt8]?
    private var fragmentsAreText = true
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
    /// The socket's writability, kept from `channelWritabilityChanged` (read per delivery).
    private var writable = true
    /// The outlet's context, cached once the pipeline is set up (written to per delivery).
    private var raw: ChannelHandlerContext?

    init(gateway: Gateway, hub: LoopHub, outlet: RawOutlet, identity: GatewayIdentity?, upgradeRefusal: GatewayRefusal?, logger: Logger) {
        self.gateway = gateway
        self.hub = hub
        self.outlet = outlet
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

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        raw = outlet.context
        writable = context.channel.isWritable
        gateway.metrics.connection(opened: true)
        if let refusal = upgradeRefusal {
            sendNow(Messages.error(requestID: nil, code: refusal.code, message: refusal.message))
            close(CloseCode.unauthorized, refusal.code, waitForPeer: false)
            return
        }
        sendNow(Messages.hello(connectionID: id, configuration: limits, principal: principal, device: device))
        hub.register(self, heartbeat: .seconds(Int64(limits.heartbeatSeconds)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        teardown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        teardown()
        self.context = nil
        raw = nil
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

    func beat(_ interval: TimeAmount) {
        guard !closing else { return }
        if NIODeadline.now() - lastInbound > interval * 2 {
            close(CloseCode.heartbeatTimeout, "heartbeat_timeout", waitForPeer: false)
            return
        }
        writeControl(Wire.frame(Wire.ping, Array("hb".utf8)))
    }

    // MARK: Inbound frames (RFC 6455 §5)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastInbound = .now()
        guard frame.maskKey != nil else { return protocolError("client frames must be masked") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return protocolError("reserved bits set without an extension") }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return protocolError("a new message began inside a fragmented one") }
            guard !closing else { return }
            fragmentsAreText = frame.opcode == .text
            if frame.fin {
                message(Array(buffer: frame.unmaskedData))
            } else {
                fragments = Array(buffer: frame.unmaskedData)
            }
        case .continuation:
            guard var assembled = fragments else { return protocolError("a continuation frame without a message to continue") }
            fragments = nil
            assembled.append(contentsOf: frame.unmaskedData.readableBytesView)
            guard assembled.count <= limits.maximumMessageBytes else {
                return close(CloseCode.messageTooBig, "message larger than \(limits.maximumMessageBytes) bytes", waitForPeer: false)
            }
            if frame.fin {
                if !closing { message(assembled) }
            } else {
                fragments = assembled
            }
        case .ping:
            writeControl(Wire.frame(Wire.pong, frame.unmaskedData.readableBytesView))
        case .pong:
            break
        case .connectionClose:
            closeReceived(frame.unmaskedData)
        default:
            protocolError("reserved opcode \(frame.opcode)")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error as? NIOWebSocketError {
        case .invalidFrameLength?:
            close(CloseCode.messageTooBig, "frame larger than \(limits.maximumMessageBytes) bytes", waitForPeer: false)
        case .fragmentedControlFrame?, .multiByteControlFrameLength?:
            protocolError("control frames are unfragmented and at most 125 bytes")
        default:
            logger.debug("connection error", metadata: ["ws.connection": "\(id)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func protocolError(_ reason: String) {
        close(CloseCode.protocolError, reason, waitForPeer: false)
    }

    private func closeReceived(_ payload: ByteBuffer) {
        var payload = payload
        var code = CloseCode.normal
        if payload.readableBytes == 1 { return protocolError("a close payload of one byte") }
        if let received: UInt16 = payload.readInteger() {
            guard Wire.isValidCloseCode(received) else { return protocolError("invalid close code \(received)") }
            guard UTF8Validation.isValid(payload.readableBytesView) else {
                return close(CloseCode.invalidPayload, "close reason is not UTF-8", waitForPeer: false)
            }
            code = received
        }
        if closing {
            // Our close was answered: the handshake is complete.
            context?.close(promise: nil)
            return
        }
        close(code, "", waitForPeer: false)
    }

    /// One complete message.
    private func message(_ bytes: [UInt8]) {
        guard fragmentsAreText else {
            return close(CloseCode.unsupportedData, "binary messages are not part of the protocol; send JSON text", waitForPeer: false)
        }
        guard bytes.count <= limits.maximumMessageBytes else {
            return close(CloseCode.messageTooBig, "message larger than \(limits.maximumMessageBytes) bytes", waitForPeer: false)
        }
        guard UTF8Validation.isValid(bytes) else {
            return close(CloseCode.invalidPayload, "text message is not valid UTF-8", waitForPeer: false)
        }
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
        guard let raw else { return }
        raw.write(NIOAny(frame), promise: nil)
        sentMessages += 1
        sentBytes += frame.readableBytes
        unflushed = true
        if !markedDirty {
            markedDirty = true
            hub.markDirty(self)
        }
    }

    private func writeControl(_ frame: ByteBuffer) {
        guard let context = outlet.context else { return }
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    /// Flushes what this pass wrote (called once per connection per fan-out pass).
    func flushPass() {
        markedDirty = false
        guard unflushed, let raw else { return }
        unflushed = false
        raw.flush()
        hub.flushed(messages: sentMessages, bytes: sentBytes)
        sentMessages = 0
        sentBytes = 0
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
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
        context.fireChannelWritabilityChanged()
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

    /// Starts the closing handshake: drops what is queued, sends the close frame, and closes the
    /// TCP connection when the peer answers (`waitForPeer`) or once the frame is written. A peer
    /// that reads nothing gets `closeGrace` for the frame to go out (a stalled reader that
    /// resumes still learns why it was closed), then the socket is closed anyway.
    ///
    /// Without waiting, only the output is closed once the frame is written (a FIN after it), and
    /// what the peer still sends is read and dropped until it closes or the grace ends: closing a
    /// socket with unread input makes the kernel answer with a reset, which can destroy the close
    /// frame before the peer reads it (a flooding client would never learn why it was cut off).
    func close(_ code: UInt16, _ reason: String, waitForPeer: Bool) {
        guard !closing, let context, let raw = outlet.context else { return }
        closing = true
        queue.removeAll()
        queuedBytes = 0
        conflated.removeAll()
        conflatedOrder.removeAll()
        for subscription in subscriptions.values { gateway.detach(subscription) }
        subscriptions.removeAll()
        let channel = context.channel
        let written = raw.eventLoop.makePromise(of: Void.self)
        raw.writeAndFlush(NIOAny(Wire.closeFrame(code, reason)), promise: written)
        if !waitForPeer {
            written.futureResult.whenComplete { _ in
                let halfClosed = channel.eventLoop.makePromise(of: Void.self)
                halfClosed.futureResult.whenFailure { _ in channel.close(promise: nil) }
                channel.close(mode: .output, promise: halfClosed)
            }
        }
        let grace: TimeAmount = code == CloseCode.slowConsumer ? .seconds(10) : .seconds(2)
        context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
    }
}

extension Connection {
    /// The server is shutting down (Hummingbird's quiescing): close with 1001 and a reconnect hint.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            close(CloseCode.goingAway, "going_away: server restarting; reconnect and subscribe with since", waitForPeer: true)
            return
        }
        if case ChannelEvent.inputClosed = event {
            // The server allows half-closure for HTTP; a WebSocket peer that stops sending is gone.
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
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
