import DojoCluster
import NIOCore
import Synchronization
import Testing

/// The contract every ``RoomBus`` adapter passes (in process, and Redis across nodes).
/// `makeNodes(n)` gives n buses that are nodes of one cluster; `settle` waits until their
/// subscriptions are in force (a server's take effect a moment after the call);
/// `skipsUnfollowed`: the adapter knows when no node follows a room and does not encode for it
/// (in process; across nodes the publisher does not know, and encodes once).
enum RoomBusContract {
    /// What a node received, in order.
    final class Inbox: Sendable {
        let messages = Mutex<[String]>([])
        var texts: [String] { messages.withLock { $0 } }
        func deliver(_ message: RoomMessage) { messages.withLock { $0.append(message.room + "|" + String(buffer: message.frame)) } }
    }

    /// Waits until `condition` holds (adapters over a server deliver asynchronously).
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static func message(_ room: String, _ text: String) -> RoomMessage {
        RoomMessage(room: room, delivery: .reliable(seq: nil), frame: ByteBuffer(string: text))
    }

    static func check(
        skipsUnfollowed: Bool = true,
        settle: () async throws -> Void = {},
        makeNodes: (Int) async throws -> [any RoomBus]
    ) async throws {
        let nodes = try await makeNodes(3)
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let inboxA = Inbox()
        let inboxB = Inbox()
        let inboxC = Inbox()
        a.subscribe("match:1") { inboxA.deliver($0) }
        b.subscribe("match:1") { inboxB.deliver($0) }
        c.subscribe("venue:9") { inboxC.deliver($0) }
        try await settle()

        // Every node following the room gets each message once, in the publisher's order.
        for i in 0..<50 { c.publish("match:1") { message("match:1", "e\(i)") } }
        let expected = (0..<50).map { "match:1|e\($0)" }
        #expect(try await eventually { inboxA.texts.count >= 50 && inboxB.texts.count >= 50 })
        #expect(inboxA.texts == expected)
        #expect(inboxB.texts == expected)
        #expect(inboxC.texts.isEmpty, "a node that does not follow the room receives nothing")

        // encode runs only when some node follows the room, at most once.
        let encoded = Mutex(0)
        a.publish("match:nobody") {
            encoded.withLock { $0 += 1 }
            return message("match:nobody", "x")
        }
        #expect(encoded.withLock { $0 } == (skipsUnfollowed ? 0 : 1))
        encoded.withLock { $0 = 0 }
        b.publish("match:1") {
            encoded.withLock { $0 += 1 }
            return message("match:1", "once")
        }
        #expect(encoded.withLock { $0 } == 1)
        #expect(try await eventually { inboxA.texts.last == "match:1|once" && inboxB.texts.last == "match:1|once" })

        // After unsubscribing, a node receives nothing more; the others still do.
        b.unsubscribe("match:1")
        try await settle()
        a.publish("match:1") { message("match:1", "after") }
        #expect(try await eventually { inboxA.texts.last == "match:1|after" })
        #expect(!inboxB.texts.contains("match:1|after"))

        // Subscribing again replaces the handler: one delivery per node, to the new one.
        let replaced = Inbox()
        a.subscribe("match:1") { replaced.deliver($0) }
        try await settle()
        c.publish("match:1") { message("match:1", "new") }
        #expect(try await eventually { replaced.texts == ["match:1|new"] })
        #expect(!inboxA.texts.contains("match:1|new"))
        for node in nodes {
            node.unsubscribe("match:1")
            node.unsubscribe("venue:9")
        }
    }
}

/// The contract every ``PresenceStore`` adapter passes. `makeStore()` gives a store shared by the
/// nodes named in the checks.
enum PresenceStoreContract {
    static func eventually(_ store: any PresenceStore, _ room: String, _ condition: (PresenceCount) -> Bool) async throws -> PresenceCount {
        var last = try await store.count(room)
        for _ in 0..<200 where !condition(last) {
            try await Task.sleep(for: .milliseconds(10))
            last = try await store.count(room)
        }
        return last
    }

    static func check(makeStore: () async throws -> any PresenceStore) async throws {
        let store = try await makeStore()
        let room = "match:p1"
        store.join(room, user: "alice", node: "n1")
        store.join(room, user: "alice", node: "n2")  // the same user on two nodes
        store.join(room, user: "bob", node: "n1")
        store.join(room, user: nil, node: "n1")
        store.join(room, user: nil, node: "n2")
        store.join("match:other", user: "carol", node: "n2")
        let full = try await eventually(store, room) { $0.members == 5 }
        #expect(full == PresenceCount(members: 5, anonymous: 2, users: ["alice", "bob"]))

        // A user stays listed while any connection remains.
        store.leave(room, user: "alice", node: "n1")
        let afterLeave = try await eventually(store, room) { $0.members == 4 }
        #expect(afterLeave.users == ["alice", "bob"])

        // A leave without a join changes nothing.
        store.leave(room, user: "dave", node: "n1")
        store.leave("match:empty", user: nil, node: "n1")
        #expect(try await store.count(room).members == 4)
        #expect(try await store.count("match:empty") == PresenceCount())

        // A node that dies takes exactly its members with it, from every room.
        try await store.expire(node: "n2")
        let expired = try await eventually(store, room) { $0.members == 2 }
        #expect(expired == PresenceCount(members: 2, anonymous: 1, users: ["bob"]))
        #expect(try await eventually(store, "match:other") { $0.members == 0 }.users.isEmpty)

        // A present user's state shows; a state set by one no longer present does not, nor
        // does a cleared one.
        store.setState(room, user: "bob", state: "typing")
        store.setState(room, user: "zed", state: "in_voice")
        #expect(try await eventually(store, room) { $0.states["bob"] == "typing" }.states == ["bob": "typing"])
        store.setState(room, user: "bob", state: nil)
        #expect(try await eventually(store, room) { $0.states.isEmpty }.states.isEmpty)
        store.setState(room, user: "bob", state: "away")
        _ = try await eventually(store, room) { $0.states["bob"] == "away" }

        store.leave(room, user: "bob", node: "n1")
        store.leave(room, user: nil, node: "n1")
        #expect(try await eventually(store, room) { $0.members == 0 } == PresenceCount())

        // A report replaces what a node said (a Redis outage lost some joins and leaves):
        // exactly the members given, in exactly those rooms; other nodes keep theirs.
        store.join(room, user: "erin", node: "n3")
        store.join("match:stale", user: "frank", node: "n1")
        _ = try await eventually(store, "match:stale") { $0.members == 1 }
        try await store.report(node: "n1", rooms: [room: PresenceTally(anonymous: 2, users: ["gina": 2])])
        let reported = try await eventually(store, room) { $0.members == 5 }
        #expect(reported == PresenceCount(members: 5, anonymous: 2, users: ["erin", "gina"]))
        #expect(try await eventually(store, "match:stale") { $0.members == 0 } == PresenceCount())
        try await store.report(node: "n1", rooms: [:])
        try await store.expire(node: "n3")
        #expect(try await eventually(store, room) { $0.members == 0 } == PresenceCount())
    }
}

@Suite("Cluster ports: the in-process adapters pass the contracts the Redis adapters will")
struct ClusterPortTests {
    @Test("LocalRoomBus: three nodes of one in-process network")
    func localRoomBus() async throws {
        try await RoomBusContract.check { count in
            let network = LocalRoomBus.Network()
            return (0..<count).map { _ in LocalRoomBus(network: network) }
        }
    }

    @Test("LocalPresenceStore")
    func localPresence() async throws {
        try await PresenceStoreContract.check { LocalPresenceStore() }
    }
}

@Suite("A room message between nodes")
struct RoomMessageWireTests {
    @Test("every delivery round-trips with its origin; truncated bytes, an unknown kind and a sequence below 1 are not a message")
    func wire() {
        let frame = ByteBuffer(string: #"{"type":"event"}"#)
        for delivery: RoomMessage.Delivery in [.reliable(seq: 7), .reliable(seq: nil), .lossy(key: "frame"), .revoked(user: "bob")] {
            let bytes = RoomMessage(room: "clan:k1", delivery: delivery, frame: frame).wire(origin: "node-a")
            let read = RoomMessage.fromWire(bytes)
            #expect(read?.origin == "node-a" && read?.message.room == "clan:k1" && read?.message.delivery == delivery)
            #expect(read.map { String(buffer: $0.message.frame) } == #"{"type":"event"}"#)
            // Cut anywhere inside the header: refused, never a trap.
            for length in 0..<(bytes.readableBytes - frame.readableBytes) {
                #expect(RoomMessage.fromWire(bytes.getSlice(at: 0, length: length)!) == nil, "\(delivery) cut at \(length)")
            }
        }
        for seq: Int64 in [0, -1, .min] {
            #expect(RoomMessage.fromWire(RoomMessage(room: "match:1", delivery: .reliable(seq: seq), frame: frame).wire(origin: "x")) == nil)
        }
        var unknown = RoomMessage(room: "match:1", delivery: .reliable(seq: nil), frame: frame).wire(origin: "x")
        unknown.setInteger(UInt8(9), at: 1)
        #expect(RoomMessage.fromWire(unknown) == nil)
    }
}
