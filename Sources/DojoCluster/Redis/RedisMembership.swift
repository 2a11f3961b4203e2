public import Foundation

/// One node of the platform as the others see it.
public struct NodeInfo: Sendable, Codable, Equatable {
    /// `cluster.node.id`.
    public var id: String
    /// Where other nodes reach it (`cluster.advertise`).
    public var advertise: String
    /// When it started and when it last renewed its heartbeat, in Unix milliseconds.
    public var startedAt: Int64
    public var heartbeatAt: Int64
    /// Its load: open WebSocket connections.
    public var connections: Int
    public var version: String

    public init(id: String, advertise: String, startedAt: Int64, heartbeatAt: Int64, connections: Int, version: String) {
        self.id = id
        self.advertise = advertise
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.connections = connections
        self.version = version
    }
}

/// The platform's nodes, in Redis: each node's record under `<cluster>:node:<id>`, which expires
/// unless the node renews it within `ttl`, and the set `<cluster>:nodes` of ids scored by when
/// their record expires (so a listing needs no `KEYS` scan, and a node that died without leaving
/// drops out of it within `ttl`).
public struct RedisMembership: Sendable {
    let redis: RedisClient
    let prefix: String
    /// How long a node stays listed without a heartbeat.
    public let ttl: Duration

    public init(redis: RedisClient, cluster: String, ttl: Duration) {
        self.redis = redis
        prefix = cluster + ":"
        self.ttl = ttl
    }

    var milliseconds: Int64 { ttl.components.seconds * 1_000 + ttl.components.attoseconds / 1_000_000_000_000_000 }

    /// Registers or renews the node.
    public func heartbeat(_ node: NodeInfo, now: Date) async throws {
        let record = String(decoding: try JSONEncoder().encode(node), as: UTF8.self)
        let expiry = Int64(now.timeIntervalSince1970 * 1_000) + milliseconds
        _ = try await redis.command(["SET", prefix + "node:" + node.id, record, "PX", String(milliseconds)])
        _ = try await redis.command(["ZADD", prefix + "nodes", String(expiry), node.id])
    }

    /// Removes the node at once (a graceful stop).
    public func leave(_ id: String) async throws {
        _ = try await redis.command(["DEL", prefix + "node:" + id])
        _ = try await redis.command(["ZREM", prefix + "nodes", id])
    }

    /// Takes the nodes whose heartbeat has lapsed off the list and returns their ids (for their
    /// presence to be expired). Two nodes sweeping at once may both see the same id: what follows
    /// must be idempotent.
    public func sweep(now: Date) async throws -> [String] {
        let nowMillis = String(Int64(now.timeIntervalSince1970 * 1_000))
        guard case .array(let members) = try await redis.command(["ZRANGEBYSCORE", prefix + "nodes", "-inf", nowMillis]) else { return [] }
        let ids = members.compactMap { member -> String? in if case .string(let id) = member { id } else { nil } }
        if !ids.isEmpty { _ = try await redis.command(["ZREM", prefix + "nodes"] + ids) }
        return ids
    }

    /// The nodes whose heartbeat has not lapsed, by id.
    public func nodes(now: Date) async throws -> [NodeInfo] {
        let nowMillis = String(Int64(now.timeIntervalSince1970 * 1_000))
        guard case .array(let members) = try await redis.command(["ZRANGEBYSCORE", prefix + "nodes", "(" + nowMillis, "+inf"]) else { return [] }
        let ids = members.compactMap { member -> String? in if case .string(let id) = member { id } else { nil } }
        guard !ids.isEmpty else { return [] }
        guard case .array(let records) = try await redis.command(["MGET"] + ids.map { prefix + "node:" + $0 }) else { return [] }
        return records.compactMap { record -> NodeInfo? in
            guard case .string(let json) = record else { return nil }
            return try? JSONDecoder().decode(NodeInfo.self, from: Data(json.utf8))
        }
        .sorted { $0.id < $1.id }
    }
}
