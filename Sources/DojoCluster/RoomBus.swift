public import NIOCore
import Synchronization

/// One message of a room, framed once: the same bytes go to every subscriber on every node.
public struct RoomMessage: Sendable {
    public enum Delivery: Sendable, Equatable {
        /// In order, never dropped; `seq` is the room's sequence number (nil: the receiving
        /// room numbers it, for rooms whose numbers live in memory).
        case reliable(seq: Int64?)
        /// Newest value wins for a slow reader (camera frames); `key` names the stream.
        case lossy(key: String)
    }

    public var room: String
    public var delivery: Delivery
    public var frame: ByteBuffer

    public init(room: String, delivery: Delivery, frame: ByteBuffer) {
        self.room = room
        self.delivery = delivery
        self.frame = frame
    }
}

/// The port through which a room's messages reach every node that follows the room
/// (ARCHITECTURE §2, §4): the gateway subscribes a node to a room when its first local subscriber
/// arrives, unsubscribes it when the last one leaves, and publishes each committed event once.
///
/// Contract (``RoomBusContract`` in the tests, run against every adapter):
/// - a message published to a room reaches every node subscribed to it, once, and messages of one
///   publisher arrive in the order they were published;
/// - a node not subscribed (never, or no longer) receives nothing;
/// - `encode` runs only when some node follows the room, at most once per publish;
/// - one subscription per node and room: subscribing again replaces the handler.
///
/// Adapters: ``LocalRoomBus`` (in process: one node, or several nodes of one process sharing a
/// ``LocalRoomBus/Network``); a Redis adapter (pub/sub across nodes) comes with the cluster.
public protocol RoomBus: Sendable {
    /// Follows `room` on this node: `deliver` receives every message published to it.
    func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void)
    /// Stops following `room` on this node.
    func unsubscribe(_ room: String)
    /// Publishes to every node following `room`; `encode` frames the message, only if needed.
    func publish(_ room: String, encode: () -> RoomMessage)
}

/// The in-process room bus: delivery is a direct call on the publisher's thread. Several buses
/// made from one ``Network`` behave as the nodes of one cluster (tests of multi-node behaviour in
/// one process); a bus made alone is a single node.
public final class LocalRoomBus: RoomBus {
    /// The nodes of an in-process cluster.
    public final class Network: Sendable {
        fileprivate let subscribers = Mutex<[String: [ObjectIdentifier: @Sendable (RoomMessage) -> Void]]>([:])
        public init() {}
    }

    private let network: Network

    public init(network: Network = Network()) {
        self.network = network
    }

    public func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void) {
        network.subscribers.withLock { $0[room, default: [:]][ObjectIdentifier(self)] = deliver }
    }

    public func unsubscribe(_ room: String) {
        network.subscribers.withLock { subscribers in
            subscribers[room]?[ObjectIdentifier(self)] = nil
            if subscribers[room]?.isEmpty == true { subscribers[room] = nil }
        }
    }

    public func publish(_ room: String, encode: () -> RoomMessage) {
        guard let handlers = network.subscribers.withLock({ $0[room] }), !handlers.isEmpty else { return }
        let message = encode()
        if handlers.count == 1 {
            handlers.first!.value(message)
        } else {
            for handler in handlers.values { handler(message) }
        }
    }
}
