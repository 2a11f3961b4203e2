import DojoCluster
import DojoDomain
import DojoRuntime
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import DojoGateway

/// A bus that loses the reliable messages whose sequence numbers it is told to (what Redis
/// pub/sub does to a node whose subscription is down).
final class LosingBus: RoomBus {
    let inner: LocalRoomBus
    let lose = Mutex<Set<Int64>>([])
    let loseRevocations = Mutex(false)

    init(network: LocalRoomBus.Network = LocalRoomBus.Network()) { inner = LocalRoomBus(network: network) }

    func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void) {
        inner.subscribe(room) { [self] message in
            if case .reliable(let seq?) = message.delivery, self.lose.withLock({ $0.contains(seq) }) { return }
            if case .revoked = message.delivery, self.loseRevocations.withLock({ $0 }) { return }
            deliver(message)
        }
    }

    func unsubscribe(_ room: String) { inner.unsubscribe(room) }
    func publish(_ room: String, encode: () -> RoomMessage) { inner.publish(room, encode: encode) }
}

@Suite("Gaps between nodes: never silent")
struct GapRepairTests {
    @Test(
        "messages lost on the way are read back from the log: the subscriber sees every sequence number once, in order; a room's recovery ring never serves across a hole"
    )
    func lostMessagesAreRepaired() async throws {
        let bus = LosingBus()
        try await withTestGateway(bus: bus) { gateway in
            let context = CommandContext(principal: Principal(userID: "alice", role: .user), now: Timestamp(Date()))
            let matches = gateway.runtime.matches
            _ = try await matches.send(
                "g1",
                .create(Match.Terms(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 9)),
                context: context
            )
            let loop = TestLoop()
            let (connection, transport) = try await ConnectionTests.connection(gateway, on: loop)
            try await loop.on { connection.receive(ConnectionTests.message(#"{"type":"subscribe","room":"match:g1","id":"s"}"#)) }
            try await loop.wait { transport.types().contains("snapshot") }
            let snapshotSeq = try await loop.on { transport.messages.first { $0["type"] as? String == "snapshot" }?["seq"] as? Int }
            #expect(snapshotSeq == 1)

            // Sequences 3 and 4 never arrive through the bus.
            bus.lose.withLock { $0 = [3, 4] }
            var last = try await matches.send("g1", .start, context: context).sequence
            for rack in 0..<4 {
                last = try await matches.send("g1", .recordRack(winner: rack % 2 == 0 ? .a : .b, breaker: nil), context: context).sequence
            }
            let head = Int(last)
            #expect(head > 5)
            func seqs(_ transport: RecordingTransport) -> [Int] {
                transport.messages.filter { $0["type"] as? String == "event" }.compactMap { $0["seq"] as? Int }
            }
            try await loop.wait { seqs(transport).last == head }
            let (seen, errors) = try await loop.on { (seqs(transport), transport.types().filter { $0 == "error" }.count) }
            #expect(seen == Array(2...head))
            #expect(errors == 0)

            // A second subscriber recovering from seq 2 is not served from the ring (which has a
            // hole) but from the log.
            let (late, lateTransport) = try await ConnectionTests.connection(gateway, on: loop)
            try await loop.on {
                late.receive(ConnectionTests.message(#"{"type":"subscribe","room":"match:g1","id":"r","since":{"seq":2,"epoch":"log"}}"#))
            }
            try await loop.wait { seqs(lateTransport).last == head }
            #expect(try await loop.on { seqs(lateTransport) } == Array(3...head))
            try await loop.on {
                connection.transportEnded()
                late.transportEnded()
            }
            try await loop.shutdown()
        }
    }

    @Test("a gap among the messages held during a catch-up is filled too: the messages past it wait for the repair")
    func gapWhileCatchingUp() async throws {
        try await withTestGateway { gateway in
            let loop = TestLoop()
            let (connection, transport) = try await ConnectionTests.connection(gateway, on: loop)
            let repaired = Mutex(0)
            let (pending, written) = try await loop.on {
                transport.frames.removeAll()
                let room = Room(name: RoomName("match:h1")!, logBacked: true, recoveryCapacity: 8) { _ in repaired.withLock { $0 += 1 } }
                let shard = RoomShard(hub: connection.hub)
                let subscription = Subscription(connection: connection, room: room, shard: shard, user: nil, lastSeq: 0, catchingUp: true)
                func event(_ seq: Int64) -> ByteBuffer {
                    Messages.event(room: "match:h1", seq: seq, epoch: "log", eventType: "x", event: Array("{}".utf8))
                }
                for seq: Int64 in [3, 5, 6] { subscription.offer(seq, event(seq)) }
                // The catch-up read the log through 3; 4 never arrived.
                subscription.lastSeq = 2
                subscription.finishCatchUp()
                return (subscription.pending?.map(\.seq), transport.messages.compactMap { $0["seq"] as? Int })
            }
            #expect(repaired.withLock { $0 } == 1)
            #expect(pending == [5, 6], "the messages past the gap wait")
            #expect(written == [3])
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }
}

@Suite("Access revoked on every node")
struct CrossNodeRevocationTests {
    @Test("a member who leaves a clan on one node is revoked through the bus, and a revocation from another node ends the user's subscriptions here")
    func revocationCrossesNodes() async throws {
        let network = LocalRoomBus.Network()
        let remote = LocalRoomBus(network: network)
        try await withTestGateway(bus: LocalRoomBus(network: network), users: ["alice", "bob", "carol"]) { gateway in
            // Sending: bob leaves clan k1 through this node's runtime; the other node hears it.
            let heard = Mutex<[RoomMessage.Delivery]>([])
            remote.subscribe("clan:k1") { message in heard.withLock { $0.append(message.delivery) } }
            let now = Timestamp(Date())
            func as_(_ user: String) -> CommandContext { CommandContext(principal: .user(user), now: now) }
            _ = try await gateway.runtime.sendClan("k1", .create(name: "Breakers", description: nil), context: as_("alice"), commandID: nil)
            _ = try await gateway.runtime.sendClan("k1", .invite(userID: "bob"), context: as_("alice"), commandID: nil)
            _ = try await gateway.runtime.sendClan("k1", .accept(userID: "bob"), context: as_("bob"), commandID: nil)
            _ = try await gateway.runtime.sendClan("k1", .leave, context: as_("bob"), commandID: nil)
            for _ in 0..<200 where !heard.withLock({ $0.contains(.revoked(user: "bob")) }) { try await Task.sleep(for: .milliseconds(5)) }
            #expect(heard.withLock { $0.contains(.revoked(user: "bob")) })

            // Receiving: carol follows match:r1 here; another node says she may no longer.
            let context = as_("alice")
            _ = try await gateway.runtime.matches.send(
                "r1",
                .create(Match.Terms(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 3)),
                context: context
            )
            let loop = TestLoop()
            let (connection, transport) = try await loop.on {
                let connection = Connection(
                    gateway: gateway,
                    hub: gateway.hub(for: loop.loop),
                    identity: .user(.user("carol"), expiresAt: Date().addingTimeInterval(3_600)),
                    upgradeRefusal: nil,
                    logger: connectionTestLogger
                )
                let transport = RecordingTransport()
                connection.start(transport: transport, writable: true)
                connection.receive(ConnectionTests.message(#"{"type":"subscribe","room":"match:r1","id":"s"}"#))
                return (connection, transport)
            }
            try await loop.wait { transport.types().contains("snapshot") }
            remote.publish("match:r1") { RoomMessage(room: "match:r1", delivery: .revoked(user: "carol"), frame: ByteBuffer()) }
            try await loop.wait { connection.subscriptions["match:r1"] == nil }
            let (revoked, followed) = try await loop.on { (transport.messages.last, connection.subscriptions["match:r1"] != nil) }
            #expect(revoked?["code"] as? String == "room.access_revoked" && revoked?["room"] as? String == "match:r1")
            #expect(!followed)
            try await loop.on { connection.transportEnded() }
            try await loop.shutdown()
        }
    }
}

extension CrossNodeRevocationTests {
    @Test(
        "a revocation lost on the way: when the bus comes back the subscribers of private rooms are admitted again, and the one who left is revoked"
    )
    func lostRevocation() async throws {
        let bus = LosingBus()
        try await withTestGateway(bus: bus, users: ["alice", "bob"]) { gateway in
            let now = Timestamp(Date())
            func as_(_ user: String) -> CommandContext { CommandContext(principal: .user(user), now: now) }
            _ = try await gateway.runtime.sendClan("k2", .create(name: "Cushions", description: nil), context: as_("alice"), commandID: nil)
            _ = try await gateway.runtime.sendClan("k2", .invite(userID: "bob"), context: as_("alice"), commandID: nil)
            _ = try await gateway.runtime.sendClan("k2", .accept(userID: "bob"), context: as_("bob"), commandID: nil)
            let loop = TestLoop()
            func member(_ user: String) async throws -> (Connection, RecordingTransport) {
                try await loop.on {
                    let connection = Connection(
                        gateway: gateway,
                        hub: gateway.hub(for: loop.loop),
                        identity: .user(.user(user), expiresAt: Date().addingTimeInterval(3_600)),
                        upgradeRefusal: nil,
                        logger: connectionTestLogger
                    )
                    let transport = RecordingTransport()
                    connection.start(transport: transport, writable: true)
                    connection.receive(ConnectionTests.message(#"{"type":"subscribe","room":"clan:k2","id":"s"}"#))
                    return (connection, transport)
                }
            }
            let (bob, bobSees) = try await member("bob")
            let (alice, aliceSees) = try await member("alice")
            try await loop.wait { bobSees.types().contains("snapshot") && aliceSees.types().contains("snapshot") }
            bus.loseRevocations.withLock { $0 = true }
            _ = try await gateway.runtime.sendClan("k2", .leave, context: as_("bob"), commandID: nil)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await loop.on { bob.subscriptions["clan:k2"] != nil }, "the revocation was lost")

            gateway.resynchronize()
            #expect(try await loop.wait { bob.subscriptions["clan:k2"] == nil })
            let (lastCode, aliceFollows) = try await loop.on {
                (bobSees.messages.last?["code"] as? String, alice.subscriptions["clan:k2"] != nil)
            }
            #expect(lastCode == "room.access_revoked")
            #expect(aliceFollows, "a member stays")
            try await loop.on {
                bob.transportEnded()
                alice.transportEnded()
            }
            try await loop.shutdown()
        }
    }
}
