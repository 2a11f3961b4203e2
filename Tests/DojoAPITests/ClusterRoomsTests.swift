import DojoCluster
import DojoStorage
import DojoTesting
import Foundation
import Testing

/// Three real `dojopool serve` processes sharing one Postgres and one Redis (docs/cluster.md):
/// rooms and presence span the nodes.
@Suite("Cluster rooms: three real nodes sharing Postgres and Redis")
struct ClusterRoomsTests {
    /// Reads `socket`'s events of `room` until `last`, returning their sequence numbers.
    static func events(_ socket: TestWebSocket, through last: Int) async throws -> [Int] {
        var seqs: [Int] = []
        while seqs.last ?? 0 < last {
            let message = try await socket.next(type: "event", timeout: .seconds(15))
            seqs.append(message["seq"] as? Int ?? -1)
        }
        return seqs
    }

    /// Waits for a presence message that counts `members`.
    static func presence(_ socket: TestWebSocket, count members: Int) async throws -> Bool {
        for _ in 0..<50 {
            let message = try await socket.next(type: "presence", timeout: .seconds(10))
            if message["count"] as? Int == members { return true }
        }
        return false
    }

    @Test(
        "a match commanded on node A is watched on A, B and C: every event in order with the same numbers on each; presence counts every node; a node whose Redis subscription drops recovers what it missed"
    )
    func threeNodes() async throws {
        guard let redisURL = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            var environment = try await CrashTests.serverEnvironment(storage: storage, backend: .postgres)
            let cluster = "test-" + TestServices.uniqueID()
            environment["DOJO_REDIS_URL"] = redisURL
            environment["DOJO_CLUSTER_NAME"] = cluster
            var nodes: [ServerChild] = []
            defer { for node in nodes { node.stop() } }
            for name in ["a", "b", "c"] {
                var node = environment
                node["DOJO_CLUSTER_NODE_ID"] = cluster + "-" + name
                nodes.append(try await ServerChild.start(environment: node))
            }
            let a = Client(port: nodes[0].port, key: CrashTests.serviceKey)
            let created = try await a.post(
                "/v1/matches",
                user: "alice",
                ["id": "m1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 99]
            )
            #expect(created.status == 201, "\(created.json)")

            // A spectator on each node, each starting from the match's snapshot.
            var spectators: [TestWebSocket] = []
            for node in nodes {
                let socket = try await TestWebSocket.connect(port: node.port)
                #expect(try await socket.next()["type"] as? String == "hello")
                try await socket.send(json: ["type": "subscribe", "room": "match:m1", "id": "s"])
                #expect(try await socket.next(type: "ack")["seq"] as? Int == 1)
                #expect(try await socket.next(type: "snapshot")["seq"] as? Int == 1)
                spectators.append(socket)
            }
            // Presence is the platform's: three members, seen on every node.
            for socket in spectators { #expect(try await Self.presence(socket, count: 3)) }

            // Commands through A reach every node's spectator, in order, numbered alike.
            var last = 1
            let started = try await a.post("/v1/matches/m1/start", user: "alice", [:])
            #expect(started.status == 200, "\(started.json)")
            last = started.json["sequence"] as? Int ?? -1
            for rack in 0..<10 {
                let reply = try await a.post("/v1/matches/m1/racks", user: "alice", ["winner": rack % 2 == 0 ? "A" : "B"])
                #expect(reply.status == 200, "\(reply.json)")
                last = reply.json["sequence"] as? Int ?? -1
            }
            for socket in spectators { #expect(try await Self.events(socket, through: last) == Array(2...last)) }

            // Redis drops node B's subscriber connection while A keeps committing: B subscribes
            // again, and its spectator still gets every event once, in order (read back from the
            // log, never a gap).
            let admin = RedisClient(endpoint: try RedisEndpoint(url: redisURL))
            guard case .string(let clients) = try await admin.command(["CLIENT", "LIST"]) else { return }
            let subscriberID = clients.split(separator: "\n").first { $0.contains(" name=\(cluster)-b:subscriber ") }
                .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) } }
            let id = try #require(subscriberID)
            _ = try await admin.command(["CLIENT", "KILL", "ID", .text(id)])
            let before = last
            for rack in 0..<10 {
                let reply = try await a.post("/v1/matches/m1/racks", user: "alice", ["winner": rack % 2 == 0 ? "B" : "A"])
                #expect(reply.status == 200, "\(reply.json)")
                last = reply.json["sequence"] as? Int ?? -1
            }
            for socket in spectators { #expect(try await Self.events(socket, through: last) == Array((before + 1)...last)) }

            // A spectator that leaves node C is no longer counted on A.
            try await spectators[2].close()
            #expect(try await Self.presence(spectators[0], count: 2))
        }
    }
}
