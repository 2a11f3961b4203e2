import NIOCore

/// What carries a ``Connection``'s messages: a WebSocket speaking the native protocol
/// (``WebSocketTransport``), or a Socket.IO session over WebSocket or HTTP long-polling
/// (``SocketIOSession``). The connection is the protocol's session (identity, subscriptions, rate
/// limits, the outbound queue); the transport is the wire. Everything is called on the
/// connection's event loop.
protocol ConnectionTransport: AnyObject {
    /// Writes one server message, a native text frame (`Messages`), without flushing. A
    /// transport speaking another framing translates it.
    func write(_ frame: ByteBuffer)
    /// Sends what was written.
    func flush()
    /// The periodic liveness probe (a WebSocket ping, an Engine.IO ping packet).
    func heartbeat()
    /// Ends the transport: says why (`code`, `reason`: the close codes of docs/protocol.md) and
    /// closes; `waitForPeer` waits for the peer's answer to the close (a graceful shutdown).
    func close(code: UInt16, reason: String, waitForPeer: Bool)
}

/// Writes bytes straight to the socket: it sits first in the pipeline (before NIO's frame
/// encoder), so the frames the gateway encoded once per room go out unchanged.
final class RawOutlet: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }
}
