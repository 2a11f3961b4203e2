import DojoCluster
import DojoDomain
import DojoRuntime
import Foundation
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import DojoGateway

/// A bus that loses the reliable messages whose sequence numbers it is told to (what Redis
/// pub/sub does to a node whose subscription is down).
final class LosingBus: RoomBus {
    let inner = LocalRoomBus()
    let lose = Mutex<Set<Int64>>([])

    func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void) {
        inner.subscribe(room) { [self] message in
            if case .reliable(let seq?) = message.delivery, self.lose.withLock({ $0.contains(seq) }) { return }
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
            let loop = EmbeddedEventLoop()
            let (connection, transport) = ConnectionTests.connection(gateway, loop: loop)
            connection.receive(ConnectionTests.message(#"{"type":"subscribe","room":"match:g1","id":"s"}"#))
            func run(until condition: () -> Bool) async throws {
                for _ in 0..<500 where !condition() {
                    loop.run()
                    try await Task.sleep(for: .milliseconds(5))
                }
                loop.run()
            }
            try await run { transport.types().contains("snapshot") }
            #expect(transport.messages.first { $0["type"] as? String == "snapshot" }?["seq"] as? Int == 1)

            // Sequences 3 and 4 never arrive through the bus.
            bus.lose.withLock { $0 = [3, 4] }
            var last = try await matches.send("g1", .start, context: context).sequence
            for rack in 0..<4 {
                last = try await matches.send("g1", .recordRack(winner: rack % 2 == 0 ? .a : .b, breaker: nil), context: context).sequence
            }
            let head = Int(last)
            #expect(head > 5)
            func seqs() -> [Int] { transport.messages.filter { $0["type"] as? String == "event" }.compactMap { $0["seq"] as? Int } }
            try await run { seqs().last == head }
            #expect(seqs() == Array(2...head))
            #expect(transport.messages.allSatisfy { $0["type"] as? String != "error" })

            // A second subscriber recovering from seq 2 is not served from the ring (which has a
            // hole) but from the log.
            let (late, lateTransport) = ConnectionTests.connection(gateway, loop: loop)
            late.receive(ConnectionTests.message(#"{"type":"subscribe","room":"match:g1","id":"r","since":{"seq":2,"epoch":"log"}}"#))
            func lateSeqs() -> [Int] { lateTransport.messages.filter { $0["type"] as? String == "event" }.compactMap { $0["seq"] as? Int } }
            try await run { lateSeqs().last == head }
            #expect(lateSeqs() == Array(3...head))
            connection.transportEnded()
            late.transportEnded()
            try await loop.shutdownGracefully()
        }
    }
}
