import NIOCore
import Synchronization

/// One room: its recent reliable messages (for recovery), its sequence, its subscribers grouped by
/// event loop, and its presence. Everything here is behind one lock held for microseconds; the
/// subscribers themselves live on their connections' event loops (``RoomShard``).
final class Room: Sendable {
    let name: RoomName
    let nameText: String
    /// The epoch of the room's sequence numbers: `log` for rooms whose numbers are the entity
    /// stream's (stable across restarts), else a random id per room instance.
    let epoch: String

    struct State {
        var ring: Ring
        var lastSeq: Int64 = 0
        var shards: [ObjectIdentifier: RoomShard] = [:]
        /// Subscribers and reservations (a subscribe in progress): the room lives while > 0.
        var members = 0
        var users: [String: Int] = [:]
        var anonymous = 0
        var joined: [String] = []
        var left: [String] = []
        var presenceDirty = false
        var presenceScheduled = false
        var closed = false
    }

    let state: Mutex<State>

    /// The epoch of rooms numbered by their entity's stream: the same on every node and after
    /// every restart.
    static let logEpoch = "log"

    /// Whether the room's events come from the durable log (a registered entity kind's room):
    /// numbered by the stream, recoverable from the log after any gap.
    let isLogBacked: Bool

    /// Called on a subscriber's loop when a log room's message skips sequence numbers the
    /// subscriber has not had (a message from another node lost on the way): the gateway reads the
    /// missing events from the log (``Subscription/offer(_:_:)``).
    let repair: (@Sendable (Subscription) -> Void)?

    init(name: RoomName, logBacked: Bool, recoveryCapacity: Int, repair: (@Sendable (Subscription) -> Void)? = nil) {
        self.name = name
        self.repair = repair
        nameText = name.description
        isLogBacked = logBacked
        epoch = logBacked ? Self.logEpoch : String(UInt64.random(in: 1...UInt64.max), radix: 36)
        state = Mutex(State(ring: Ring(capacity: recoveryCapacity)))
    }

    /// Publishes a reliable message with sequence number `seq` (log rooms) or the next one
    /// (`nil`, memory rooms): keeps it for recovery and hands the same bytes to every loop.
    /// A log event already seen (a repeated notification) is dropped.
    @discardableResult
    func publishReliable(seq: Int64?, publishedAt: NIODeadline, encode: (Int64) -> ByteBuffer) -> Int64? {
        state.withLock { state in
            let next = seq ?? state.lastSeq + 1
            guard next > state.lastSeq, !state.closed else { return nil }
            // A jump (messages lost between nodes): what the ring holds is no longer contiguous,
            // so recovery below this point goes to the log.
            if state.lastSeq > 0, next - 1 > state.lastSeq { state.ring.removeAll() }
            state.lastSeq = next
            let frame = encode(next)
            state.ring.append(next, frame)
            for shard in state.shards.values {
                shard.hub.enqueue(.init(shard: shard, kind: .reliable(seq: next, frame: frame), publishedAt: publishedAt))
            }
            return next
        }
    }

    /// Publishes a lossy message (a frame or a presence update): delivered to whoever is
    /// subscribed now, newest value only for a connection that cannot keep up; never kept.
    func publishLossy(_ frame: ByteBuffer, key: LossyKey, publishedAt: NIODeadline) {
        state.withLock { state in
            for shard in state.shards.values {
                shard.hub.enqueue(.init(shard: shard, kind: .lossy(key: key, frame: frame), publishedAt: publishedAt))
            }
        }
    }

    /// What a slow reader keeps only the newest of: the room's frames, its presence, each
    /// entity's notices.
    enum LossyKey: Sendable, Equatable {
        case frame, presence
        case notice(String)
    }
}

/// A fixed-capacity ring of the room's last reliable messages.
struct Ring {
    private var items: [(seq: Int64, frame: ByteBuffer)] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(min(capacity, 64))
    }

    var isEmpty: Bool { items.isEmpty }

    /// The oldest sequence number kept.
    var firstSeq: Int64? { items.isEmpty ? nil : items[items.count < capacity ? 0 : head].seq }

    mutating func removeAll() {
        items.removeAll(keepingCapacity: true)
        head = 0
    }

    mutating func append(_ seq: Int64, _ frame: ByteBuffer) {
        guard capacity > 0 else { return }
        if items.count < capacity {
            items.append((seq, frame))
        } else {
            items[head] = (seq, frame)
            head = (head + 1) % capacity
        }
    }

    /// The messages after `seq`, oldest first.
    func after(_ seq: Int64) -> [(seq: Int64, frame: ByteBuffer)] {
        let ordered = items.count < capacity ? items : Array(items[head...] + items[..<head])
        return ordered.filter { $0.seq > seq }
    }
}

/// The subscribers of one room on one event loop. Only touched on that loop.
final class RoomShard: @unchecked Sendable {
    let hub: LoopHub
    var subscriptions: [Subscription] = []

    init(hub: LoopHub) { self.hub = hub }

    func add(_ subscription: Subscription) {
        subscription.index = subscriptions.count
        subscriptions.append(subscription)
    }

    func remove(_ subscription: Subscription) {
        let index = subscription.index
        guard index >= 0, index < subscriptions.count, subscriptions[index] === subscription else { return }
        let last = subscriptions.removeLast()
        if index < subscriptions.count {
            subscriptions[index] = last
            last.index = index
        }
        subscription.index = -1
    }
}

/// One connection's subscription to one room. Only touched on the connection's loop (it crosses
/// threads only as a reference, inside the room's lock, never to be used there).
final class Subscription: @unchecked Sendable {
    /// Strong: the connection drops its subscriptions when it closes (no cycle outlives it), and a
    /// strong reference is cheaper on the fan-out path than an unowned one.
    let connection: Connection
    let room: Room
    /// The user counted in the room's presence (nil: anonymous).
    let user: String?
    let shard: RoomShard
    var index = -1
    /// The last reliable sequence number this subscriber has been sent (or skipped past).
    var lastSeq: Int64
    /// While catching up (snapshot or log read in flight): live messages wait here, in order.
    var pending: [(seq: Int64, frame: ByteBuffer)]?
    /// Whether the subscription is still attached to its room.
    var isAttached: Bool { index >= 0 }

    init(connection: Connection, room: Room, shard: RoomShard, user: String?, lastSeq: Int64, catchingUp: Bool) {
        self.connection = connection
        self.user = user
        self.room = room
        self.shard = shard
        self.lastSeq = lastSeq
        pending = catchingUp ? [] : nil
    }

    /// A live reliable message: sent unless already sent, buffered while catching up.
    func offer(_ seq: Int64, _ frame: ByteBuffer) {
        if pending != nil {
            pending!.append((seq, frame))
            if pending!.count > connection.limits.outboundMessages { connection.closeSlowConsumer() }
            return
        }
        guard seq > lastSeq else { return }
        if room.isLogBacked, lastSeq > 0, seq - 1 > lastSeq, let repair = room.repair {
            // Never a silent gap: hold this message and what follows until the log fills it.
            pending = [(seq, frame)]
            return repair(self)
        }
        lastSeq = seq
        connection.sendReliable(frame)
    }

    /// Ends the catch-up: sends the buffered messages newer than `lastSeq`, then goes live. A
    /// buffered message past a gap (lost between nodes while catching up) holds the rest until the
    /// log fills it.
    func finishCatchUp() {
        let buffered = pending ?? []
        pending = nil
        for (index, (seq, frame)) in buffered.enumerated() where seq > lastSeq {
            if room.isLogBacked, lastSeq > 0, seq - 1 > lastSeq, let repair = room.repair {
                pending = Array(buffered[index...])
                return repair(self)
            }
            lastSeq = seq
            connection.sendReliable(frame)
        }
    }
}
