import Logging
import NIOCore
import NIOWebSocket

/// The RFC 6455 side of a connection, after the upgrade: inbound frames from NIO's decoder are
/// checked (masking, reserved bits and opcodes, fragmentation, control frames, close codes,
/// UTF-8: the rules are a value, ``WebSocketFrameMachine``) and assembled into messages for its ``WebSocketReceiver`` (a native ``Connection``, or a
/// Socket.IO session's Engine.IO packets); outbound, frames go to the socket as they are.
final class WebSocketTransport: ChannelInboundHandler, RemovableChannelHandler, ConnectionTransport {
    typealias InboundIn = WebSocketFrame

    private let receiver: any WebSocketReceiver
    private let outlet: RawOutlet
    private var machine: WebSocketFrameMachine
    private(set) var context: ChannelHandlerContext?
    /// The outlet's context, cached once the pipeline is set up (written to per delivery).
    private var raw: ChannelHandlerContext?

    init(receiver: any WebSocketReceiver, outlet: RawOutlet, maximumMessageBytes: Int) {
        self.receiver = receiver
        self.outlet = outlet
        machine = WebSocketFrameMachine(maximumMessageBytes: maximumMessageBytes)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        raw = outlet.context
        receiver.started(self, writable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ended()
        self.context = nil
        raw = nil
    }

    private func ended() {
        machine.startClosing()
        receiver.ended()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        receiver.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down (Hummingbird's quiescing): close with 1001 and a hint.
            receiver.fail(CloseCode.goingAway, "going_away: server restarting; reconnect and subscribe with since", waitForPeer: true)
            return
        }
        if case ChannelEvent.inputClosed = event {
            // The server allows half-closure for HTTP; a WebSocket peer that stops sending is gone.
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Inbound frames (RFC 6455 §5, in ``WebSocketFrameMachine``)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receiver.touched()
        perform(machine.read(unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let action = machine.decodingFailed(error) {
            perform(action)
        } else {
            receiver.logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func perform(_ action: WebSocketFrameMachine.Action) {
        switch action {
        case .none: break
        case .message(let bytes): receiver.received(bytes)
        case .pong(let payload): writeControl(Wire.frame(Wire.pong, payload.readableBytesView))
        // The session drops its subscriptions, then closes (see ``close(code:reason:waitForPeer:)``).
        case .fail(let code, let reason): receiver.fail(code, reason, waitForPeer: false)
        case .closeSocket: context?.close(promise: nil)
        }
    }

    // MARK: Outbound

    func write(_ frame: ByteBuffer) {
        raw?.write(NIOAny(frame), promise: nil)
    }

    func flush() {
        raw?.flush()
    }

    func heartbeat() {
        writeControl(Wire.frame(Wire.ping, Array("hb".utf8)))
    }

    /// A frame written and flushed at once, outside the connection's passes (control frames).
    func writeControl(_ frame: ByteBuffer) {
        guard let context = outlet.context else { return }
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    /// Starts the closing handshake: sends the close frame, and closes the TCP connection when the
    /// peer answers (`waitForPeer`) or once the frame is written. A peer that reads nothing gets
    /// a grace for the frame to go out (a stalled reader that resumes still learns why it was
    /// closed), then the socket is closed anyway.
    ///
    /// Without waiting, only the output is closed once the frame is written (a FIN after it), and
    /// what the peer still sends is read and dropped until it closes or the grace ends: closing a
    /// socket with unread input makes the kernel answer with a reset, which can destroy the close
    /// frame before the peer reads it (a flooding client would never learn why it was cut off).
    func close(code: UInt16, reason: String, waitForPeer: Bool) {
        guard let context, let raw = outlet.context else { return }
        machine.startClosing()
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

/// What a ``WebSocketTransport`` hands its messages and events to. Called on the socket's loop.
protocol WebSocketReceiver: AnyObject {
    /// Where the socket's own troubles are logged.
    var logger: Logger { get }
    /// The upgrade is done: the transport can be written to.
    func started(_ transport: WebSocketTransport, writable: Bool)
    /// A complete text message (within the size, valid UTF-8).
    func received(_ message: [UInt8])
    /// Any frame arrived (the peer is alive).
    func touched()
    func writabilityChanged(_ writable: Bool)
    /// The socket is closed.
    func ended()
    /// The session must end: the peer broke the protocol, or the server stops (`waitForPeer`).
    func fail(_ code: UInt16, _ reason: String, waitForPeer: Bool)
}

extension Connection: WebSocketReceiver {
    func started(_ transport: WebSocketTransport, writable: Bool) { start(transport: transport, writable: writable) }
    func received(_ message: [UInt8]) { receive(message) }
    func ended() { transportEnded() }
    func fail(_ code: UInt16, _ reason: String, waitForPeer: Bool) { close(code, reason, waitForPeer: waitForPeer) }
}
