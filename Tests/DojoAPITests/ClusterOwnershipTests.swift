import DojoCluster
import DojoStorage
import DojoTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One owner per actor across real `dojopool serve` processes sharing Postgres and Redis, the
/// others forwarding to it (docs/cluster.md): REST and socket commands through any node, a race to
/// activate, an owner killed with -9 under load, an owner paused past its lease.
@Suite("Cluster: one owner per actor, forwarding, failover", .serialized)
struct ClusterOwnershipTests {
    static let secret = "cluster-test-secret-0123456789abcdef"

    /// The environment of a platform of nodes on a fresh Postgres database and the test Redis.
    static func platform(_ storage: any Storage, redis: String, ttlMilliseconds: Int = 1_500) async throws -> (cluster: String, env: [String: String])
    {
        var environment = try await CrashTests.serverEnvironment(storage: storage, backend: .postgres)
        let cluster = "own-" + TestServices.uniqueID()
        environment["DOJO_REDIS_URL"] = redis
        environment["DOJO_CLUSTER_NAME"] = cluster
        environment["DOJO_CLUSTER_SECRET"] = secret
        environment["DOJO_CLUSTER_HEARTBEAT_MS"] = String(ttlMilliseconds / 5)
        environment["DOJO_CLUSTER_NODE_TTL_MS"] = String(ttlMilliseconds)
        // One platform, one set of signing keys: a token from one node is good on the others.
        environment["DOJO_AUTH_KEYS_PATH"] = try TestServices.temporaryDirectory() + "/keys.json"
        return (cluster, environment)
    }

    static func start(_ names: [String], cluster: String, env: [String: String]) async throws -> [ServerChild] {
        var nodes: [ServerChild] = []
        for name in names {
            var node = env
            node["DOJO_CLUSTER_NODE_ID"] = cluster + "-" + name
            nodes.append(try await ready(try await ServerChild.start(environment: node)))
        }
        return nodes
    }

    /// Waits for the node's /readyz (its first heartbeat written: before it, it serves no actor).
    static func ready(_ node: ServerChild) async throws -> ServerChild {
        for _ in 0..<200 {
            if try await Client(port: node.port, key: CrashTests.serviceKey).get("/readyz").status == 200 { return node }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("node on \(node.port) never became ready")
        return node
    }

    /// The recorded holder of an entity.
    static func holder(_ entity: String, cluster: String, redis url: String) async throws -> String? {
        let redis = RedisClient(endpoint: try RedisEndpoint(url: url))
        defer { redis.close() }
        return try await RedisOwnership(redis: redis, cluster: cluster).holder(entity)?.node
    }

    static func metric(_ name: String, port: Int) async throws -> Double {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix(name) }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test(
        "a match created through A is commanded through B over REST and through C over a socket, and read through C: A owns it, the others forward, the answers (and idempotent repeats) are the owner's"
    )
    func forwarding() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 5_000)
            let nodes = try await Self.start(["a", "b", "c"], cluster: cluster, env: env)
            defer { for node in nodes { node.stop() } }
            let (a, b, c) = (
                Client(port: nodes[0].port, key: CrashTests.serviceKey), Client(port: nodes[1].port, key: CrashTests.serviceKey),
                Client(port: nodes[2].port, key: CrashTests.serviceKey)
            )
            let (alice, token) = try await GatewayCrashTests.register(a, "alice")
            let created = try await a.post(
                "/v1/matches",
                user: alice,
                ["id": "m1", "playerA": alice, "playerB": "bob", "gameType": "9-ball", "raceTo": 9]
            )
            #expect(created.status == 201, "\(created.json)")
            #expect(try await Self.holder("match:m1", cluster: cluster, redis: redis) == cluster + "-a")

            // REST through B: forwarded to A; the answer is A's; a repeat of a command id is A's duplicate.
            let startedB = try await b.post("/v1/matches/m1/start", user: alice, [:])
            #expect(startedB.status == 200, "\(startedB.json)")
            let rack = try await b.post("/v1/matches/m1/racks", user: alice, ["winner": "A"], commandID: "rack-1")
            #expect(rack.status == 200 && rack.json["sequence"] as? Int == 4, "\(rack.json)")
            let again = try await b.post("/v1/matches/m1/racks", user: alice, ["winner": "A"], commandID: "rack-1")
            #expect(again.json["duplicate"] as? Bool == true && again.json["sequence"] as? Int == 4, "\(again.json)")
            // A refusal comes back with the owner's code.
            let refused = try await b.post("/v1/matches/m1/start", user: alice, [:])
            #expect(
                refused.status == 409 && (refused.json["error"] as? [String: Any])?["code"] as? String == "match.already_started",
                "\(refused.json)"
            )

            // A socket command through C, and a read through C.
            let socket = try await TestWebSocket.connect(port: nodes[2].port, headers: [("Authorization", "Bearer \(token)")])
            _ = try await socket.next()
            try await socket.send(json: ["type": "command", "room": "match:m1", "id": 1, "command": ["type": "commentary", "text": "via C"]])
            let ack = try await socket.next(type: "ack")
            #expect(ack["sequence"] as? Int == 5, "\(ack)")
            let read = try await c.get("/v1/matches/m1")
            #expect((read.json["match"] as? [String: Any])?["scoreA"] as? Int == 1, "\(read.json)")
            #expect(try await Self.holder("match:m1", cluster: cluster, redis: redis) == cluster + "-a")
            #expect(try await Self.metric("dojo_forwarded_total", port: nodes[1].port) >= 4)
            #expect(try await Self.metric("dojo_forwarded_total", port: nodes[2].port) >= 2)
            #expect(try await Self.metric("dojo_actor_fenced_total", port: nodes[0].port) == 0)

            // The forwarding route takes only the nodes' secret.
            var forged = URLRequest(url: URL(string: "http://127.0.0.1:\(nodes[0].port)/internal/v1/forward/match/m1")!)
            forged.httpMethod = "POST"
            forged.httpBody = Data("{}".utf8)
            forged.setValue("not-the-secret", forHTTPHeaderField: "X-Dojo-Cluster-Secret")
            let (_, response) = try await URLSession.shared.data(for: forged)
            #expect((response as? HTTPURLResponse)?.statusCode == 401)
        }
    }

    @Test(
        "two nodes racing to create and activate the same match: one owner; the other forwards, and its create is refused as the owner refuses a second"
    )
    func race() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 5_000)
            let nodes = try await Self.start(["a", "b"], cluster: cluster, env: env)
            defer { for node in nodes { node.stop() } }
            for round in 0..<5 {
                let id = "race\(round)"
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for node in nodes {
                        group.addTask {
                            try await Client(port: node.port, key: CrashTests.serviceKey).post(
                                "/v1/matches",
                                user: "alice",
                                ["id": id, "playerA": "alice", "playerB": "bob", "gameType": "8-ball", "raceTo": 3]
                            ).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.sorted() == [201, 409], "round \(round): \(statuses)")
                let holder = try await Self.holder("match:\(id)", cluster: cluster, redis: redis)
                #expect(holder == cluster + "-a" || holder == cluster + "-b")
            }
            let fenced =
                try await Self.metric("dojo_actor_fenced_total", port: nodes[0].port) + Self.metric("dojo_actor_fenced_total", port: nodes[1].port)
            #expect(fenced == 0)
        }
    }

    /// Sends racks through `client` with idempotency keys, retrying each until it is answered;
    /// returns the acknowledged keys with their sequences and when each was answered.
    static func load(
        _ client: Client,
        match: String,
        user: String,
        count: Int,
        from first: Int,
        pause: Duration = .zero,
        within: Duration = .seconds(600)
    ) async throws -> [(key: String, seq: Int, at: ContinuousClock.Instant)] {
        var acknowledged: [(String, Int, ContinuousClock.Instant)] = []
        let deadline = ContinuousClock.now + within
        for index in first..<(first + count) {
            let key = "load-\(match)-\(index)"
            for _ in 0..<400 where ContinuousClock.now < deadline {
                let reply = try? await client.post("/v1/matches/\(match)/racks", user: user, ["winner": index % 2 == 0 ? "A" : "B"], commandID: key)
                if let reply, reply.status == 200, let seq = reply.json["sequence"] as? Int {
                    acknowledged.append((key, seq, .now))
                    if pause > .zero { try await Task.sleep(for: pause) }
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return acknowledged
    }

    /// The answer to a subscribe: its ack or its error, within 30 s (other messages, presence,
    /// do not extend the wait).
    static func answer(_ socket: TestWebSocket) async throws -> [String: Any] {
        let until = ContinuousClock.now + .seconds(30)
        while true {
            let message = try await socket.next(timeout: max(until - .now, .milliseconds(1)))
            if ["ack", "error"].contains(message["type"] as? String ?? "") { return message }
        }
    }

    /// Every rack event of `match`, read through `client` (the event's command id: its key).
    static func rackKeys(_ client: Client, match: String) async throws -> [String] {
        var keys: [String] = []
        var after = 0
        while true {
            let page = try await client.get("/v1/matches/\(match)/events?after=\(after)&limit=500")
            let events = page.json["events"] as? [[String: Any]] ?? []
            for event in events where event["type"] as? String == "match.rack_ended" { keys.append("\(event["seq"] ?? "")") }
            guard let last = events.last?["seq"] as? Int, events.count == 500 else { break }
            after = last
        }
        return keys
    }

    @Test(
        "kill -9 of the owner under load: commands through the other nodes resume once its lease lapses; every acknowledged command is in the log exactly once"
    )
    func failover() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 3_000)
            let nodes = try await Self.start(["a", "b", "c"], cluster: cluster, env: env)
            defer { for node in nodes { node.stop() } }
            let a = Client(port: nodes[0].port, key: CrashTests.serviceKey)
            let b = Client(port: nodes[1].port, key: CrashTests.serviceKey)
            let c = Client(port: nodes[2].port, key: CrashTests.serviceKey)
            #expect(
                try await a.post(
                    "/v1/matches",
                    user: "alice",
                    ["id": "f1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 99]
                ).status == 201
            )
            #expect(try await a.post("/v1/matches/f1/start", user: "alice", [:]).status == 200)
            // Load through B and C (forwarded to A); A is killed after the first acknowledgements.
            let loadB = Task { try await Self.load(b, match: "f1", user: "alice", count: 40, from: 0) }
            let loadC = Task { try await Self.load(c, match: "f1", user: "alice", count: 40, from: 1_000) }
            try await Task.sleep(for: .milliseconds(300))
            let killed = ContinuousClock.now
            nodes[0].kill9()
            let acknowledged = try await loadB.value + loadC.value
            #expect(acknowledged.count == 80, "every command was answered in the end")
            // The longest silence between two answers is how long the platform took to take over.
            let times = acknowledged.map(\.at).sorted()
            let pause = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .zero
            print("cluster failover: the longest pause between two answers was \(pause) (kill -9 of the owner, lease 3 s)")
            #expect(pause < .seconds(10))
            #expect(times.contains { $0 > killed + .seconds(1) }, "commands were answered after the owner died")
            let owner = try await Self.holder("match:f1", cluster: cluster, redis: redis)
            #expect(owner == cluster + "-b" || owner == cluster + "-c")
            // Exactly once: as many rack events as acknowledged commands, each acknowledged sequence distinct.
            let racks = try await Self.rackKeys(c, match: "f1")
            #expect(racks.count == 80, "rack events in the log: \(racks.count)")
            #expect(Set(acknowledged.map(\.seq)).count == 80)
        }
    }

    @Test("an owner paused past its lease (SIGSTOP) loses its actors: another node takes them; resumed (SIGCONT), it forwards instead of appending")
    func pausedOwner() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 3_000)
            let nodes = try await Self.start(["a", "b"], cluster: cluster, env: env)
            defer {
                nodes[0].child.signal(SIGCONT)
                for node in nodes { node.stop() }
            }
            let a = Client(port: nodes[0].port, key: CrashTests.serviceKey)
            let b = Client(port: nodes[1].port, key: CrashTests.serviceKey)
            #expect(
                try await a.post(
                    "/v1/matches",
                    user: "alice",
                    ["id": "p1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 99]
                ).status == 201
            )
            #expect(try await a.post("/v1/matches/p1/start", user: "alice", [:]).status == 200)
            nodes[0].child.signal(SIGSTOP)
            // Through B: refused while A's lease holds, then B takes the match over.
            let throughB = try await Self.load(b, match: "p1", user: "alice", count: 3, from: 0)
            #expect(throughB.count == 3)
            #expect(try await Self.holder("match:p1", cluster: cluster, redis: redis) == cluster + "-b")
            nodes[0].child.signal(SIGCONT)
            // Through A again: A gave its actor up; its commands go to B and land after B's.
            let throughA = try await Self.load(a, match: "p1", user: "alice", count: 3, from: 100)
            #expect(throughA.count == 3)
            // A rack recorded whole is two events (its start and its end): the sequence moves by two.
            let lastB = try #require(throughB.map(\.seq).max())
            #expect(throughA.map(\.seq) == [lastB + 2, lastB + 4, lastB + 6], "\(throughB.map(\.seq)) then \(throughA.map(\.seq))")
            #expect(try await Self.holder("match:p1", cluster: cluster, redis: redis) == cluster + "-b")
            let racks = try await Self.rackKeys(b, match: "p1")
            #expect(racks.count == 6)
        }
    }

    @Test(
        "Redis gone mid-load for longer than a lease, from the owner alone or from every node: the owner stops serving, a node takes the match once it can; no acknowledged command lost or doubled; a spectator recovers every event",
        .timeLimit(.minutes(3)),
        arguments: [false, true]
    )
    func redisOutage(everyNode: Bool) async throws {
        // `everyNode`: both nodes reach Redis through the proxy, so nobody can claim the match
        // while it is cut, and both must come back on their own. Before ec7c311 about one run in
        // three under load never did: a Redis client whose opening write was lost with its
        // connection stayed "connecting" for good (RedisClientOutageTests).
        guard let redis = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: redis)
        let proxy = try await TCPProxy.start(targetHost: endpoint.host, targetPort: endpoint.port)
        defer { Task { try? await proxy.stop() } }
        let replaced = redis.replacingOccurrences(of: "\(endpoint.host):\(endpoint.port)", with: "127.0.0.1:\(proxy.port)")
        let proxied = replaced.contains(String(proxy.port)) ? replaced : "redis://127.0.0.1:\(proxy.port)"
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 3_000)
            var envA = env
            envA["DOJO_REDIS_URL"] = proxied
            envA["DOJO_CLUSTER_NODE_ID"] = cluster + "-a"
            // Info: its log is in the failure when the platform does not come back.
            envA["DOJO_LOG_LEVEL"] = "info"
            let a = try await Self.ready(try await ServerChild.start(environment: envA))
            defer { a.stop() }
            var envB = env
            if everyNode { envB["DOJO_REDIS_URL"] = proxied }
            let nodes = try await Self.start(["b"], cluster: cluster, env: envB)
            defer { nodes[0].stop() }
            let clientA = Client(port: a.port, key: CrashTests.serviceKey)
            let clientB = Client(port: nodes[0].port, key: CrashTests.serviceKey)
            // A 503 is an answer to retry (the API's rule): the proxied node's first claim may meet
            // its Redis connection still opening.
            let body: [String: any Sendable] = ["id": "r1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 99]
            var created = try await clientA.post("/v1/matches", user: "alice", body)
            for _ in 0..<50 where created.status == 503 {
                try await Task.sleep(for: .milliseconds(100))
                created = try await clientA.post("/v1/matches", user: "alice", body)
            }
            #expect(created.status == 201, "\(created.status) \(created.json)")
            #expect(try await clientA.post("/v1/matches/r1/start", user: "alice", [:]).status == 200)
            #expect(try await Self.holder("match:r1", cluster: cluster, redis: redis) == cluster + "-a")

            // A spectator on each node.
            func spectator(_ port: Int) async throws -> TestWebSocket {
                let socket = try await TestWebSocket.connect(port: port)
                _ = try await socket.next(timeout: .seconds(30))
                // `unavailable` is an answer to retry (as for the create above).
                var answer: [String: Any] = [:]
                for _ in 0..<50 {
                    try await socket.send(json: ["type": "subscribe", "room": "match:r1", "id": "s"])
                    answer = try await Self.answer(socket)
                    guard answer["type"] as? String == "error", answer["code"] as? String == "unavailable" else { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try #require(answer["type"] as? String == "ack", "a spectator on \(port) before the cut: \(answer)")
                _ = try await socket.next(type: "snapshot", timeout: .seconds(30))
                return socket
            }
            let onA = try await spectator(a.port)
            let onB = try await spectator(nodes[0].port)

            // Load through B; Redis is cut from A (from both, `everyNode`) for three leases.
            // Paced, so it runs through the whole outage (about 3 s of commands, then the rest).
            let load = Task {
                try await Self.load(clientB, match: "r1", user: "alice", count: 60, from: 0, pause: .milliseconds(50), within: .seconds(60))
            }
            try await Task.sleep(for: .milliseconds(300))
            proxy.cut()
            // A join made while cut off is lost in Redis: a second spectator on A, before A's
            // claims lapse (after that A serves no read either, so a new subscriber is refused
            // with `unavailable`, which a loaded run may meet: either answer will do).
            try await Task.sleep(for: .milliseconds(100))
            let laterOnA = try await TestWebSocket.connect(port: a.port)
            _ = try await laterOnA.next(timeout: .seconds(30))
            try await laterOnA.send(json: ["type": "subscribe", "room": "match:r1", "id": "s"])
            let answer = try await Self.answer(laterOnA)
            if answer["type"] as? String == "error" { #expect(answer["code"] as? String == "unavailable", "\(answer)") }
            try await Task.sleep(for: .milliseconds(4_500))
            proxy.restore()
            let acknowledged = try await load.value
            #expect(acknowledged.count == 60)
            if acknowledged.count < 60 {
                let readiness = (try? await clientA.get("/readyz").json) ?? [:]
                Issue.record(
                    "the platform did not come back: A says \(readiness)\nnode A: \(a.child.standardError.suffix(8_000))\nnode B: \(nodes[0].child.standardError.suffix(4_000))"
                )
                return
            }

            // Exactly once; B holds the match now; nothing stale was appended.
            let racks = try await Self.rackKeys(clientB, match: "r1")
            #expect(racks.count == 60, "rack events in the log: \(racks.count)")
            #expect(Set(acknowledged.map(\.seq)).count == 60)
            // Cut off alone, A lost the match to B; with Redis gone for everyone, whoever claimed it first after.
            let holder = try await Self.holder("match:r1", cluster: cluster, redis: redis)
            #expect(everyNode ? holder == cluster + "-a" || holder == cluster + "-b" : holder == cluster + "-b", "\(holder ?? "none")")
            let last = try #require(acknowledged.map(\.seq).max())
            // A spectator that recovers with `since` through A after the outage gets every event,
            // in order, without a gap: from A's memory, which A's room bus refilled from the log
            // once Redis confirmed its channels again (before that was done on every first
            // connection too, about one run in six under load stopped where A's memory did).
            _ = (onA, laterOnA, onB)
            let recovering = try await TestWebSocket.connect(port: a.port)
            _ = try await recovering.next(timeout: .seconds(30))
            try await recovering.send(json: ["type": "subscribe", "room": "match:r1", "since": ["seq": 2, "epoch": "log"], "id": "r"])
            let recovered = try await Self.answer(recovering)
            #expect(recovered["type"] as? String == "ack", "\(recovered)")
            var seqs: [Int] = []
            // One deadline for all of them (other messages, presence, must not extend it).
            let until = ContinuousClock.now + .seconds(30)
            do {
                while seqs.last ?? 0 < last {
                    let message = try await recovering.next(type: "event", timeout: max(until - .now, .milliseconds(1)))
                    seqs.append(message["seq"] as? Int ?? -1)
                }
            } catch {
                let log = a.child.standardError.suffix(6_000)
                Issue.record("the recovering subscriber stopped at \(seqs.last ?? 0) of \(last): \(error)\nnode A: \(log)")
            }
            #expect(seqs == Array(3...last), "\(seqs)")
        }
    }
}
