import DojoCluster
import Foundation
import HTTPTypes
import Logging
import Synchronization

/// A rate limit per key (a client IP): in-process, or shared by every node through Redis when
/// `redis.url` is set. A Redis that does not answer falls back to the in-process limit (logged),
/// so an outage of Redis never locks everyone out.
struct SharedRateLimiter: Sendable {
    let local: RateLimiter
    let redis: RedisRateLimiter?
    let logger: Logger

    init(limit: Int, period: TimeInterval, redis: RedisClient?, prefix: String, logger: Logger) {
        local = RateLimiter(limit: limit, period: period)
        self.redis = redis.map { RedisRateLimiter(redis: $0, limit: limit, period: period, prefix: prefix) }
        self.logger = logger
    }

    /// Counts a request for `key`; throws 429 `rate_limited` with the seconds to wait when over.
    func check(_ key: String) async throws(APIError) {
        guard let redis else { return try local.check(key) }
        let wait: TimeInterval?
        do {
            wait = try await redis.check(key)
        } catch {
            logger.warning("shared rate limit unavailable; limiting in-process", metadata: ["error": "\(error)"])
            return try local.check(key)
        }
        if let wait {
            throw APIError(
                .tooManyRequests,
                code: "rate_limited",
                message: "too many requests; retry later",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
    }
}

/// An in-process rate limiter (GCRA: one timestamp per key, no timer). `limit` requests per
/// `period`, with bursts of up to `limit`. Refusals say when to retry.
final class RateLimiter: Sendable {
    let limit: Int
    let period: TimeInterval
    private let entries = Mutex<[String: TimeInterval]>([:])
    /// Keys kept at most; past it the expired ones are dropped.
    private static let maximumKeys = 100_000

    init(limit: Int, period: TimeInterval) {
        precondition(limit > 0 && period > 0)
        self.limit = limit
        self.period = period
    }

    /// Counts a request for `key`; throws 429 `rate_limited` with the seconds to wait when over.
    func check(_ key: String, now: TimeInterval = Date().timeIntervalSince1970) throws(APIError) {
        let interval = period / Double(limit)
        let burst = period - interval
        let wait: TimeInterval? = entries.withLock { entries in
            let tat = max(entries[key] ?? now, now)
            if tat - now > burst { return tat - now - burst }
            entries[key] = tat + interval
            if entries.count > Self.maximumKeys { entries = entries.filter { $0.value > now } }
            return nil
        }
        if let wait {
            throw APIError(
                .tooManyRequests,
                code: "rate_limited",
                message: "too many requests; retry later",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
    }
}

/// Slows down guessing one account's password: after `freeFailures` failed logins in a row, each
/// further attempt must wait 2, 4, 8 … seconds (at most 15 minutes) after the previous failure;
/// a success clears the count.
///
/// Keyed by the account (``key(userID:login:)``): the username and the email of one account share
/// their failures, so no spelling gets free guesses. While an account must wait, its login answers
/// exactly as a wrong password does (401 `auth.invalid_credentials`, no `Retry-After`, the same
/// work): whether a login is locked tells nothing about which spellings name one account.
public final class LoginBackoff: Sendable {
    private struct Failures {
        var count: Int
        var last: TimeInterval
    }

    let freeFailures: Int
    private let failures = Mutex<[String: Failures]>([:])

    /// The first wait after the free failures is twice this, then it doubles (2, 4, 8 … s by default).
    let baseSeconds: Double

    public init(freeFailures: Int = 5, baseSeconds: Double = 1) {
        self.freeFailures = freeFailures
        self.baseSeconds = baseSeconds
    }

    /// The backoff key of a login: the account's id when the login names one, else the login as
    /// typed (normalised), so guesses at an unknown login are slowed down the same way.
    static func key(userID: String?, login: String) -> String {
        userID.map { "user:" + $0 } ?? "login:" + login
    }

    /// The seconds `key` must still wait, nil when it may try now.
    func wait(_ key: String, now: TimeInterval = Date().timeIntervalSince1970) -> TimeInterval? {
        failures.withLock { failures in
            guard let entry = failures[key], entry.count >= freeFailures else { return nil }
            let delay = min(900, baseSeconds * pow(2, Double(entry.count - freeFailures + 1)))
            let remaining = entry.last + delay - now
            return remaining > 0 ? remaining : nil
        }
    }

    func failed(_ login: String, now: TimeInterval = Date().timeIntervalSince1970) {
        failures.withLock { failures in
            failures[login, default: Failures(count: 0, last: now)].count += 1
            failures[login]?.last = now
            if failures.count > 100_000 { failures = failures.filter { now - $0.value.last < 900 } }
        }
    }

    func succeeded(_ login: String) {
        _ = failures.withLock { $0.removeValue(forKey: login) }
    }
}
