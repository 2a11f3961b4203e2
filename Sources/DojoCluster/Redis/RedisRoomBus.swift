import Metrics
import NIOCore
import Synchronization

/// The room bus across nodes, on Redis pub/sub (docs/cluster.md): a room is the channel
/// `<cluster>:room:<room>`. A node subscribes to a room's channel while it has local subscribers
/// (``RedisSubscriber``: one connection for all of them); a publication is delivered to this
/// node's own subscribers directly, at once, and published once, encoded once, for the others
/// (``RedisClient``, pipelined). A node ignores its own publications when they come back.
///
/// Redis pub/sub is at most once: what a node misses while its subscription is down is not
/// replayed. Reliable messages carry their stream's sequence numbers, so a miss is a gap that
/// the receiving room sees and recovers from the log (`onReconnect` tells it when to look).
public final class RedisRoomBus: RoomBus {
    private let local = LocalRoomBus()
    private let publisher: RedisClient
    private let subscriber: RedisSubscriber
    private let prefix: String
    public let node: String
    private let counters = Counters()

    final class Counters: Sendable {
        let published = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        let malformed = Atomic<Int>(0)
        let metricOut = Counter(label: "dojo_cluster_messages_total", dimensions: [("direction", "out")])
        let metricIn = Counter(label: "dojo_cluster_messages_total", dimensions: [("direction", "in")])
        let metricMalformed = Counter(label: "dojo_cluster_messages_total", dimensions: [("direction", "malformed")])
    }

    /// Messages published to other nodes, received from them, and received but unreadable.
    public var traffic: (published: Int, received: Int, malformed: Int) {
        (counters.published.load(ordering: .relaxed), counters.received.load(ordering: .relaxed), counters.malformed.load(ordering: .relaxed))
    }

    public init(publisher: RedisClient, subscriber: RedisSubscriber, cluster: String, node: String) {
        self.publisher = publisher
        self.subscriber = subscriber
        prefix = cluster + ":room:"
        self.node = node
    }

    /// After the subscriber's connection came back: what was published meanwhile did not arrive.
    public func onReconnect(_ action: @escaping @Sendable () -> Void) {
        subscriber.onReconnect(action)
    }

    public func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void) {
        local.subscribe(room, deliver: deliver)
        let node = self.node
        let counters = self.counters
        subscriber.subscribe(prefix + room) { bytes in
            guard let (message, origin) = RoomMessage.fromWire(bytes), message.room == room else {
                counters.malformed.add(1, ordering: .relaxed)
                counters.metricMalformed.increment()
                return
            }
            guard origin != node else { return }
            counters.received.add(1, ordering: .relaxed)
            counters.metricIn.increment()
            deliver(message)
        }
    }

    public func unsubscribe(_ room: String) {
        local.unsubscribe(room)
        subscriber.unsubscribe(prefix + room)
    }

    /// Encodes once; delivers to this node's subscribers, then publishes for the others (always:
    /// which other nodes follow the room is theirs to know, and asking would cost more than the
    /// publication).
    public func publish(_ room: String, encode: () -> RoomMessage) {
        let message = encode()
        local.publish(room) { message }
        counters.published.add(1, ordering: .relaxed)
        counters.metricOut.increment()
        publisher.send(["PUBLISH", .text(prefix + room), .bytes(message.wire(origin: node))])
    }
}
