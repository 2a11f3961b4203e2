import CSodium
import DojoCluster
import DojoTesting
import Foundation
import Testing

@Suite("Redis")
struct RedisTests {
    @Test(
        "URLs parse",
        arguments: [
            ("redis://127.0.0.1", RedisEndpointFields(host: "127.0.0.1", port: 6379, username: nil, password: nil, database: 0)),
            ("redis://:s3cr%40t@cache:6380/3", RedisEndpointFields(host: "cache", port: 6380, username: nil, password: "s3cr@t", database: 3)),
            ("redis://user:pw@h", RedisEndpointFields(host: "h", port: 6379, username: "user", password: "pw", database: 0)),
        ]
    )
    func parses(_ url: String, _ expected: RedisEndpointFields) throws {
        let endpoint = try RedisEndpoint(url: url)
        #expect(RedisEndpointFields(endpoint) == expected)
    }

    @Test("malformed URLs are refused", arguments: ["", "cache:6379", "http://h", "redis://", "redis://h:0", "redis://h/16", "redis://h/x"])
    func refuses(_ url: String) {
        #expect(throws: RedisEndpoint.Invalid.self) { try RedisEndpoint(url: url) }
    }

    @Test("PING, SET and GET against a real Redis; error replies are errors")
    func commands() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let redis = RedisClient(endpoint: try RedisEndpoint(url: url))
        try await redis.ping()
        let key = "dojo:test:" + TestServices.uniqueID()
        #expect(try await redis.command(["SET", key, "ünïcødé value", "EX", "30"]) == .status("OK"))
        #expect(try await redis.command(["GET", key]) == .string("ünïcødé value"))
        #expect(try await redis.command(["DEL", key]) == .integer(1))
        #expect(try await redis.command(["GET", key]) == .null)
        await #expect(throws: RedisError.self) { try await redis.command(["NOSUCHCOMMAND"]) }
        // The connection is still usable after an error reply.
        try await redis.ping()
    }

    @Test("an unreachable Redis is a clear error, not a hang")
    func unreachable() async throws {
        let redis = RedisClient(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"), timeout: .milliseconds(500))
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.message.contains("cannot connect") == true)
    }

    @Test("libsodium links and initialises")
    func sodium() {
        #expect(sodium_init() >= 0)
    }
}

/// `RedisEndpoint`'s fields, for comparison in argument tables.
struct RedisEndpointFields: Equatable, Sendable {
    var host: String
    var port: Int
    var username: String?
    var password: String?
    var database: Int

    init(host: String, port: Int, username: String?, password: String?, database: Int) {
        (self.host, self.port, self.username, self.password, self.database) = (host, port, username, password, database)
    }

    init(_ endpoint: RedisEndpoint) {
        self.init(host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password, database: endpoint.database)
    }
}

@Suite("Redis rate limits")
struct RedisRateLimitTests {
    @Test("GCRA in Redis: the burst passes, the next waits, two limiters share a key, keys are independent")
    func shared() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: url)
        let prefix = "dojo:test:rl:\(TestServices.uniqueID()):"
        // 3 per 600 s: a token every 200 s, which no loaded machine outlasts between four checks
        // (with 3 per 60 s, a full run once took 25 s and got its token back).
        let first = RedisRateLimiter(redis: RedisClient(endpoint: endpoint), limit: 3, period: 600, prefix: prefix)
        let second = RedisRateLimiter(redis: RedisClient(endpoint: endpoint), limit: 3, period: 600, prefix: prefix)
        #expect(try await first.check("ip-a") == nil)
        #expect(try await second.check("ip-a") == nil)
        #expect(try await first.check("ip-a") == nil)
        let wait = try await second.check("ip-a")
        #expect(wait != nil && wait! > 0 && wait! <= 200, "one request per 200 s after the burst: \(String(describing: wait))")
        #expect(try await first.check("ip-b") == nil, "another key has its own budget")
    }
}
