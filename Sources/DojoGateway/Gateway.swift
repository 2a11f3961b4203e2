public import DojoCluster
public import DojoDomain
public import DojoRuntime
import DojoStorage
public import Foundation
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// Why the gateway refused a request: a stable code and a message (docs/protocol.md).
/// Who a token names: a user, or a camera device bound to one venue's table.
public enum GatewayIdentity: Sendable {
    case user(Principal, expiresAt: Date)
    case device(DeviceBinding, expiresAt: Date)
}

/// A camera device's binding: it publishes frames to `table:{tableID}` only.
public struct DeviceBinding: Sendable, Equatable {
    public var id: String
    public var venueID: String
    public var tableID: String

    public init(id: String, venueID: String, tableID: String) {
        self.id = id
        self.venueID = venueID
        self.tableID = tableID
    }
}

public struct GatewayRefusal: Error, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// The realtime gateway: rooms, their fan-out, subscriptions with recovery, presence, and the
/// commands clients send over their socket. Connections (``Connection``) call in on their event
/// loop; committed events arrive from the runtime's actors (``Runtime/onCommitted(_:)``).
public final class Gateway: Service, Sendable {
    /// Verifies a token: who it names and when it expires, or why it is refused.
    public typealias Authenticate = @Sendable (String) async -> Result<GatewayIdentity, GatewayRefusal>

    public let configuration: GatewayConfiguration
    let runtime: Runtime
    let authenticate: Authenticate
    let logger: Logger
    let metrics = GatewayMetrics()
    /// Carries each room's messages to every node that follows the room (in process by default).
    let bus: any RoomBus
    /// Presence across the nodes (in process by default).
    let presence: any PresenceStore
    /// This node's id in presence and on the bus.
    public let nodeID: String
    /// The WebSocket connections open now (the node's load, as the cluster lists it).
    public var openConnections: Int { metrics.current.connections }
    let rooms = RoomRegistry()
    /// Request-scoped work (reads, commands, catch-ups), owned by the gateway's service.
    let tasks = RequestTasks()
    /// The shot detector of each camera device, by device id: kept across the device's
    /// reconnects, so a shot in progress survives one (Gateway+Frames.swift).
    let detectors = Mutex<[String: ShotDetector]>([:])
    let detectorMetrics = DetectorMetrics(source: "live")
    let socketIOSessions = SocketIOSessions()
    private let hubs = Mutex<[ObjectIdentifier: LoopHub]>([:])

    func anyHub() -> LoopHub? { hubs.withLock { $0.values.first } }

    public init(
        configuration: GatewayConfiguration,
        runtime: Runtime,
        logger: Logger,
        bus: any RoomBus = LocalRoomBus(),
        presence: any PresenceStore = LocalPresenceStore(),
        nodeID: String = "local",
        authenticate: @escaping Authenticate
    ) {
        self.configuration = configuration
        self.bus = bus
        self.presence = presence
        self.nodeID = nodeID
        self.runtime = runtime
        self.logger = logger
        self.authenticate = authenticate
        runtime.onCommitted { [weak self] key, events in self?.publishCommitted(key, events) }
        // Through the bus: the user's subscriptions end on every node, not only on the one that
        // took the command (and in order with the room's events from that node).
        runtime.onAccessRevoked { [weak self] key, users in
            guard let self, let room = RoomName(entity: key)?.description else { return }
            for user in users {
                self.bus.publish(room) { RoomMessage(room: room, delivery: .revoked(user: user), frame: ByteBuffer()) }
            }
        }
        runtime.onNotice { [weak self] notice in self?.publishNotice(notice) }
    }

    /// A service so that a graceful shutdown closes every socket with 1001 (going away) and waits
    /// (up to 3 s) for the clients to answer before the runtime and storage stop.
    public func run() async throws {
        try? await gracefulShutdown()
        let hubs = self.hubs.withLock { Array($0.values) }
        for hub in hubs { hub.eventLoop.execute { hub.closeAll() } }
        let deadline = ContinuousClock.now + .seconds(3)
        while metrics.current.connections > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // The sockets are closed: what is still in flight finishes (bounded by storage's timeouts)
        // before the runtime behind it stops.
        let inFlight = tasks.count
        await tasks.finish()
        logger.info("gateway stopped", metadata: ["ws.connections_left": "\(metrics.current.connections)", "ws.requests_finished": "\(inFlight)"])
    }

    /// Connections and subscriptions open now.
    public var counts: (connections: Int, subscriptions: Int) { metrics.current }

    /// Rooms with at least one subscriber.
    public var roomCount: Int { rooms.count }

    func hub(for eventLoop: any EventLoop) -> LoopHub {
        hubs.withLock { hubs in
            if let hub = hubs[ObjectIdentifier(eventLoop)] { return hub }
            let hub = LoopHub(eventLoop: eventLoop, metrics: metrics)
            hubs[ObjectIdentifier(eventLoop)] = hub
            return hub
        }
    }

    // MARK: Publishing

    /// Committed events of an entity go to its room on every node that follows it (through the
    /// bus): encoded once, with the stream's sequence numbers (so a client can recover any gap
    /// from the log), and only when some node follows the room.
    private func publishCommitted(_ key: EntityKey, _ events: [CommittedEvent]) {
        guard let name = RoomName(entity: key) else { return }
        let room = name.description
        for event in events {
            bus.publish(room) {
                RoomMessage(
                    room: room,
                    delivery: .reliable(seq: event.sequence),
                    frame: Self.encode(event, room: room, epoch: Room.logEpoch, seq: event.sequence)
                )
            }
        }
    }

    static func encode(_ event: RecordedEvent, room: Room, seq: Int64) -> ByteBuffer {
        encode(event, room: room.nameText, epoch: room.epoch, seq: seq)
    }

    static func encode(_ event: RecordedEvent, room: String, epoch: String, seq: Int64) -> ByteBuffer {
        // The stored payload is {"event": …, "meta": …}; clients get the event only. An event just
        // committed says where its bytes are (written once by the runtime); one read back from
        // the log is scanned for them.
        let utf8 = event.payload.utf8
        if let range = event.eventRange, range.upperBound <= utf8.count {
            let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            let end = utf8.index(start, offsetBy: range.count)
            return Messages.event(room: room, seq: seq, epoch: epoch, eventType: event.type, event: utf8[start..<end])
        }
        let payload = Array(utf8)
        var body = payload[...]
        if let members = try? JSONScanner.members(of: payload), let member = members.first(where: { $0.key == "event" }) {
            body = payload[member.value]
        }
        return Messages.event(room: room, seq: seq, epoch: epoch, eventType: event.type, event: body)
    }

    /// Whether a room carries a registered entity's events (numbered by its stream in the log).
    func isLogBacked(_ name: RoomName) -> Bool {
        name.entityKind.map { runtime.registration(for: $0) != nil } ?? false
    }

    /// A message from the bus for a room open on this node.
    func receive(_ message: RoomMessage, in room: Room) {
        switch message.delivery {
        case .reliable(let seq?):
            room.publishReliable(seq: seq, publishedAt: .now()) { _ in message.frame }
        case .reliable(nil):
            // Rooms numbered in memory are node-local (bench rooms): they never arrive by the bus.
            break
        case .revoked(let user):
            revokeAccess(room: room.name, user: user)
        case .lossy("presence"):
            room.publishLossy(message.frame, key: .presence, publishedAt: .now())
        case .lossy(let key):
            room.publishLossy(message.frame, key: key.hasPrefix("notice:") ? .notice(key) : .frame, publishedAt: .now())
        }
    }

    // MARK: Messages from clients

    func handle(_ bytes: [UInt8], from connection: Connection) {
        let (requestID, parsed) = ClientMessage.parse(bytes, benchRooms: configuration.benchRooms)
        let message: ClientMessage
        switch parsed {
        case .failure(let refusal):
            return connection.sendNow(Messages.error(requestID: requestID, code: refusal.code, message: refusal.message, room: refusal.room))
        case .success(let parsed):
            message = parsed
        }
        switch message {
        case .ping:
            connection.sendNow(
                Messages.ack(requestID: requestID) { w in
                    w.member("pong", true)
                    w.member("time", Timestamp(Date()))
                }
            )
        case .frame(let fields):
            frame(fields, from: connection, requestID: requestID)
        case .shot(let matchID):
            cameraShot(bytes, matchID: matchID, from: connection, requestID: requestID)
        case .auth(let token):
            authenticateConnection(connection, token: token, requestID: requestID)
        case .subscribe(let room, let since):
            subscribe(connection, room: room, since: since, requestID: requestID)
        case .unsubscribe(let room):
            guard let subscription = connection.subscriptions.removeValue(forKey: room.description) else {
                return connection.sendNow(
                    Messages.error(requestID: requestID, code: "room.not_subscribed", message: "not subscribed to \(room)", room: room.description)
                )
            }
            detach(subscription)
            connection.sendNow(Messages.ack(requestID: requestID) { $0.member("room", room.description) })
        case .command(let room, let command, let commandID, let traceparent):
            self.command(connection, room: room, command: command, commandID: commandID, traceparent: traceparent, requestID: requestID)
        case .publish(let room, let data, let lossy):
            publish(room: room, data: data, lossy: lossy)
            if requestID != nil { connection.sendNow(Messages.ack(requestID: requestID)) }
        case .presence(let room, let state):
            setPresenceState(connection, room: room, state: state, requestID: requestID)
        }
    }

    private func authenticateConnection(_ connection: Connection, token: String, requestID: [UInt8]?) {
        let bound = NIOLoopBound(connection, eventLoop: connection.hub.eventLoop)
        self.tasks.spawn {
            let result = await self.authenticate(token)
            bound.eventLoop.execute {
                let connection = bound.value
                switch result {
                case .success(.user(let principal, let expiresAt)):
                    if connection.device != nil || (connection.principal != nil && connection.principal?.userID != principal.userID) {
                        connection.sendNow(
                            Messages.error(
                                requestID: requestID,
                                code: "auth.user_mismatch",
                                message: "a connection stays with the identity it signed in as; open a new one"
                            )
                        )
                        return
                    }
                    connection.principal = principal
                    connection.principalExpiry = Connection.deadline(expiresAt)
                    connection.sendNow(Messages.ack(requestID: requestID) { Messages.identity(&$0, principal) })
                case .success(.device(let device, let expiresAt)):
                    if connection.principal != nil || (connection.device != nil && connection.device != device) {
                        connection.sendNow(
                            Messages.error(
                                requestID: requestID,
                                code: "auth.user_mismatch",
                                message: "a connection stays with the identity it signed in as; open a new one"
                            )
                        )
                        return
                    }
                    connection.device = device
                    connection.principalExpiry = Connection.deadline(expiresAt)
                    connection.sendNow(Messages.ack(requestID: requestID) { Messages.device(&$0, device) })
                case .failure(let refusal):
                    connection.sendNow(Messages.error(requestID: requestID, code: refusal.code, message: refusal.message))
                }
            }
        }
    }

    /// Publishes to a bench room (benchmarks only).
    private func publish(room name: RoomName, data: ArraySlice<UInt8>, lossy: Bool) {
        guard let room = rooms.lookup(name.description) else { return }
        let now = NIODeadline.now()
        if lossy {
            room.publishLossy(Messages.lossyFrame(room: room.nameText, data: data), key: .frame, publishedAt: now)
        } else {
            room.publishReliable(seq: nil, publishedAt: now) { seq in
                Messages.event(room: room.nameText, seq: seq, epoch: room.epoch, eventType: nil, event: data)
            }
        }
    }

    /// Publishes an entity's state to rooms that are not its own (a challenge in its players'
    /// `user:` rooms), on every node that follows them: newest state per entity for slow readers.
    func publishNotice(_ notice: Notice) {
        let entity = notice.entity.description
        for room in notice.rooms {
            bus.publish(room) {
                RoomMessage(
                    room: room,
                    delivery: .lossy(key: "notice:" + entity),
                    frame: Messages.notice(room: room, entity: entity, eventType: notice.eventType, view: notice.view)
                )
            }
        }
    }

    /// Publishes a lossy frame to a room (camera frames) on every node that follows it: newest
    /// value only for slow readers.
    public func publishFrame(room name: RoomName, data: [UInt8]) {
        let room = name.description
        bus.publish(room) { RoomMessage(room: room, delivery: .lossy(key: "frame"), frame: Messages.lossyFrame(room: room, data: data)) }
    }
}
