import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A raw WebSocket client for tests: it speaks the upgrade and RFC 6455 framing itself, so a test
/// can send anything (unmasked frames, reserved bits, broken UTF-8, fragments) and read exactly
/// what the server wrote, close frames included. Reading can be paused to play a stalled client.
public final class TestWebSocket: Sendable {
    public struct Frame: Sendable {
        public var fin: Bool
        public var opcode: UInt8
        public var payload: [UInt8]
        public var text: String { String(decoding: payload, as: UTF8.self) }
        /// For a close frame: its code (nil without one).
        public var closeCode: UInt16? { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
        public var closeReason: String { String(decoding: payload.dropFirst(2), as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let channel: any Channel
    private let inbox: Inbox
    /// The response head of the upgrade.
    public let upgradeResponse: String

    private init(channel: any Channel, inbox: Inbox, upgradeResponse: String) {
        self.channel = channel
        self.inbox = inbox
        self.upgradeResponse = upgradeResponse
    }

    /// Connects and upgrades. Throws when the server does not answer 101 (the head is in the error).
    public static func connect(
        port: Int,
        host: String = "127.0.0.1",
        path: String = "/v1/ws",
        headers: [(String, String)] = [],
        requireUpgrade: Bool = true,
        receiveBuffer: Int? = nil
    ) async throws -> TestWebSocket {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: .init(receiveBuffer))
        }
        let channel =
            try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(inbox: inbox)) }
            }
            .connect(host: host, port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let head = try await inbox.readHead(timeout: .seconds(10))
        let client = TestWebSocket(channel: channel, inbox: inbox, upgradeResponse: head)
        if requireUpgrade && !head.hasPrefix("HTTP/1.1 101") {
            throw Failure(description: "upgrade refused: \(head)")
        }
        return client
    }

    // MARK: Sending

    /// Sends one frame; client frames are masked unless `masked` is false (a protocol error).
    public func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) async throws {
        try await sendRaw(Self.frame(opcode: opcode, payload, fin: fin, masked: masked, rsv: rsv))
    }

    /// Sends several text messages in one TCP write (they reach the server together).
    public func sendTogether(_ texts: [String]) async throws {
        try await sendRaw(texts.flatMap { Self.frame(opcode: 0x1, Array($0.utf8)) })
    }

    static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes.append(maskBit | 126)
            bytes.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)])
        } else {
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        if masked {
            let key: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
            bytes.append(contentsOf: key)
            bytes.append(contentsOf: payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        } else {
            bytes.append(contentsOf: payload)
        }
        return bytes
    }

    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    public func send(_ text: String) async throws {
        try await send(opcode: 0x1, Array(text.utf8))
    }

    /// Sends a JSON object.
    public func send(json: [String: Any]) async throws {
        try await send(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }

    public func close(code: UInt16 = 1000) async throws {
        try await send(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)])
    }

    // MARK: Receiving

    /// The next frame the server sent (control frames included).
    public func nextFrame(timeout: Duration = .seconds(10)) async throws -> Frame {
        try await inbox.nextFrame(timeout: timeout)
    }

    /// The next JSON message, answering pings (as a browser does: a test waiting long for a
    /// message must not be dropped by the server's heartbeat) and skipping pongs. Throws on a
    /// close frame or a timeout. (``nextFrame(timeout:)`` and ``expectClose(timeout:)`` answer
    /// nothing: a silent client.)
    public func next(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        while true {
            let frame = try await nextFrame(timeout: timeout)
            switch frame.opcode {
            case 0x1:
                guard let object = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any] else {
                    throw Failure(description: "not a JSON object: \(frame.text)")
                }
                return object
            case 0x8: throw Failure(description: "closed by the server: \(frame.closeCode.map(String.init) ?? "-") \(frame.closeReason)")
            case 0x9:
                try? await send(opcode: 0xA, frame.payload)
                continue
            default: continue
            }
        }
    }

    /// The next message of `type` (others are skipped, e.g. presence).
    public func next(type: String, timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        while true {
            let message = try await next(timeout: timeout)
            if message["type"] as? String == type { return message }
        }
    }

    /// Waits for the server's close frame, skipping everything before it.
    public func expectClose(timeout: Duration = .seconds(10)) async throws -> (code: UInt16?, reason: String) {
        while true {
            let frame = try await nextFrame(timeout: timeout)
            if frame.opcode == 0x8 { return (frame.closeCode, frame.closeReason) }
        }
    }

    /// Whether the TCP connection has ended (after the buffered frames are read).
    public var isClosed: Bool { inbox.isClosed }

    /// Stops reading from the socket (a stalled client) or resumes.
    public func pauseReading(_ paused: Bool) async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: !paused).get()
        if !paused { channel.read() }
    }

    /// Sets the socket's receive buffer (small buffers make a stalled client fill up quickly).
    public func setReceiveBuffer(_ bytes: Int) async throws {
        try await channel.setOption(ChannelOptions.socketOption(.so_rcvbuf), value: .init(bytes)).get()
    }

    public func disconnect() async {
        try? await channel.close()
    }

    // MARK: Plumbing

    private final class Inbox: Sendable {
        private struct State {
            var bytes = Buffer()
            var closed = false
            var waiter: CheckedContinuation<Void, Never>?
        }

        private let state = Mutex(State())

        var isClosed: Bool { state.withLock { $0.closed && $0.bytes.isEmpty } }

        func append(_ bytes: ByteBufferView) {
            let waiter = state.withLock { state in
                state.bytes.storage.append(contentsOf: bytes)
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        func finish() {
            let waiter = state.withLock { state in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Takes what `parse` recognizes at the front of the buffer, waiting for more bytes.
        func take<T: Sendable>(timeout: Duration, _ parse: @escaping @Sendable (inout Buffer) -> T?) async throws -> T {
            let deadline = ContinuousClock.now + timeout
            while true {
                let (value, closed): (T?, Bool) = state.withLock { state in
                    if let value = parse(&state.bytes) { return (value, false) }
                    return (nil, state.closed)
                }
                if let value { return value }
                if closed { throw Failure(description: "the connection ended") }
                guard ContinuousClock.now < deadline else { throw Failure(description: "timed out waiting for the server") }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await withCheckedContinuation { continuation in
                            let resumeNow = self.state.withLock { state -> Bool in
                                if state.closed || state.waiter != nil { return true }
                                state.waiter = continuation
                                return false
                            }
                            if resumeNow { continuation.resume() }
                        }
                    }
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(50))
                        let waiter = self.state.withLock { state in
                            defer { state.waiter = nil }
                            return state.waiter
                        }
                        waiter?.resume()
                    }
                    await group.waitForAll()
                }
            }
        }

        func readHead(timeout: Duration) async throws -> String {
            try await take(timeout: timeout) { buffer in
                let bytes = buffer.readable
                let end = Array("\r\n\r\n".utf8)
                guard bytes.count >= 4 else { return nil }
                for index in bytes.startIndex...(bytes.endIndex - 4) where Array(bytes[index..<index + 4]) == end {
                    let head = String(decoding: bytes[..<index], as: UTF8.self)
                    buffer.consume(index + 4 - bytes.startIndex)
                    return head
                }
                return nil
            }
        }

        func nextFrame(timeout: Duration) async throws -> Frame {
            try await take(timeout: timeout) { buffer in
                let bytes = Array(buffer.readable.prefix(14))
                guard bytes.count >= 2 else { return nil }
                var length = Int(bytes[1] & 0x7F)
                var offset = 2
                if length == 126 {
                    guard bytes.count >= 4 else { return nil }
                    length = Int(bytes[2]) << 8 | Int(bytes[3])
                    offset = 4
                } else if length == 127 {
                    guard bytes.count >= 10 else { return nil }
                    length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
                    offset = 10
                }
                let readable = buffer.readable
                guard readable.count >= offset + length else { return nil }
                let start = readable.startIndex + offset
                let frame = Frame(fin: bytes[0] & 0x80 != 0, opcode: bytes[0] & 0x0F, payload: Array(readable[start..<start + length]))
                buffer.consume(offset + length)
                return frame
            }
        }
    }

    /// Received bytes with a read position (compacted now and then, not on every frame).
    struct Buffer {
        var storage: [UInt8] = []
        var position = 0
        var readable: ArraySlice<UInt8> { storage[position...] }
        var isEmpty: Bool { position == storage.count }

        mutating func consume(_ count: Int) {
            position += count
            if position > 65_536 && position * 2 > storage.count {
                storage.removeFirst(position)
                position = 0
            }
        }
    }

    private final class Reader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            inbox.append(unwrapInboundIn(data).readableBytesView)
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.finish()
            context.fireChannelInactive()
        }
    }
}
