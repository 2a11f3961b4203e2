import Foundation
import NIOCore
import NIOPosix

/// Wall-clock nanoseconds (publisher and subscribers run on one machine, in several processes).
@inline(__always) func wallNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// A minimal, fast WebSocket client connection: the upgrade, masked client frames, unmasked server
/// frames parsed in place, pings answered. Text messages go to `onText` on the channel's loop.
final class WSClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var buffer: ByteBuffer?
    private var upgraded = false
    private let upgradeRequest: String
    private let upgradePromise: EventLoopPromise<Void>
    var onText: (UnsafeRawBufferPointer) -> Void = { _ in }
    var onClose: (UInt16?) -> Void = { _ in }
    private(set) var context: ChannelHandlerContext?

    init(host: String, port: Int, path: String, headers: [String: String], upgradePromise: EventLoopPromise<Void>) {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        upgradeRequest = request + "\r\n"
        self.upgradePromise = upgradePromise
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: upgradeRequest)), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgradePromise.fail(ChannelError.ioOnClosedChannel)
        onClose(nil)
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgradePromise.fail(error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        if !upgraded {
            guard let view = buffer?.readableBytesView, let end = view.firstRange(of: [13, 10, 13, 10]) else { return }
            let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            buffer!.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
            guard head.hasPrefix("HTTP/1.1 101") else {
                upgradePromise.fail(LoadError("upgrade refused: \(head.prefix(200))"))
                context.close(promise: nil)
                return
            }
            upgraded = true
            upgradePromise.succeed(())
        }
        parseFrames(context: context)
    }

    private func parseFrames(context: ChannelHandlerContext) {
        while var current = buffer, current.readableBytes >= 2 {
            let start = current.readerIndex
            let first: UInt8 = current.getInteger(at: start)!
            let second: UInt8 = current.getInteger(at: start + 1)!
            var length = Int(second & 0x7F)
            var offset = 2
            if length == 126 {
                guard current.readableBytes >= 4 else { return }
                length = Int(current.getInteger(at: start + 2, as: UInt16.self)!)
                offset = 4
            } else if length == 127 {
                guard current.readableBytes >= 10 else { return }
                length = Int(current.getInteger(at: start + 2, as: UInt64.self)!)
                offset = 10
            }
            guard current.readableBytes >= offset + length else { return }
            switch first & 0x0F {
            case 0x1: current.withUnsafeReadableBytes { onText(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length])) }
            case 0x9: send(opcode: 0xA, Array(current.viewBytes(at: start + offset, length: length)!))
            case 0x8:
                let code: UInt16? = length >= 2 ? current.getInteger(at: start + offset, as: UInt16.self) : nil
                send(opcode: 0x8, code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? [])
                onClose(code)
                context.close(promise: nil)
                buffer = nil
                return
            default: break
            }
            current.moveReaderIndex(forwardBy: offset + length)
            if current.readableBytes == 0 {
                buffer = nil
            } else {
                if current.readerIndex > 65_536 { current.discardReadBytes() }
                buffer = current
            }
        }
    }

    /// Writes a masked frame (not flushed unless `flush`).
    func send(opcode: UInt8 = 0x1, _ payload: some Collection<UInt8>, flush: Bool = true) {
        guard let context else { return }
        let count = payload.count
        var frame = context.channel.allocator.buffer(capacity: count + 14)
        frame.writeInteger(0x80 | opcode)
        if count < 126 {
            frame.writeInteger(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(count))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(count))
        }
        let key: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)
        frame.writeInteger(UInt32(0x37FA_213D))
        var index = 0
        for byte in payload {
            let mask: UInt8
            switch index & 3 {
            case 0: mask = key.0
            case 1: mask = key.1
            case 2: mask = key.2
            default: mask = key.3
            }
            frame.writeInteger(byte ^ mask)
            index += 1
        }
        if flush {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
    }

    func flush() { context?.flush() }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Opens a WebSocket connection from `source` (127.0.0.x, to spread ephemeral ports).
func connectWebSocket(
    group: any EventLoopGroup,
    host: String,
    port: Int,
    source: String?,
    path: String = "/v1/ws",
    headers: [String: String] = [:],
    configure: @escaping @Sendable (WSClientHandler) -> Void
) async throws -> NIOLoopBound<WSClientHandler> {
    let loop = group.next()
    let promise = loop.makePromise(of: Void.self)
    let handlerBox = NIOLoopBoundBox<WSClientHandler?>.makeEmptyBox(valueType: WSClientHandler.self, eventLoop: loop)
    var bootstrap = ClientBootstrap(group: loop)
        .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(10))
    if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
    _ = try await bootstrap.channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let handler = WSClientHandler(host: host, port: port, path: path, headers: headers, upgradePromise: promise)
            configure(handler)
            handlerBox.value = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }.connect(host: host, port: port).get()
    try await promise.futureResult.get()
    return try await loop.submit { NIOLoopBound(handlerBox.value!, eventLoop: loop) }.get()
}

// MARK: Parsing the server's messages without a JSON tree (memmem over the frame's bytes)

struct Scan {
    let bytes: UnsafeRawBufferPointer

    /// The offset just after the first `key` at or after `from`.
    @inline(__always) func after(_ key: [UInt8], from: Int = 0) -> Int? {
        guard from < bytes.count, let base = bytes.baseAddress else { return nil }
        let first = Int32(key[0])
        var position = from
        while position + key.count <= bytes.count {
            guard let hit = memchr(base + position, first, bytes.count - position - key.count + 1) else { return nil }
            let index = base.distance(to: UnsafeRawPointer(hit))
            var matches = true
            for offset in 1..<key.count where bytes[index + offset] != key[offset] {
                matches = false
                break
            }
            if matches { return index + key.count }
            position = index + 1
        }
        return nil
    }

    /// The non-negative integer after `key`.
    @inline(__always) func integer(after key: [UInt8], from: Int = 0) -> Int64? {
        guard var index = after(key, from: from) else { return nil }
        var value: Int64 = 0
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 48, byte <= 57 else { break }
            value = value &* 10 &+ Int64(byte &- 48)
            index += 1
        }
        return index > start ? value : nil
    }

    /// A hash of the string after `key` up to the next quote (room names: no escapes).
    @inline(__always) func hash(after key: [UInt8]) -> Int? {
        guard var index = after(key) else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        while index < bytes.count, bytes[index] != 34 {
            hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
            index += 1
        }
        return Int(truncatingIfNeeded: hash)
    }

    func string(after key: [UInt8]) -> String? {
        guard let start = after(key) else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != 34 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    enum Kind { case event, frame, ack, snapshot, error, other }

    /// The message type from its first bytes: `{"type":"…"`.
    var kind: Kind {
        guard bytes.count > 11 else { return .other }
        switch (bytes[9], bytes[10]) {
        case (UInt8(ascii: "e"), UInt8(ascii: "v")): return .event
        case (UInt8(ascii: "e"), UInt8(ascii: "r")): return .error
        case (UInt8(ascii: "f"), _): return .frame
        case (UInt8(ascii: "a"), _): return .ack
        case (UInt8(ascii: "s"), _): return .snapshot
        default: return .other
        }
    }
}

enum Keys {
    static let seq = Array(#""seq":"#.utf8)
    static let room = Array(#""room":""#.utf8)
    static let benchRoom = Array(#""room":"bench:"#.utf8)
    static let tournamentRoom = Array(#""room":"tournament:"#.utf8)
    static let at = Array(#""at":"#.utf8)
    static let t = Array(#""t":"#.utf8)
    static let probe = Array(#""text":"lt "#.utf8)
    static let shotProbe = Array(#""shotId":"lt-"#.utf8)
    static let code = Array(#""code":""#.utf8)
}
