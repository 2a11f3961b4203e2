import Synchronization

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
