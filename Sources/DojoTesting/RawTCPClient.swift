import NIOCore
import NIOPosix
import Synchronization

/// A TCP client that sends whatever bytes a test gives it (half a request line, a 100 KB header,
/// a request with conflicting lengths) and records what comes back and when the server closes:
/// the HTTP edge is tested as an attacker would reach it, below any HTTP client library.
public final class RawTCPClient: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `host:port` on loopback.
    public static func connect(host: String = "127.0.0.1", port: Int) async throws -> RawTCPClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: host, port: port)
            .get()
        return RawTCPClient(channel: channel, collector: collector)
    }

    /// Writes `text` as it is.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// What the server has sent so far, as text.
    public var received: String { String(decoding: collector.bytes.withLock { $0 }, as: UTF8.self) }

    /// Whether the server has closed the connection.
    public var isClosed: Bool { !channel.isActive }

    /// Waits until the server closes the connection; true if it did within `timeout`.
    public func waitForClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while channel.isActive {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Closes the connection from this side.
    public func close() async {
        try? await channel.close().get()
    }
}
