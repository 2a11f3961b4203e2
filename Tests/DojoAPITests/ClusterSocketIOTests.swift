import DojoTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Socket.IO's long-polling transport behind a load balancer without sticky sessions: every
/// request of a session may reach any node, and the node that does not hold the session relays it
/// to the one that does (docs/cluster.md, "Socket.IO long-polling").
@Suite("Cluster: Socket.IO long-polling through any node", .serialized)
struct ClusterSocketIOTests {
    static func call(_ port: Int, _ method: String, _ query: String, body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/socket.io/?\(query)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("text/plain;charset=UTF-8", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Polls through the given nodes in turn until a poll's packets contain `text`; returns every
    /// packet read.
    static func poll(_ ports: [Int], _ session: String, until text: String) async throws -> String {
        var read = ""
        for round in 0..<20 {
            let (status, body) = try await call(ports[round % ports.count], "GET", session)
            #expect(status == 200, "\(body)")
            read += body + "\u{1E}"
            if read.contains(text) { return read }
        }
        Issue.record("no poll brought \(text): \(read.suffix(2_000))")
        return read
    }

    @Test(
        "a session opened on A is connected, subscribed and polled through B and C: its packets reach it, the match's events come back through either, the end through B ends it on A; a session of no listed node is unknown"
    )
    func pollingThroughAnyNode() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["bob"], in: storage)
            let (cluster, env) = try await ClusterOwnershipTests.platform(storage, redis: redis, ttlMilliseconds: 5_000)
            let nodes = try await ClusterOwnershipTests.start(["a", "b", "c"], cluster: cluster, env: env)
            defer { for node in nodes { node.stop() } }
            let (a, b, c) = (nodes[0].port, nodes[1].port, nodes[2].port)
            let client = Client(port: a, key: CrashTests.serviceKey)
            let (alice, token) = try await GatewayCrashTests.register(client, "alice")
            let created = try await client.post(
                "/v1/matches",
                user: alice,
                ["id": "m1", "playerA": alice, "playerB": "bob", "gameType": "9-ball", "raceTo": 9]
            )
            #expect(created.status == 201, "\(created.json)")

            // The handshake on A: the session id names A.
            let (opened, open) = try await Self.call(a, "GET", "EIO=4&transport=polling")
            #expect(opened == 200 && open.hasPrefix(#"0{"sid":""#), "\(open)")
            let sid = try #require(open.split(separator: "\"").dropFirst(3).first.map(String.init))
            #expect(sid.hasSuffix("~" + cluster + "-a"), "\(sid)")
            let session = "EIO=4&transport=polling&sid=\(sid)"

            // CONNECT through B, its answer polled through C.
            #expect(try await Self.call(b, "POST", session, body: #"40{"token":"\#(token)"}"#) == (200, "ok"))
            let connected = try await Self.poll([c], session, until: #"42["hello""#)
            #expect(connected.contains(#"40{"sid":""#), "\(connected)")

            // Subscribe through C, acknowledged in a poll through B.
            #expect(try await Self.call(c, "POST", session, body: #"421["subscribe",{"room":"match:m1"}]"#) == (200, "ok"))
            let subscribed = try await Self.poll([b], session, until: "431[")
            #expect(subscribed.contains(#""room":"match:m1""#), "\(subscribed)")

            // The match is commanded on A; its events come back through B and C.
            let started = try await client.post("/v1/matches/m1/start", user: alice, [:])
            #expect(started.status == 200, "\(started.json)")
            let rack = try await client.post("/v1/matches/m1/racks", user: alice, ["winner": "A"])
            #expect(rack.status == 200, "\(rack.json)")
            let events = try await Self.poll([b, c], session, until: #""seq":4"#)
            #expect(events.contains(#""seq":3"#) && events.contains(#""seq":4"#), "\(events)")
            #expect(try await ClusterOwnershipTests.metric("dojo_socketio_relayed_total", port: b) >= 2)
            #expect(try await ClusterOwnershipTests.metric("dojo_socketio_relayed_total", port: c) >= 2)

            // A session id that names no listed node, or a node that does not hold it: unknown.
            #expect(try await Self.call(b, "GET", "EIO=4&transport=polling&sid=x-y~\(cluster)-gone").1.contains(#""code":1"#))
            #expect(try await Self.call(b, "GET", "EIO=4&transport=polling&sid=x-y~\(cluster)-c").1.contains(#""code":1"#))

            // A request the gateway refuses anyway is refused where it lands, not relayed.
            let relayedBefore = try await ClusterOwnershipTests.metric("dojo_socketio_relayed_total", port: b)
            #expect(try await Self.call(b, "GET", "EIO=3&transport=polling&sid=\(sid)").1.contains(#""code":5"#))
            #expect(try await Self.call(b, "GET", "EIO=4&transport=flash&sid=\(sid)").1.contains(#""code":0"#))
            #expect(try await ClusterOwnershipTests.metric("dojo_socketio_relayed_total", port: b) == relayedBefore)

            // Engine.IO's close through B ends the session on A.
            #expect(try await Self.call(b, "POST", session, body: "1") == (200, "ok"))
            var ended = false
            for _ in 0..<50 where !ended {
                let (_, body) = try await Self.call(a, "GET", session)
                ended = body.contains(#""code":1"#)
                if !ended { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ended, "the session outlived its close")
        }
    }
}
