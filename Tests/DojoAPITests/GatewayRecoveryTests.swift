import DojoGateway
import DojoTesting
import Foundation
import Testing

@testable import DojoAPI
@testable import DojoServer

private func commentary(_ h: GatewayHarness, _ text: String) async throws -> Int {
    let answer = try await h.rest("/v1/matches/m1/commands", as: "alice", #"{"type":"commentary","text":"\#(text)"}"#)
    return answer["sequence"] as? Int ?? -1
}

/// Reads events of `room` until `seq` reaches `head`; returns their sequence numbers.
private func events(_ socket: TestWebSocket, through head: Int) async throws -> [Int] {
    var seqs: [Int] = []
    while seqs.last ?? 0 < head {
        let event = try await socket.next(type: "event")
        seqs.append(event["seq"] as? Int ?? -1)
    }
    return seqs
}

@Suite("WebSocket recovery")
struct GatewayRecoveryTests {
    @Test("a reconnect with since gets exactly the missed events: from the room's memory, or from the log once the room is gone")
    func recovery() async throws {
        try await withGateway { h in
            _ = try await h.rest("/v1/matches/m1/start")
            for keepRoomOpen in [true, false] {
                let keeper = keepRoomOpen ? try await h.socket() : nil
                if let keeper { _ = try await h.subscribe(keeper, "match:m1") }
                let spectator = try await h.socket()
                let first = try await h.subscribe(spectator, "match:m1")
                let seen = first["seq"] as! Int
                _ = try await spectator.next(type: "snapshot")
                await spectator.disconnect()
                let head = try await commentary(h, "a") > 0 ? try await commentary(h, "b") : -1

                let back = try await h.socket()
                let ack = try await h.subscribe(back, "match:m1", since: (seen, "log"))
                #expect(ack["recovered"] as? Bool == true, "\(ack)")
                let seqs = try await events(back, through: head)
                #expect(seqs == Array((seen + 1)...head), "keepRoomOpen=\(keepRoomOpen)")
                // Live events follow without a gap.
                let next = try await commentary(h, "c")
                #expect(try await events(back, through: next) == [next])
                await back.disconnect()
                await keeper?.disconnect()
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test("an unknown epoch or a position the log does not have gives a snapshot with recovered false")
    func unrecoverable() async throws {
        try await withGateway { h in
            for since in [(1, "other-epoch"), (99, "log")] {
                let socket = try await h.socket()
                let ack = try await h.subscribe(socket, "match:m1", since: since)
                #expect(ack["recovered"] as? Bool == false, "\(since) → \(ack)")
                let snapshot = try await socket.next(type: "snapshot")
                #expect(snapshot["recovered"] as? Bool == false && snapshot["seq"] as? Int == 1)
                await socket.disconnect()
            }
        }
    }

    @Test("recovery while events keep coming: no gap, no duplicate, across many reconnects")
    func recoveryRace() async throws {
        try await withGateway { h in
            _ = try await h.rest("/v1/matches/m1/start")
            let writer = Task {
                var last = 0
                for index in 0..<80 { last = try await commentary(h, "line \(index)") }
                return last
            }
            var received: [Int] = []
            var since: Int?
            for round in 0..<8 {
                let socket = try await h.socket()
                let ack = try await h.subscribe(socket, "match:m1", since: since.map { ($0, "log") })
                if since == nil {
                    let snapshot = try await socket.next(type: "snapshot")
                    received.append(snapshot["seq"] as! Int)
                } else {
                    #expect(ack["recovered"] as? Bool == true, "round \(round): \(ack)")
                }
                for _ in 0..<Int.random(in: 1...6) {
                    received.append(try await socket.next(type: "event")["seq"] as! Int)
                }
                since = received.last
                await socket.disconnect()
            }
            let head = try await writer.value
            let socket = try await h.socket()
            _ = try await h.subscribe(socket, "match:m1", since: (since!, "log"))
            received += try await events(socket, through: head)
            #expect(received == Array(received.first!...head), "gaps or duplicates: \(received)")
        }
    }

    @Test("bench rooms: reliable messages with an in-memory epoch; recovery from memory, snapshot for an unknown epoch")
    func memoryRooms() async throws {
        try await withGateway({ $0.gateway.benchRooms = true }) { h in
            let keeper = try await h.socket()
            let ack = try await h.subscribe(keeper, "bench:r1")
            let epoch = ack["epoch"] as! String
            #expect(epoch != "log" && ack["seq"] as? Int == 0)
            _ = try await keeper.next(type: "snapshot")
            let publisher = try await h.socket()
            for index in 1...5 { try await publisher.send(json: ["type": "publish", "room": "bench:r1", "data": ["n": index]]) }
            let seqs = try await events(keeper, through: 5)
            #expect(seqs == [1, 2, 3, 4, 5])
            let late = try await h.socket()
            let recovered = try await h.subscribe(late, "bench:r1", since: (2, epoch))
            #expect(recovered["recovered"] as? Bool == true && recovered["missed"] as? Int == 3)
            #expect(try await events(late, through: 5) == [3, 4, 5])
        }
    }
}

@Suite("WebSocket back-pressure and presence")
struct GatewayFlowTests {
    static func unlimited(_ configuration: inout ServerConfiguration) {
        configuration.gateway.benchRooms = true
        configuration.gateway.messagesPerSecond = 1_000_000
        configuration.gateway.messageBurst = 1_000_000
        // A reader paused on purpose answers no ping: under a loaded machine (the whole suite at
        // once) the pause can outlast two heartbeats, which is not what these tests are about.
        configuration.gateway.heartbeatSeconds = 600
    }

    @Test("a stalled reader is closed with 4008 slow_consumer while a healthy one gets every message in order")
    func slowConsumer() async throws {
        try await withGateway({ configuration in
            Self.unlimited(&configuration)
            configuration.gateway.outboundMessages = 256
        }) { h in
            let healthy = try await h.socket()
            _ = try await h.subscribe(healthy, "bench:slow")
            let stalled = try await h.socket(receiveBuffer: 4096)
            _ = try await h.subscribe(stalled, "bench:slow")
            try await stalled.pauseReading(true)
            let publisher = try await h.socket()
            let padding = String(repeating: "x", count: 30_000)
            let received = Locked<[Int]>([])
            let reader = Task {
                while true {
                    let seq = try await healthy.next(type: "event", timeout: .seconds(30))["seq"] as! Int
                    received.withLock { $0.append(seq) }
                }
            }
            var published = 0
            // Publish until the server has dropped the stalled subscriber (a few MB of socket buffers first).
            while h.server.gateway.counts.subscriptions > 1 && published < 3_000 {
                // Keep the healthy reader close behind (its budget must never be what overflows).
                while published - received.withLock({ $0.count }) > 32 { try await Task.sleep(for: .milliseconds(2)) }
                published += 1
                try await publisher.send(json: ["type": "publish", "room": "bench:slow", "data": ["n": published, "p": padding]])
            }
            #expect(h.server.gateway.counts.subscriptions == 1, "the stalled reader was not dropped after \(published) messages")
            try await stalled.pauseReading(false)
            let close = try await stalled.expectClose(timeout: .seconds(20))
            #expect(close.code == 4008 && close.reason.hasPrefix("slow_consumer"), "\(close)")
            let deadline = ContinuousClock.now + .seconds(30)
            while received.withLock({ $0.count }) < published && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            reader.cancel()
            #expect(received.withLock { $0 } == Array(1...published), "the healthy reader got every message in order")
        }
    }

    @Test("lossy frames are conflated: a reader that falls behind gets the newest frame, not the backlog")
    func conflation() async throws {
        try await withGateway({ Self.unlimited(&$0) }) { h in
            let slow = try await h.socket(receiveBuffer: 4096)
            _ = try await h.subscribe(slow, "bench:frames")
            try await slow.pauseReading(true)
            let publisher = try await h.socket()
            let padding = String(repeating: "y", count: 30_000)
            let total = 600
            for index in 1...total {
                try await publisher.send(json: ["type": "publish", "room": "bench:frames", "lossy": true, "data": ["n": index, "p": padding]])
            }
            try await publisher.send(json: ["type": "ping", "id": "done"])
            _ = try await publisher.next(type: "ack")
            try await Task.sleep(for: .milliseconds(200))
            try await slow.pauseReading(false)
            var received: [Int] = []
            while received.last != total {
                let frame = try await slow.next(type: "frame")
                received.append((frame["data"] as? [String: Any])?["n"] as? Int ?? -1)
            }
            #expect(received.count < total / 2, "received \(received.count) of \(total)")
            #expect(received == received.sorted())
        }
    }

    @Test("presence: joins and leaves batched per room, abrupt disconnects included")
    func presence() async throws {
        try await withGateway { h in
            let watcher = try await h.socket()
            _ = try await h.subscribe(watcher, "match:m1")
            let alice = try await h.socket(as: "alice")
            let ack = try await h.subscribe(alice, "match:m1")
            #expect(ack["count"] as? Int == 2)
            let anonymous = try await h.socket()
            _ = try await h.subscribe(anonymous, "match:m1")
            var joined: Set<String> = []
            var count = 0
            var anonymousCount = 0
            while !(joined.contains("alice") && count == 3) {
                let presence = try await watcher.next(type: "presence")
                joined.formUnion(presence["joined"] as? [String] ?? [])
                count = presence["count"] as? Int ?? 0
                anonymousCount = presence["anonymous"] as? Int ?? 0
            }
            #expect(anonymousCount == 2)
            await alice.disconnect()  // no close handshake
            var left: [String] = []
            while !left.contains("alice") {
                let presence = try await watcher.next(type: "presence")
                left += presence["left"] as? [String] ?? []
                count = presence["count"] as? Int ?? 0
            }
            #expect(count == 2)
        }
    }

    @Test(
        "presence states: a signed-in member shows typing, the room sees it, clears it; refused for a room not followed, an anonymous member and a state outside the set"
    )
    func presenceStates() async throws {
        try await withGateway { h in
            let watcher = try await h.socket()
            _ = try await h.subscribe(watcher, "match:m1")
            let alice = try await h.socket(as: "alice")
            _ = try await h.subscribe(alice, "match:m1")
            try await alice.send(json: ["type": "presence", "room": "match:m1", "state": "typing", "id": "p1"])
            #expect(try await alice.next(type: "ack")["id"] as? String == "p1")
            var states: [String: Any] = [:]
            while states["alice"] as? String != "typing" {
                states = try await watcher.next(type: "presence")["states"] as? [String: Any] ?? [:]
            }
            try await alice.send(json: ["type": "presence", "room": "match:m1", "state": NSNull(), "id": "p2"])
            _ = try await alice.next(type: "ack")
            while !states.isEmpty { states = try await watcher.next(type: "presence")["states"] as? [String: Any] ?? ["x": 1] }

            try await alice.send(json: ["type": "presence", "room": "match:other", "state": "typing", "id": "p3"])
            #expect(try await alice.next(type: "error")["code"] as? String == "room.not_subscribed")
            try await alice.send(json: ["type": "presence", "room": "match:m1", "state": "dancing", "id": "p4"])
            #expect(try await alice.next(type: "error")["code"] as? String == "presence.invalid_state")
            try await alice.send(json: ["type": "presence", "room": "match:m1", "id": "p5"])
            #expect(try await alice.next(type: "error")["code"] as? String == "invalid_message")
            try await watcher.send(json: ["type": "presence", "room": "match:m1", "state": "away", "id": "p6"])
            #expect(try await watcher.next(type: "error")["code"] as? String == "auth.required")
            // A state of a member who left leaves with them.
            try await alice.send(json: ["type": "presence", "room": "match:m1", "state": "in_voice", "id": "p7"])
            _ = try await alice.next(type: "ack")
            while states["alice"] as? String != "in_voice" { states = try await watcher.next(type: "presence")["states"] as? [String: Any] ?? [:] }
            await alice.disconnect()
            var left: [String] = []
            while !left.contains("alice") {
                let presence = try await watcher.next(type: "presence")
                left += presence["left"] as? [String] ?? []
                states = presence["states"] as? [String: Any] ?? [:]
            }
            #expect(states.isEmpty, "\(states)")
        }
    }

    @Test("a client silent for two heartbeat intervals (a half-open socket) is closed with 4000 and leaves its rooms")
    func heartbeat() async throws {
        try await withGateway({ $0.gateway.heartbeatSeconds = 1 }) { h in
            let silent = try await h.socket()
            _ = try await h.subscribe(silent, "match:m1")
            #expect(h.server.gateway.counts.subscriptions == 1)
            let close = try await silent.expectClose(timeout: .seconds(10))
            #expect(close.code == 4000)
            #expect(h.server.gateway.counts.subscriptions == 0)
        }
    }

    @Test("a client over its message rate gets rate_limited with a retry time, then is closed if it keeps on")
    func rateLimit() async throws {
        try await withGateway({ configuration in
            configuration.gateway.messagesPerSecond = 1
            configuration.gateway.messageBurst = 3
        }) { h in
            let socket = try await h.socket()
            // In one write: however slowly a loaded machine runs them, 20 messages arriving together
            // exceed a burst of 3 refilled at 1 per second.
            try await socket.sendTogether((0..<20).map { #"{"type":"ping","id":\#($0)}"# })
            var acks = 0
            var limited: [String: Any]?
            while limited == nil {
                let message = try await socket.next()
                if message["type"] as? String == "ack" { acks += 1 }
                if message["code"] as? String == "rate_limited" { limited = message }
            }
            #expect(acks < 20)
            #expect((limited?["retryAfterMs"] as? Int ?? 0) > 0)
            // Keep flooding: the server closes the connection (writes may then fail: ignored).
            try? await socket.sendTogether((0..<200).map { #"{"type":"ping","id":\#($0)}"# })
            let close = try await socket.expectClose()
            #expect(close.code == 1008 && close.reason.hasPrefix("rate_limited"))
        }
    }
}
