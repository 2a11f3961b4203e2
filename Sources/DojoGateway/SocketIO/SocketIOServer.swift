import DojoDomain
import Logging
public import NIOCore
import Synchronization

/// An Engine.IO answer to an HTTP request of the polling transport.
public struct EngineIOResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// Engine.IO's error body: `{"code": n, "message": "…"}` (0 transport unknown, 1 session id
    /// unknown, 3 bad request, 5 unsupported protocol version).
    public static func error(_ code: Int, _ message: String, status: Int = 400) -> EngineIOResponse {
        var w = JSONWriter(capacity: 64)
        w.beginObject()
        w.member("code", code)
        w.member("message", message)
        w.endObject()
        return EngineIOResponse(status: status, contentType: "application/json", body: w.bytes)
    }
}

/// The Socket.IO sessions of this node, by Engine.IO session id.
final class SocketIOSessions: Sendable {
    struct Entry: Sendable {
        let loop: any EventLoop
        let session: NIOLoopBound<SocketIOSession>
    }

    private let entries = Mutex<[String: Entry]>([:])

    func add(_ session: SocketIOSession) {
        entries.withLock { $0[session.sid] = Entry(loop: session.loop, session: NIOLoopBound(session, eventLoop: session.loop)) }
    }

    func remove(_ sid: String) { _ = entries.withLock { $0.removeValue(forKey: sid) } }

    func entry(_ sid: String) -> Entry? { entries.withLock { $0[sid] } }

    var count: Int { entries.withLock { $0.count } }
}

/// The Socket.IO v4 server at `/socket.io/` (Engine.IO protocol 4): polling through the REST
/// router (``engineIOGet(query:eventLoop:)``, ``engineIOPost(query:body:)``), WebSocket through the
/// gateway's upgrade (``SocketIOWebSocket``). Every session is a ``Connection``, so rooms,
/// permissions, limits, back-pressure and recovery are the native protocol's (docs/protocol.md).
extension Gateway {
    /// The Engine.IO path (socket.io-client's default).
    public static let socketIOPath = "/socket.io"

    /// Engine.IO's timings, from the gateway's heartbeat: a ping every interval, and a session
    /// without a sign of life for two intervals is closed.
    var pingIntervalMilliseconds: Int { configuration.heartbeatSeconds * 1_000 }

    /// A new session on `loop`: its connection started, its open packet queued first.
    func openSocketIOSession(on loop: any EventLoop, sink: any EngineIOSink, upgrades: [String]) -> SocketIOSession {
        let connection = Connection(gateway: self, hub: hub(for: loop), identity: nil, upgradeRefusal: nil, logger: logger)
        // The session id is the only credential of a poll: 128 random bits, nothing a client sees
        // elsewhere (the connection's own id is in `hello` and in the CONNECT's answer).
        let session = SocketIOSession(
            sid: (0..<2).map { _ in String(UInt64.random(in: 1...UInt64.max), radix: 36) }.joined(separator: "-")
                + (configuration.socketIONode.map { "~" + $0 } ?? ""),
            connection: connection,
            loop: loop,
            gateway: self,
            sink: sink
        )
        sink.send(
            SocketIO.openPacket(
                sid: session.sid,
                upgrades: upgrades,
                pingInterval: pingIntervalMilliseconds,
                pingTimeout: pingIntervalMilliseconds,
                maxPayload: configuration.maximumMessageBytes
            )
        )
        socketIOSessions.add(session)
        connection.start(transport: session, writable: true)
        return session
    }

    /// The node a session id names (`<random>~<node>`), if it names one.
    public static func socketIONode(ofSessionID sid: String) -> Substring? {
        guard let mark = sid.lastIndex(of: "~") else { return nil }
        let node = sid[sid.index(after: mark)...]
        return node.isEmpty ? nil : node
    }

    /// Whether a node id can be put into a session id as it is (unreserved URL characters).
    public static func isSocketIONodeTag(_ node: String) -> Bool {
        !node.isEmpty && node.utf8.count <= 128
            && node.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._".unicodeScalars.contains($0))
            }
    }

    /// `GET /socket.io/?EIO=4&transport=polling[&sid=…]`: the handshake (an open packet), or a
    /// long poll for the session's packets.
    public func engineIOGet(query: [String: String], eventLoop: any EventLoop) async -> EngineIOResponse {
        if let refusal = Self.engineIOQueryRefusal(query) { return refusal }
        guard let sid = query["sid"] else {
            let response = eventLoop.submit { () -> [UInt8] in
                let sink = PollingSink(loop: eventLoop, limit: self.configuration.outboundBytes)
                let session = self.openSocketIOSession(on: eventLoop, sink: sink, upgrades: ["websocket"])
                sink.drained = { [weak session] in session?.connection.writabilityChanged(true) }
                sink.filled = { [weak session] in session?.connection.writabilityChanged(false) }
                return sink.takeAll().first ?? []
            }
            return EngineIOResponse(status: 200, contentType: "text/plain; charset=UTF-8", body: (try? await response.get()) ?? [])
        }
        guard let entry = socketIOSessions.entry(sid) else { return .error(1, "Session ID unknown") }
        let sink = try? await entry.loop.submit { entry.session.value.sink as? PollingSink }.get()
        guard let sink else { return .error(3, "Bad request: the session is not polling (upgraded)") }
        guard let packets = await sink.poll(wait: .seconds(Int64(configuration.heartbeatSeconds))) else {
            // One poll at a time: a second one ends the session (Engine.IO §polling).
            entry.loop.execute { entry.session.value.connection.close(CloseCode.policyViolation, "two polls at once", waitForPeer: false) }
            return .error(3, "Bad request: a poll is already waiting")
        }
        return EngineIOResponse(status: 200, contentType: "text/plain; charset=UTF-8", body: Self.joined(packets))
    }

    /// `POST /socket.io/?EIO=4&transport=polling&sid=…`: the client's packets (joined by U+001E).
    public func engineIOPost(query: [String: String], body: [UInt8]) async -> EngineIOResponse {
        if let refusal = Self.engineIOQueryRefusal(query) { return refusal }
        guard let sid = query["sid"] else { return .error(3, "Bad request: a POST names its session (sid)") }
        guard let entry = socketIOSessions.entry(sid) else { return .error(1, "Session ID unknown") }
        guard UTF8Validation.isValid(body) else { return .error(3, "Bad request: the body is not UTF-8") }
        let packets = body.split(separator: SocketIO.separator, omittingEmptySubsequences: false)
        guard packets.allSatisfy({ !$0.isEmpty && $0.count <= configuration.maximumMessageBytes }) else {
            return .error(3, "Bad request: a packet is empty or larger than \(configuration.maximumMessageBytes) bytes")
        }
        entry.loop.execute {
            let session = entry.session.value
            for packet in packets { session.receive(packet) }
        }
        return EngineIOResponse(status: 200, contentType: "text/html", body: Array("ok".utf8))
    }

    /// Engine.IO's refusals of a request's query: the protocol version and the transport.
    public static func engineIOQueryRefusal(_ query: [String: String]) -> EngineIOResponse? {
        guard query["EIO"] == "4" else { return .error(5, "Unsupported protocol version: EIO=4 only") }
        switch query["transport"] {
        case "polling": return nil
        case "websocket": return .error(3, "Bad request: the websocket transport is an upgrade")
        default: return .error(0, "Transport unknown: polling or websocket")
        }
    }

    static func joined(_ packets: [[UInt8]]) -> [UInt8] {
        var body: [UInt8] = []
        for (index, packet) in packets.enumerated() {
            if index > 0 { body.append(SocketIO.separator) }
            body.append(contentsOf: packet)
        }
        return body
    }

    /// The Socket.IO sessions open on this node.
    public var socketIOSessionCount: Int { socketIOSessions.count }
}

/// A Socket.IO session's WebSocket (`/socket.io/?EIO=4&transport=websocket[&sid=…]`), on its
/// socket's loop: a new session of its own, or the upgrade of a polling session after the probe
/// (`2probe` → `3probe`, then `5`). The session may live on another loop: what crosses is hopped.
///
/// Touched only on its socket's loop; other loops reach it through `loop.execute`.
final class SocketIOWebSocket: WebSocketReceiver, @unchecked Sendable {
    private enum State {
        case waiting
        case probing(SocketIOSessions.Entry)
        case attached(SocketIOSessions.Entry, sink: WebSocketSink)
        case ended
    }

    private let gateway: Gateway
    private let upgradeOf: String?
    var logger: Logger { gateway.logger }
    private var state = State.waiting
    private(set) var transport: WebSocketTransport?
    let loop: any EventLoop

    init(gateway: Gateway, upgradeOf sid: String?, loop: any EventLoop) {
        self.gateway = gateway
        self.upgradeOf = sid
        self.loop = loop
    }

    func started(_ transport: WebSocketTransport, writable: Bool) {
        self.transport = transport
        if let sid = upgradeOf {
            guard let entry = gateway.socketIOSessions.entry(sid) else {
                return transport.close(code: CloseCode.policyViolation, reason: "Session ID unknown", waitForPeer: false)
            }
            state = .probing(entry)
            return
        }
        let sink = WebSocketSink(socket: self, sameLoop: true)
        let session = gateway.openSocketIOSession(on: loop, sink: sink, upgrades: [])
        sink.flush()
        state = .attached(SocketIOSessions.Entry(loop: loop, session: NIOLoopBound(session, eventLoop: loop)), sink: sink)
    }

    func received(_ message: [UInt8]) {
        switch state {
        case .probing(let entry):
            switch SocketIO.parse(message[...]) {
            case .ping(probe: true):
                transport?.write(Wire.frame(Wire.text, Array("3probe".utf8)))
                transport?.flush()
            case .upgrade:
                let sink = WebSocketSink(socket: self, sameLoop: entry.loop === loop)
                state = .attached(entry, sink: sink)
                entry.loop.execute {
                    // One upgrade per session: a second socket is closed.
                    if !entry.session.value.upgrade(to: sink) {
                        sink.close(code: CloseCode.policyViolation, reason: "the session is not polling", waitForPeer: false)
                    }
                }
            default:
                // Nothing else is part of the probe.
                break
            }
        case .attached(let entry, _):
            if entry.loop === loop {
                entry.session.value.receive(message[...])
            } else {
                entry.loop.execute { entry.session.value.receive(message[...]) }
            }
        case .waiting, .ended:
            break
        }
    }

    func touched() {
        if case .attached(let entry, _) = state, entry.loop === loop { entry.session.value.connection.touched() }
    }

    func writabilityChanged(_ writable: Bool) {
        guard case .attached(let entry, let sink) = state else { return }
        entry.loop.execute {
            sink.isWritable = writable
            entry.session.value.connection.writabilityChanged(writable)
        }
    }

    func ended() {
        let previous = state
        state = .ended
        if case .attached(let entry, let sink) = previous {
            entry.loop.execute {
                let session = entry.session.value
                if session.sink === sink { session.transportEnded() }
            }
        }
        transport = nil
    }

    func fail(_ code: UInt16, _ reason: String, waitForPeer: Bool) {
        if case .attached(let entry, _) = state {
            entry.loop.execute { entry.session.value.connection.close(code, reason, waitForPeer: waitForPeer) }
        } else {
            transport?.close(code: code, reason: reason, waitForPeer: waitForPeer)
        }
    }
}

/// The session's side of its WebSocket: packets become text frames, written directly when the
/// socket shares the session's loop, else batched and hopped at each flush.
///
/// Touched only on the session's loop (the socket's loop is reached through `execute`).
final class WebSocketSink: EngineIOSink, @unchecked Sendable {
    private let socket: SocketIOWebSocket
    private let sameLoop: Bool
    private var pending: [ByteBuffer] = []
    var isWritable = true

    init(socket: SocketIOWebSocket, sameLoop: Bool) {
        self.socket = socket
        self.sameLoop = sameLoop
    }

    func send(_ packet: [UInt8]) {
        write(Wire.frame(Wire.text, packet))
    }

    func send(_ packet: TranslatedPacket) {
        write(packet.frame)
    }

    private func write(_ frame: ByteBuffer) {
        if sameLoop {
            socket.transport?.write(frame)
        } else {
            pending.append(frame)
        }
    }

    func flush() {
        if sameLoop {
            socket.transport?.flush()
            return
        }
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll()
        let socket = self.socket
        socket.loop.execute {
            for frame in batch { socket.transport?.write(frame) }
            socket.transport?.flush()
        }
    }

    func close(code: UInt16, reason: String, waitForPeer: Bool) {
        flush()
        let socket = self.socket
        if sameLoop {
            socket.transport?.close(code: code, reason: reason, waitForPeer: waitForPeer)
        } else {
            socket.loop.execute { socket.transport?.close(code: code, reason: reason, waitForPeer: waitForPeer) }
        }
    }
}
