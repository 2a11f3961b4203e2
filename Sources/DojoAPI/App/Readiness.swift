public import DojoCluster
public import DojoStorage

/// Readiness: the storage answers, every known migration is applied, and Redis answers when it is
/// configured (and the node's heartbeat in it is fresh). Each check has its own timeout, so a hung dependency makes `/readyz` slow by at most
/// that long, never forever.
public struct Readiness: Sendable {
    let storage: any Storage
    let redis: RedisClient?
    let timeout: Duration
    /// The node's membership of the platform (a check only with Redis).
    var membership: Membership?

    public init(storage: any Storage, redis: RedisClient?, timeout: Duration, membership: Membership? = nil) {
        self.storage = storage
        self.redis = redis
        self.timeout = timeout
        self.membership = membership
    }

    /// The outcome of one check.
    struct Check: Sendable {
        var name: String
        var ok: Bool
        var detail: String
    }

    func run() async -> [Check] {
        async let storageCheck = check("storage") {
            try await storage.checkReachable()
            return "\(storage.backend.rawValue) reachable"
        }
        async let migrationCheck = check("migrations") {
            let applied = try await storage.appliedMigrations()
            let known = Migration.all.map(\.descriptor)
            guard applied == known else {
                throw ReadinessFailure("\(applied.count) of \(known.count) migrations applied; run dojopool migrate")
            }
            return "\(applied.count) applied"
        }
        var checks = await [storageCheck, migrationCheck]
        if let redis {
            checks.append(
                await check("redis") {
                    try await redis.ping()
                    return "reachable"
                }
            )
        }
        if let cluster = membership?.check() { checks.append(cluster) }
        return checks
    }

    private func check(_ name: String, _ body: @escaping @Sendable () async throws -> String) async -> Check {
        do {
            let detail = try await withTimeout(timeout, body)
            return Check(name: name, ok: true, detail: detail)
        } catch let failure as ReadinessFailure {
            return Check(name: name, ok: false, detail: failure.message)
        } catch let error as StorageError {
            return Check(name: name, ok: false, detail: error.message)
        } catch let error as RedisError {
            return Check(name: name, ok: false, detail: error.message)
        } catch is TimeoutError {
            return Check(name: name, ok: false, detail: "no answer within \(timeout)")
        } catch {
            return Check(name: name, ok: false, detail: "failed")
        }
    }
}

struct ReadinessFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
