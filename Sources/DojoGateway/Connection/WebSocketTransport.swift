import Logging
import NIOCore
import NIOWebSocket

/// The RFC 6455 side of a connection, after the upgrade: inbound frames from NIO's decoder are
/// checked (masking, reserved bits and opcodes, fragmentation, control frames, close codes,
/// UTF-8) and assembled into messages for its ``WebSocketReceiver`` (a native ``Connection``, or a
/// Socket.IO session's Engine.IO packets); outbound, frames go to the socket as they are.
final class WebSocketTransport: ChannelInboundHandler, RemovableChannelHandler, ConnectionTransport {
    typealias InboundIn = WebSocketFrame

    private let receiver: any WebSocketReceiver
    private let outlet: RawOutlet
    private let maximumMessageBytes: Int
    private(set) var context: ChannelHandlerContext?
    /// The outlet's context, cached once the pipeline is set up (written to per delivery).
    private var raw: ChannelHandlerContext?
    private var fragments: [UInt8]?
    private var fragmentsAreText = true
    private var closing = false

    init(receiver: any WebSocketReceiver, outlet: RawOutlet, maximumMessageBytes: Int) {
        self.receiver = receiver
        self.outlet = outlet
        self.maximumMessageBytes = maximumMessageBytes
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
        closing = true
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

    // MARK: Inbound frames (RFC 6455 §5)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        receiver.touched()
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
            guard assembled.count <= maximumMessageBytes else {
                return failed(CloseCode.messageTooBig, "message larger than \(maximumMessageBytes) bytes")
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
            failed(CloseCode.messageTooBig, "frame larger than \(maximumMessageBytes) bytes")
        case .fragmentedControlFrame?, .multiByteControlFrameLength?:
            protocolError("control frames are unfragmented and at most 125 bytes")
        default:
            receiver.logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func protocolError(_ reason: String) {
        failed(CloseCode.protocolError, reason)
    }

    /// Ends the session for what the peer did (the session drops its subscriptions, then closes).
    private func failed(_ code: UInt16, _ reason: String) {
        receiver.fail(code, reason, waitForPeer: false)
    }

    private func closeReceived(_ payload: ByteBuffer) {
        var payload = payload
        var code = CloseCode.normal
        if payload.readableBytes == 1 { return protocolError("a close payload of one byte") }
        if let received: UInt16 = payload.readInteger() {
            guard Wire.isValidCloseCode(received) else { return protocolError("invalid close code \(received)") }
            guard UTF8Validation.isValid(payload.readableBytesView) else {
                return failed(CloseCode.invalidPayload, "close reason is not UTF-8")
            }
            code = received
        }
        if closing {
            // Our close was answered: the handshake is complete.
            context?.close(promise: nil)
            return
        }
        failed(code, "")
    }

    /// One complete message: text, within the size, valid UTF-8.
    private func message(_ bytes: [UInt8]) {
        guard fragmentsAreText else {
            return failed(CloseCode.unsupportedData, "binary messages are not part of the protocol; send JSON text")
        }
        guard bytes.count <= maximumMessageBytes else {
            return failed(CloseCode.messageTooBig, "message larger than \(maximumMessageBytes) bytes")
        }
        guard UTF8Validation.isValid(bytes) else {
            return failed(CloseCode.invalidPayload, "text message is not valid UTF-8")
        }
        receiver.received(bytes)
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
        closing = true
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
