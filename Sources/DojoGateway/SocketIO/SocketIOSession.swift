import DojoDomain
import NIOCore

/// Where a Socket.IO session's Engine.IO packets go: a WebSocket, or the buffer HTTP long-polling
/// drains.
protocol EngineIOSink: AnyObject {
    /// Queues one Engine.IO packet (text).
    func send(_ packet: [UInt8])
    /// Queues a packet translated once for every session of the loop (a room's message).
    func send(_ packet: TranslatedPacket)
    /// Sends what was queued.
    func flush()
    /// Whether more may be queued now (the session's connection holds messages back otherwise).
    var isWritable: Bool { get }
    /// Ends the transport (after the packets queued).
    func close(code: UInt16, reason: String, waitForPeer: Bool)
}

/// One Socket.IO client: the ``Connection`` of the native protocol (identity, subscriptions, rate
/// limits, back-pressure, recovery with `since`: the same gateway) behind the Engine.IO and
/// Socket.IO framings, over long-polling or a WebSocket, upgraded from one to the other. Lives on
/// its connection's event loop; transports on other loops hop to it.
final class SocketIOSession: ConnectionTransport {
    let sid: String
    let connection: Connection
    let loop: any EventLoop
    private unowned let gateway: Gateway
    private(set) var sink: any EngineIOSink
    /// The namespace `/` is connected (CONNECT accepted).
    private var connected = false
    private var ended = false

    init(sid: String, connection: Connection, loop: any EventLoop, gateway: Gateway, sink: any EngineIOSink) {
        self.sid = sid
        self.connection = connection
        self.loop = loop
        self.gateway = gateway
        self.sink = sink
    }

    var isPolling: Bool { sink is PollingSink }

    /// Moves the session to a WebSocket after its probe (Engine.IO `5`): what the polling buffer
    /// held goes first, and a poll waiting is answered with a noop.
    /// Returns false when the session is not polling (ended, or upgraded by another socket).
    @discardableResult
    func upgrade(to newSink: any EngineIOSink) -> Bool {
        guard !ended, let polling = sink as? PollingSink else { return false }
        let pending = polling.takeAll()
        sink = newSink
        polling.finish(with: [[SocketIO.EngineType.noop.rawValue]])
        for packet in pending { newSink.send(packet) }
        newSink.flush()
        connection.writabilityChanged(newSink.isWritable)
        return true
    }

    // MARK: From the client

    /// One Engine.IO packet from the client.
    func receive(_ bytes: ArraySlice<UInt8>) {
        guard !ended else { return }
        connection.touched()
        switch SocketIO.parse(bytes) {
        case .ping(let probe):
            guard connection.admitsPacket() else { return }
            sink.send(Array((probe ? "3probe" : "3").utf8))
            sink.flush()
        case .pong, .upgrade, .noop, .ack:
            break
        case .close, .disconnect("/"):
            connection.close(CloseCode.normal, "", waitForPeer: false)
        case .disconnect:
            break
        case .connect(let namespace, let token):
            guard namespace == "/" else {
                guard connection.admitsPacket() else { return }
                sink.send(SocketIO.connectError(message: "Invalid namespace", namespace: namespace))
                sink.flush()
                return
            }
            guard !connected else { return }
            if let token {
                var w = JSONWriter(capacity: 64 + token.utf8.count)
                w.beginObject()
                w.member("type", "auth")
                w.member("id", SocketIO.connectRequestID)
                w.member("token", token)
                w.endObject()
                connection.receive(w.bytes)
            } else {
                accept()
            }
        case .event(let namespace, let name, let argument, let ack):
            guard namespace == "/", connected else {
                guard connection.admitsPacket() else { return }
                sink.send(SocketIO.connectError(message: "not connected to \(namespace.prefix(64)): send CONNECT first", namespace: namespace))
                sink.flush()
                return
            }
            guard let message = SocketIO.nativeMessage(name: name, argument: argument, ack: ack) else {
                return connection.refuse(
                    requestID: Self.requestID(ack),
                    code: "invalid_message",
                    message: "an event's argument is one JSON object: [\"subscribe\", {\"room\": \"match:…\"}]"
                )
            }
            connection.receive(message)
        case .binary(let ack):
            connection.refuse(
                requestID: Self.requestID(ack),
                code: "binary_unsupported",
                message: "binary attachments are not part of the protocol; send JSON"
            )
        case .invalid(let reason):
            connection.refuse(requestID: nil, code: "invalid_packet", message: reason)
        }
    }

    private static func requestID(_ ack: Int?) -> [UInt8]? {
        ack.map { Array("\"\(SocketIO.requestPrefix)\($0)\"".utf8) }
    }

    /// The namespace is connected: `40{"sid"}`, then the `hello` event.
    private func accept() {
        connected = true
        sink.send(SocketIO.connected(sid: connection.id))
        emit(connection.hello())
        sink.flush()
    }

    // MARK: ConnectionTransport (to the client)

    func write(_ frame: ByteBuffer) {
        guard !ended else { return }
        emit(frame)
    }

    /// A native message frame as its Socket.IO packet (before the namespace is connected, only
    /// the answer to the CONNECT's token goes out).
    private func emit(_ frame: ByteBuffer) {
        // A room's message reaches every subscriber of the loop in one pass: translated once.
        let cache = connection.hub.translations
        if let packet = cache.lookup(frame) {
            if connected { sink.send(packet) }
            return
        }
        guard let json = Self.payload(of: frame) else { return }
        switch SocketIO.translate(native: json[...]) {
        case .event(let bytes):
            let packet = TranslatedPacket(bytes)
            cache.store(frame, packet)
            if connected { sink.send(packet) }
        case .connectAccepted:
            accept()
        case .connectRefused(let error):
            let message = Self.member("message", of: error) ?? "unauthorized"
            sink.send(SocketIO.connectError(message: message, data: error))
        }
    }

    func flush() {
        sink.flush()
    }

    func heartbeat() {
        sink.send([SocketIO.EngineType.ping.rawValue])
        sink.flush()
    }

    /// Says why (an `error` event with the close code and reason), disconnects the namespace and
    /// closes the Engine.IO transport.
    func close(code: UInt16, reason: String, waitForPeer: Bool) {
        guard !ended else { return }
        if connected, !reason.isEmpty {
            let word = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "closed"
            emit(
                Messages.frame { w in
                    w.member("type", "error")
                    w.member("code", word.contains(" ") ? "closed" : word)
                    w.member("message", reason)
                    w.member("closeCode", Int(code))
                }
            )
        }
        if connected { sink.send(SocketIO.disconnect) }
        sink.close(code: code, reason: reason, waitForPeer: waitForPeer)
        if isPolling {
            // No socket to close: the session ends now (a poll in flight got the close packet),
            // on the next turn of the loop (the connection is still inside its close).
            let bound = NIOLoopBound(self, eventLoop: loop)
            loop.execute { bound.value.transportEnded() }
        }
    }

    /// The transport is gone: the session and its connection end.
    func transportEnded() {
        guard !ended else { return }
        ended = true
        gateway.socketIOSessions.remove(sid)
        if let polling = sink as? PollingSink { polling.finish(with: [[SocketIO.EngineType.close.rawValue]]) }
        connection.transportEnded()
    }

    // MARK: Helpers

    /// The JSON of a native text frame (its WebSocket header skipped).
    static func payload(of frame: ByteBuffer) -> [UInt8]? {
        guard let length = frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) else { return nil }
        let header =
            switch length & 0x7F {
            case 126: 4
            case 127: 10
            default: 2
            }
        return frame.getBytes(at: frame.readerIndex + header, length: frame.readableBytes - header)
    }

    private static func member(_ name: String, of json: ArraySlice<UInt8>) -> String? {
        let bytes = Array(json)
        guard let members = try? JSONScanner.members(of: bytes), let member = members.first(where: { $0.key == name }) else { return nil }
        return JSONScanner.string(bytes[member.value])
    }
}

/// The packets of a polling session between two polls, and the poll waiting for them.
///
/// Touched only on the session's loop: ``poll(wait:)``, called from a request's task, hops to it.
final class PollingSink: EngineIOSink, @unchecked Sendable {
    private var packets: [[UInt8]] = []
    private var bytes = 0
    private var waiter: CheckedContinuation<[[UInt8]]?, Never>?
    private var timeout: Scheduled<Void>?
    private var finished: [[UInt8]]?
    private let loop: any EventLoop
    private let limit: Int
    /// Told when a poll drained the buffer (the connection may write again).
    var drained: () -> Void = {}
    /// Told when the buffer passed its limit (the connection holds messages back, within its
    /// budget, and closes a client that does not poll as a slow consumer).
    var filled: () -> Void = {}

    init(loop: any EventLoop, limit: Int) {
        self.loop = loop
        self.limit = limit
    }

    var isWritable: Bool { bytes < limit }
    var isWaiting: Bool { waiter != nil }

    func send(_ packet: [UInt8]) {
        guard finished == nil else { return }
        let wasWritable = isWritable
        packets.append(packet)
        bytes += packet.count
        if wasWritable && !isWritable { filled() }
    }

    func send(_ packet: TranslatedPacket) {
        send(packet.bytes)
    }

    func flush() {
        guard let waiter, !packets.isEmpty else { return }
        self.waiter = nil
        timeout?.cancel()
        waiter.resume(returning: takeAll())
        drained()
    }

    func takeAll() -> [[UInt8]] {
        defer {
            packets.removeAll()
            bytes = 0
        }
        return packets
    }

    /// A poll: what is queued, or what comes within `wait` (a noop when nothing does); nil when
    /// another poll is waiting already (Engine.IO allows one).
    func poll(wait: TimeAmount) async -> [[UInt8]]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[[UInt8]]?, Never>) in
            loop.execute {
                if self.waiter != nil {
                    continuation.resume(returning: nil)
                    return
                }
                if let finished = self.finished {
                    continuation.resume(returning: self.takeAll() + finished)
                    return
                }
                if !self.packets.isEmpty {
                    continuation.resume(returning: self.takeAll())
                    self.drained()
                    return
                }
                self.waiter = continuation
                self.timeout = self.loop.scheduleTask(in: wait) {
                    guard let waiter = self.waiter else { return }
                    self.waiter = nil
                    waiter.resume(returning: [[SocketIO.EngineType.noop.rawValue]])
                }
            }
        }
    }

    /// The session left polling (upgraded or closed): a poll waiting gets `last`, and so do later
    /// polls.
    func finish(with last: [[UInt8]]) {
        guard finished == nil else { return }
        finished = last
        timeout?.cancel()
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: takeAll() + last)
        }
    }

    func close(code: UInt16, reason: String, waitForPeer: Bool) {
        finish(with: [[SocketIO.EngineType.close.rawValue]])
    }
}

/// A room's message as an Engine.IO packet, made once per loop and pass: its bytes (for polling)
/// and, when a WebSocket needs it, its text frame (written as is to every socket, like the native
/// protocol's frames).
final class TranslatedPacket {
    let bytes: [UInt8]
    private var built: ByteBuffer?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var frame: ByteBuffer {
        if let built { return built }
        let frame = Wire.frame(Wire.text, bytes)
        built = frame
        return frame
    }
}

/// The last native frame a loop translated, and its translation: the sessions of one loop get a
/// room's message one after the other, so one entry serves them all. Used on its loop only.
final class TranslationCache: @unchecked Sendable {
    private var source: ByteBuffer?
    private var packet: TranslatedPacket?

    /// The translation of `frame`, when it is the same buffer as the last one (its bytes are
    /// never changed after a room encoded them; the cache holds it, so its storage stays).
    func lookup(_ frame: ByteBuffer) -> TranslatedPacket? {
        guard let source, let packet, source.readerIndex == frame.readerIndex, source.readableBytes == frame.readableBytes else { return nil }
        let same = source.withUnsafeReadableBytes { a in frame.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress } }
        return same ? packet : nil
    }

    func store(_ frame: ByteBuffer, _ translated: TranslatedPacket) {
        source = frame
        packet = translated
    }
}
