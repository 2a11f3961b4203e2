import DojoCluster
import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import DojoGateway

/// What a connection wrote to its transport, read back as the native protocol's JSON.
final class RecordingTransport: ConnectionTransport {
    var frames: [ByteBuffer] = []
    var flushes = 0
    var heartbeats = 0
    var closed: (code: UInt16, reason: String)?

    func write(_ frame: ByteBuffer) { frames.append(frame) }
    func flush() { flushes += 1 }
    func heartbeat() { heartbeats += 1 }
    func close(code: UInt16, reason: String, waitForPeer: Bool) { closed = (code, reason) }

    /// The messages written so far, as JSON objects (their WebSocket headers skipped).
    var messages: [[String: Any]] {
        frames.compactMap { frame in
            SocketIOSession.payload(of: frame).flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        }
    }

    func types() -> [String] { messages.compactMap { $0["type"] as? String } }
}

let connectionTestLogger = Logger(label: "dojopool.gateway.test")

/// A gateway over a fresh runtime (SQLite), for connections driven without sockets.
func withTestGateway(
    _ configure: (inout GatewayConfiguration) -> Void = { _ in },
    bus: any RoomBus = LocalRoomBus(),
    users: [String] = [],
    _ body: @Sendable (Gateway) async throws -> Void
) async throws {
    var configuration = GatewayConfiguration()
    configure(&configuration)
    let chosen = configuration
    try await withFreshStorage(.sqlite) { storage, _ in
        try await seedUsers(users, in: storage)
        let writer = EventLogWriter(storage: storage, configuration: .init(), logger: connectionTestLogger)
        let runtime = Runtime(writer: writer, storage: storage, configuration: RuntimeConfiguration(), logger: connectionTestLogger)
        runtime.storageReady()
        let gateway = Gateway(configuration: chosen, runtime: runtime, logger: connectionTestLogger, bus: bus) { _ in
            .failure(GatewayRefusal(code: "auth.token_malformed", message: "not a token"))
        }
        try await withRunningServices([writer, runtime, gateway]) { try await body(gateway) }
    }
}

/// The session logic of a connection, driven without a socket: messages in, frames out through a
/// recording transport, on a loop of the test's own (``TestLoop``).
@Suite("Connection, without sockets")
struct ConnectionTests {
    static func connection(_ gateway: Gateway, loop: any EventLoop) -> (Connection, RecordingTransport) {
        let connection = Connection(gateway: gateway, hub: gateway.hub(for: loop), identity: nil, upgradeRefusal: nil, logger: connectionTestLogger)
        let transport = RecordingTransport()
        connection.start(transport: transport, writable: true)
        return (connection, transport)
    }

    /// A connection on `loop`, started (it said hello).
    static func connection(_ gateway: Gateway, on loop: TestLoop) async throws -> (Connection, RecordingTransport) {
        try await loop.on { connection(gateway, loop: loop.loop) }
    }

    static func message(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test("hello first; a ping is answered with its id; malformed and unknown messages are refused, the connection stays")
    func helloAndRequests() async throws {
        try await withTestGateway { gateway in
            let loop = TestLoop()
            let (connection, transport) = try await Self.connection(gateway, on: loop)
            let (types, user) = try await loop.on { (transport.types(), transport.messages.first?["user"]) }
            #expect(types == ["hello"])
            #expect(user is NSNull)
            let (replies, closed, flushes) = try await loop.on {
                connection.receive(Self.message(#"{"type":"ping","id":"p1"}"#))
                connection.receive(Self.message(#"{"type":"nope","id":2}"#))
                connection.receive(Self.message(#"{"type":"ping""#))
                return (Array(transport.messages.dropFirst()), transport.closed != nil, transport.flushes)
            }
            #expect(replies.count == 3)
            #expect(replies[0]["type"] as? String == "ack" && replies[0]["id"] as? String == "p1" && replies[0]["pong"] as? Bool == true)
            #expect(replies[1]["code"] as? String == "unknown_type" && replies[1]["id"] as? Int == 2)
            #expect(replies[2]["code"] as? String == "invalid_json")
            #expect(!closed)
            #expect(flushes >= 4, "each answer is flushed at once")
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }

    @Test("the message budget: a burst, then rate_limited with retryAfterMs (not every time), then closed 1008 for flooding")
    func rateLimit() async throws {
        // One message a second: a slow run cannot refill the budget between the sends (they run
        // in one pass on the loop).
        try await withTestGateway({
            $0.messagesPerSecond = 1
            $0.messageBurst = 5
        }) { gateway in
            let loop = TestLoop()
            let (connection, transport) = try await Self.connection(gateway, on: loop)
            let (acks, limited, said, closed) = try await loop.on {
                for i in 0..<5 { connection.receive(Self.message(#"{"type":"ping","id":\#(i)}"#)) }
                let acks = transport.types().filter { $0 == "ack" }.count
                connection.receive(Self.message(#"{"type":"ping","id":99}"#))
                let limited = transport.messages.last
                let before = transport.frames.count
                for _ in 0..<10 { connection.receive(Self.message(#"{"type":"ping"}"#)) }
                let said = transport.frames.count - before
                for _ in 0..<20 { connection.receive(Self.message(#"{"type":"ping"}"#)) }
                return (acks, limited, said, transport.closed)
            }
            #expect(acks == 5)
            #expect(limited?["code"] as? String == "rate_limited" && (limited?["retryAfterMs"] as? Int ?? 0) > 0)
            #expect(said <= 1, "refusals are said on the first and every 16th, not each time")
            #expect(closed?.code == 1008 && closed?.reason.hasPrefix("rate_limited") == true)
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }

    @Test("back-pressure: reliable messages wait while the transport is full, past the budget the connection closes 4008; lossy ones keep the newest")
    func backPressure() async throws {
        try await withTestGateway({ $0.outboundMessages = 8 }) { gateway in
            let loop = TestLoop()
            let (connection, transport) = try await Self.connection(gateway, on: loop)
            let whileFull = try await loop.on {
                transport.frames.removeAll()
                connection.writabilityChanged(false)
                for seq in 1...3 {
                    connection.sendReliable(Messages.event(room: "match:m", seq: Int64(seq), epoch: "log", eventType: "x", event: Array("{}".utf8)))
                }
                connection.sendLossy(Messages.lossyFrame(room: "table:t", data: Array("1".utf8)), room: "table:t", key: .frame)
                connection.sendLossy(Messages.lossyFrame(room: "table:t", data: Array("2".utf8)), room: "table:t", key: .frame)
                return transport.frames.count
            }
            #expect(whileFull == 0, "nothing is written while the transport is full")
            let sent = try await loop.on {
                connection.writabilityChanged(true)
                return transport.messages
            }
            #expect(sent.compactMap { $0["seq"] as? Int } == [1, 2, 3], "reliable messages in order")
            #expect(sent.filter { $0["type"] as? String == "frame" }.compactMap { $0["data"] as? Int } == [2], "only the newest frame")
            let closed = try await loop.on {
                connection.writabilityChanged(false)
                for seq in 4...13 {
                    connection.sendReliable(Messages.event(room: "match:m", seq: Int64(seq), epoch: "log", eventType: "x", event: Array("{}".utf8)))
                }
                return transport.closed
            }
            #expect(closed?.code == 4008)
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }

    @Test("the heartbeat: probed every interval while the client is heard, closed 4000 after two silent intervals")
    func heartbeat() async throws {
        try await withTestGateway { gateway in
            let loop = TestLoop()
            let (connection, transport) = try await Self.connection(gateway, on: loop)
            let (beats, closedEarly) = try await loop.on {
                connection.beat(.seconds(20))
                return (transport.heartbeats, transport.closed)
            }
            #expect(beats == 1 && closedEarly == nil)
            let closed = try await loop.on {
                connection.beat(.nanoseconds(1))
                return transport.closed
            }
            #expect(closed?.code == 4000 && closed?.reason == "heartbeat_timeout")
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }

    @Test("ending: close says why once and drops what waits; the transport's end tears the session down once")
    func ending() async throws {
        try await withTestGateway { gateway in
            let loop = TestLoop()
            let opened = gateway.counts.connections
            let (connection, transport) = try await Self.connection(gateway, on: loop)
            #expect(gateway.counts.connections == opened + 1)
            let (closed, types) = try await loop.on {
                connection.writabilityChanged(false)
                connection.sendReliable(Messages.event(room: "match:m", seq: 1, epoch: "log", eventType: "x", event: Array("{}".utf8)))
                connection.close(1001, "going_away", waitForPeer: true)
                connection.close(1000, "again", waitForPeer: false)
                let closed = transport.closed
                connection.writabilityChanged(true)
                connection.receive(Self.message(#"{"type":"ping"}"#))
                return (closed, transport.types())
            }
            #expect(closed?.code == 1001, "the first close wins")
            #expect(!types.contains("event"), "what waited is dropped")
            #expect(!types.contains("ack"), "a closing connection reads nothing more")
            try await loop.on {
                connection.transportEnded()
                connection.transportEnded()
            }
            #expect(gateway.counts.connections == opened)
            try await loop.shutdown()
        }
    }
}

/// RFC 6455 at the transport, driven through a testing channel: frames in, bytes out. The
/// channel's loop is NIO's thread-safe testing loop (not an `EmbeddedEventLoop`): the gateway
/// reaches every hub's loop from its own tasks (its shutdown closes each hub's connections).
@Suite("WebSocket transport, without sockets")
struct WebSocketTransportTests {
    static func channel(_ gateway: Gateway, maximumMessageBytes: Int = 1_024) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        let loop = channel.testingEventLoop
        try await loop.executeInContext {
            let connection = Connection(
                gateway: gateway,
                hub: gateway.hub(for: loop),
                identity: nil,
                upgradeRefusal: nil,
                logger: connectionTestLogger
            )
            let outlet = RawOutlet()
            try channel.pipeline.syncOperations.addHandler(outlet)
            try channel.pipeline.syncOperations.addHandler(
                WebSocketTransport(receiver: connection, outlet: outlet, maximumMessageBytes: maximumMessageBytes)
            )
        }
        return channel
    }

    /// Everything the server wrote: (opcode, payload), once the loop has run what was queued.
    static func written(_ channel: NIOAsyncTestingChannel) async throws -> [(UInt8, [UInt8])] {
        await channel.testingEventLoop.run()
        var frames: [(UInt8, [UInt8])] = []
        while var buffer = try await channel.readOutbound(as: ByteBuffer.self) {
            while buffer.readableBytes >= 2 {
                let first: UInt8 = buffer.readInteger()!
                var length = Int(buffer.readInteger(as: UInt8.self)! & 0x7F)
                if length == 126 {
                    length = Int(buffer.readInteger(as: UInt16.self)!)
                } else if length == 127 {
                    length = Int(buffer.readInteger(as: UInt64.self)!)
                }
                frames.append((first & 0x0F, buffer.readBytes(length: length) ?? []))
            }
        }
        return frames
    }

    static func frame(_ opcode: WebSocketOpcode, _ text: some Collection<UInt8>, fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        let data = ByteBuffer(bytes: Array(text))
        var frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: masked ? WebSocketMaskingKey([1, 2, 3, 4]) : nil, data: data)
        if masked { frame.data.webSocketMask(frame.maskKey!) }
        return frame
    }

    static func closeCode(_ frames: [(UInt8, [UInt8])]) -> UInt16? {
        guard let close = frames.last(where: { $0.0 == 0x8 }), close.1.count >= 2 else { return nil }
        return UInt16(close.1[0]) << 8 | UInt16(close.1[1])
    }

    @Test("a message split over fragments is one message; a ping is answered with its payload")
    func fragmentsAndPing() async throws {
        try await withTestGateway { gateway in
            let channel = try await Self.channel(gateway)
            _ = try await Self.written(channel)
            try await channel.writeInbound(Self.frame(.text, Array(#"{"type":"pi"#.utf8), fin: false))
            try await channel.writeInbound(Self.frame(.continuation, Array(#"ng","id":7}"#.utf8)))
            try await channel.writeInbound(Self.frame(.ping, Array("abc".utf8)))
            let frames = try await Self.written(channel)
            #expect(frames.contains { $0.0 == 0x1 && String(decoding: $0.1, as: UTF8.self).contains(#""id":7"#) })
            #expect(frames.contains { $0.0 == 0xA && $0.1 == Array("abc".utf8) })
            _ = try? await channel.finish()
        }
    }

    @Test(
        "protocol violations close with their code: unmasked 1002, binary 1003, invalid UTF-8 1007, too big 1009, a stray continuation or a fragmented control frame 1002",
        arguments: [
            ("unmasked", UInt16(1002)), ("binary", 1003), ("utf8", 1007), ("big", 1009), ("continuation", 1002), ("control", 1002),
        ]
    )
    func violations(_ kind: String, _ code: UInt16) async throws {
        try await withTestGateway { gateway in
            let channel = try await Self.channel(gateway, maximumMessageBytes: 64)
            _ = try await Self.written(channel)
            let frame =
                switch kind {
                case "unmasked": Self.frame(.text, Array(#"{"type":"ping"}"#.utf8), masked: false)
                case "binary": Self.frame(.binary, [0, 1, 2])
                case "utf8": Self.frame(.text, [0x7B, 0xFF, 0x7D])
                case "big": Self.frame(.continuation, Array(repeating: UInt8(ascii: "x"), count: 10))
                case "continuation": Self.frame(.continuation, [0x7B])
                default: Self.frame(.ping, [0], fin: false)
                }
            if kind == "big" {
                try await channel.writeInbound(Self.frame(.text, Array(repeating: UInt8(ascii: "x"), count: 60), fin: false))
            }
            if kind == "control" {
                // NIO's decoder refuses a fragmented control frame with this error.
                try await channel.testingEventLoop.executeInContext { channel.pipeline.fireErrorCaught(NIOWebSocketError.fragmentedControlFrame) }
            } else {
                try await channel.writeInbound(frame)
            }
            let closing = try await Self.written(channel)
            #expect(Self.closeCode(closing) == code, "\(kind)")
            _ = try? await channel.finish()
        }
    }

    @Test("a client's close is answered with the same code")
    func closeHandshake() async throws {
        try await withTestGateway { gateway in
            let channel = try await Self.channel(gateway)
            _ = try await Self.written(channel)
            try await channel.writeInbound(Self.frame(.connectionClose, [0x03, 0xE8]))
            let closing = try await Self.written(channel)
            #expect(Self.closeCode(closing) == 1000)
            _ = try? await channel.finish()
        }
    }
}
