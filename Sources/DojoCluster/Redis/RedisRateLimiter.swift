public import Foundation

/// A rate limit shared by every node: GCRA (one timestamp per key, no timer) run atomically in
/// Redis by a Lua script, on Redis's own clock. `limit` requests per `period`, bursts of up to
/// `limit`. Keys expire when idle.
public struct RedisRateLimiter: Sendable {
    public let redis: RedisClient
    public let limit: Int
    public let period: TimeInterval
    public let prefix: String

    public init(redis: RedisClient, limit: Int, period: TimeInterval, prefix: String) {
        precondition(limit > 0 && period > 0)
        self.redis = redis
        self.limit = limit
        self.period = period
        self.prefix = prefix
    }

    /// The script: returns 0 and records the request when it is allowed, else the milliseconds to
    /// wait (nothing recorded).
    static let script = """
        local interval = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local wait = tat - now - burst
        if wait > 0 then return wait end
        redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now) + 1000)
        return 0
        """

    /// Counts a request for `key`: nil when allowed, else the seconds to wait.
    public func check(_ key: String) async throws -> TimeInterval? {
        let interval = period * 1000 / Double(limit)
        let burst = period * 1000 - interval
        let reply = try await redis.command(["EVAL", Self.script, "1", prefix + key, String(Int(interval.rounded(.up))), String(Int(burst))])
        guard case .integer(let wait) = reply else { throw RedisError(message: "unexpected rate-limit reply \(reply)") }
        return wait > 0 ? Double(wait) / 1000 : nil
    }
}
