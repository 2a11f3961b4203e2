import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy in front of a real service, so a test can make the service "go away" for the
/// code under test (``cut()``: every connection is closed and new ones are refused) and come back
/// (``restore()``), without touching the service that other tests share.
public final class TCPProxy: Sendable {
    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    private let serverChannel: any Channel
    private let state: Mutex<(cut: Bool, open: [any Channel])>

    private init(port: Int, serverChannel: any Channel) {
        self.port = port
        self.serverChannel = serverChannel
        self.state = Mutex((false, []))
    }

    /// Starts a proxy forwarding to `targetHost:targetPort`.
    public static func start(targetHost: String, targetPort: Int) async throws -> TCPProxy {
        let shared = SharedState()
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard let proxy = shared.proxy, !proxy.isCut else { return inbound.close() }
                // The initializer runs before the accepted channel is registered, so reading starts
                // only once the outbound connection exists (and the inbound one is registered).
                ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: targetHost, port: targetPort)
                    .whenComplete { result in
                        switch result {
                        case .success(let outbound):
                            do {
                                // Cut while this connection was being opened: it is not let through.
                                guard proxy.track(inbound, outbound) else {
                                    inbound.close(promise: nil)
                                    outbound.close(promise: nil)
                                    return
                                }
                                try inbound.pipeline.syncOperations.addHandler(Forward(peer: outbound))
                                try outbound.pipeline.syncOperations.addHandler(Forward(peer: inbound))
                                inbound.setOption(.autoRead, value: true).whenComplete { _ in inbound.read() }
                            } catch {
                                inbound.close(promise: nil)
                                outbound.close(promise: nil)
                            }
                        case .failure:
                            inbound.close(promise: nil)
                        }
                    }
                return inbound.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let proxy = TCPProxy(port: channel.localAddress!.port!, serverChannel: channel)
        shared.proxy = proxy
        return proxy
    }

    private var isCut: Bool { state.withLock { $0.cut } }

    /// Records a proxied connection so that a cut closes it; false when the proxy is cut now.
    private func track(_ channels: any Channel...) -> Bool {
        state.withLock { state in
            guard !state.cut else { return false }
            state.open.append(contentsOf: channels)
            return true
        }
    }

    /// Closes every proxied connection and refuses new ones until ``restore()``.
    public func cut() {
        let open = state.withLock { state -> [any Channel] in
            state.cut = true
            defer { state.open = [] }
            return state.open
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Accepts and forwards connections again.
    public func restore() {
        state.withLock { $0.cut = false }
    }

    /// Stops listening and closes every connection.
    public func stop() async throws {
        cut()
        try await serverChannel.close()
    }
}

/// Lets the bootstrap's initializer reach the proxy created after `bind` returns.
private final class SharedState: @unchecked Sendable {
    // Safe: written once, before the first connection can be accepted by a test that holds the proxy.
    var proxy: TCPProxy?
}

/// Writes everything read on one channel to its peer; closes the peer when it closes.
private final class Forward: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel

    init(peer: any Channel) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
