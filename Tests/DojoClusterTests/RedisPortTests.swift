import DojoCluster
import DojoTesting
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The Redis adapters of the cluster's ports pass the same contracts as the in-process ones,
/// against a real Redis; the pipelined client keeps order and survives a lost connection.
@Suite("Cluster ports on Redis")
struct RedisPortTests {
    /// The number of subscribers Redis counts on `channel`.
    static func subscribers(_ redis: RedisClient, _ channel: String) async throws -> Int64 {
        guard case .array(let reply) = try await redis.command(["PUBSUB", "NUMSUB", channel]), reply.count == 2,
            case .integer(let count) = reply[1]
        else { return -1 }
        return count
    }

    @Test("RedisRoomBus: three nodes, each with its own connections, sharing one Redis")
    func roomBus() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: url)
        let cluster = "test-" + TestServices.uniqueID()
        var subscribers: [RedisSubscriber] = []
        var buses: [RedisRoomBus] = []
        try await RoomBusContract.check(
            skipsUnfollowed: false,
            settle: {
                for _ in 0..<200 where !subscribers.allSatisfy(\.isSettled) { try await Task.sleep(for: .milliseconds(10)) }
                let settled = subscribers.allSatisfy(\.isSettled)
                #expect(settled)
            },
            makeNodes: { count in
                (0..<count).map { index in
                    let subscriber = RedisSubscriber(endpoint: endpoint)
                    subscribers.append(subscriber)
                    let bus = RedisRoomBus(publisher: RedisClient(endpoint: endpoint), subscriber: subscriber, cluster: cluster, node: "n\(index)")
                    buses.append(bus)
                    return bus
                }
            }
        )
        for subscriber in subscribers { subscriber.close() }
        let malformed = buses.map(\.traffic.malformed)
        #expect(malformed == [0, 0, 0])
    }

    @Test("RedisPresenceStore")
    func presence() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let cluster = "test-" + TestServices.uniqueID()
        try await PresenceStoreContract.check { RedisPresenceStore(redis: RedisClient(endpoint: try RedisEndpoint(url: url)), cluster: cluster) }
    }

    @Test("the pipelined client: 20,000 commands in flight at once come back in order, each to its caller")
    func pipelining() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let redis = RedisClient(endpoint: try RedisEndpoint(url: url))
        let key = "dojo:test:" + TestServices.uniqueID()
        // Fire-and-forget increments, then waited ones: every INCR is answered with its own count.
        for _ in 0..<10_000 { redis.send(["INCR", .text(key)]) }
        let answers = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<10_000 {
                group.addTask {
                    guard case .integer(let value) = try await redis.command(["INCR", .text(key)]) else { return -1 }
                    return value
                }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(answers) == Set(10_001...20_000))
        #expect(try await redis.command(["GET", .text(key)]) == .string("20000"))
        // Binary-safe arguments and an error reply in the middle of a pipeline.
        let bytes = ByteBuffer(bytes: [0, 255, 13, 10, 36, 42])
        #expect(try await redis.command(["SET", .text(key), .bytes(bytes)]) == .status("OK"))
        await #expect(throws: RedisError.self) { try await redis.command(["INCR", .text(key)]) }
        #expect(try await redis.command(["STRLEN", .text(key)]) == .integer(6))
        _ = try await redis.command(["DEL", .text(key)])
        #expect(redis.failureCount == 1)
    }

    @Test("a lost connection fails what was waiting, the next command reconnects, and a subscriber resubscribes and says so")
    func reconnects() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: url)
        let name = "dojo-test-" + TestServices.uniqueID()
        let redis = RedisClient(endpoint: endpoint, name: name)
        let subscriber = RedisSubscriber(endpoint: endpoint, name: name)
        let received = Mutex<[String]>([])
        let reconnected = Mutex(0)
        subscriber.onReconnect { reconnected.withLock { $0 += 1 } }
        let channel = name + ":room"
        subscriber.subscribe(channel) { bytes in received.withLock { $0.append(String(buffer: bytes)) } }
        let admin = RedisClient(endpoint: endpoint)
        func waitForSubscriber() async throws {
            for _ in 0..<200 where try await Self.subscribers(admin, channel) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await waitForSubscriber()
        // Its first connection opened after the channel was followed: publications before it
        // could have been missed, so it says so too, once Redis confirmed the channel.
        for _ in 0..<200 where reconnected.withLock({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(reconnected.withLock { $0 } == 1)
        _ = try await admin.command(["PUBLISH", .text(channel), "one"])

        // Redis drops both of this test's connections (as a restart would; other tests' stay).
        #expect(try await redis.command(["PING"]) == .status("PONG"))
        guard case .string(let list) = try await admin.command(["CLIENT", "LIST"]) else { return }
        let ids = list.split(separator: "\n").filter { $0.contains(" name=\(name) ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) }
        }
        #expect(ids.count == 2)
        for id in ids { _ = try await admin.command(["CLIENT", "KILL", "ID", .text(id)]) }
        try await Task.sleep(for: .milliseconds(100))
        // The command client reconnects on its next command.
        #expect(try await redis.command(["PING"]) == .status("PONG"))
        // The subscriber came back by itself, subscribed again, and said so.
        try await waitForSubscriber()
        for _ in 0..<200 where reconnected.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(reconnected.withLock { $0 } == 2)
        _ = try await admin.command(["PUBLISH", .text(channel), "two"])
        for _ in 0..<200 where received.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(received.withLock { $0 } == ["one", "two"])
        subscriber.close()
    }

    @Test("a subscriber cut off from Redis for seconds (its connections refused) comes back by itself, says so, and receives again")
    func longOutage() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: url)
        let proxy = try await TCPProxy.start(targetHost: endpoint.host, targetPort: endpoint.port)
        var through = endpoint
        through.host = "127.0.0.1"
        through.port = proxy.port
        let name = "dojo-test-" + TestServices.uniqueID()
        let subscriber = RedisSubscriber(endpoint: through, name: name)
        let received = Mutex<[String]>([])
        let reconnected = Mutex(0)
        subscriber.onReconnect { reconnected.withLock { $0 += 1 } }
        let channel = name + ":room"
        subscriber.subscribe(channel) { bytes in received.withLock { $0.append(String(buffer: bytes)) } }
        let admin = RedisClient(endpoint: endpoint)
        func waitForSubscriber() async throws {
            for _ in 0..<500 where try await Self.subscribers(admin, channel) < 1 { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await waitForSubscriber()
        proxy.cut()
        try await Task.sleep(for: .seconds(3))
        #expect(try await Self.subscribers(admin, channel) == 0)
        proxy.restore()
        try await waitForSubscriber()
        #expect(try await Self.subscribers(admin, channel) == 1)
        #expect(reconnected.withLock { $0 } >= 1)
        _ = try await admin.command(["PUBLISH", .text(channel), "after"])
        for _ in 0..<300 where received.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(received.withLock { $0 } == ["after"])
        subscriber.close()
        try await proxy.stop()
    }

    @Test("a Redis that does not answer fails the command after the timeout instead of hanging")
    func silentRedis() async throws {
        // A listening socket that accepts and never answers.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        let redis = RedisClient(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:\(port)"), timeout: .milliseconds(1_500))
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await redis.command(["PING"]) }
        // A timeout either way: of the answer, or (a loaded machine's event loops late) of the connection.
        let message = error?.message ?? ""
        #expect(message.contains("did not answer") || message.contains("Connect timeout"), "\(message)")
        // (13.4 s was seen once under the whole suite's load with the 1.5 s timeout.)
        #expect(ContinuousClock.now - started < .seconds(30), "a timeout, not a hang (the bound leaves room for a loaded machine)")
        try await server.close()
    }
}
