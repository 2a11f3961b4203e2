public import DojoCluster
import DojoRuntime
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// This node's membership of the platform (docs/cluster.md): with Redis, it registers itself at
/// start, renews every `cluster.heartbeat.ms`, and leaves at a graceful stop; a node that dies
/// drops out when its record expires (`cluster.node.ttl.ms`). Without Redis the node is alone.
public final class Membership: Service, Sendable {
    let membership: RedisMembership?
    let configuration: ClusterConfiguration
    let host: String
    let logger: Logger
    let startedAt = Int64(Date().timeIntervalSince1970 * 1_000)
    private let connections = Mutex<@Sendable () -> Int>({ 0 })
    private let port = Mutex<Int?>(nil)
    private let lastHeartbeat = Mutex<ContinuousClock.Instant?>(nil)
    /// Until when this node's claims on actors hold (``standing``), and how many times they lapsed.
    private let standingState = Mutex<(validUntil: ContinuousClock.Instant?, generation: Int)>((nil, 1))
    /// What the platform keeps of a node that is gone (its presence), removed by whichever node
    /// sees its heartbeat lapse, and by the node itself when it starts (a previous run of the same
    /// id may have died).
    private let forget = Mutex<@Sendable (String) async throws -> Void>({ _ in })

    public init(redis: RedisClient?, configuration: ClusterConfiguration, host: String, logger: Logger) {
        membership = redis.map { RedisMembership(redis: $0, cluster: configuration.name, ttl: configuration.ttl) }
        self.configuration = configuration
        self.host = host
        self.logger = logger
    }

    /// Where the node's load (its open connections) is read from, once the gateway exists.
    public func countConnections(_ count: @escaping @Sendable () -> Int) { connections.withLock { $0 = count } }

    /// How to forget a node that is gone.
    public func forgetting(_ action: @escaping @Sendable (String) async throws -> Void) { forget.withLock { $0 = action } }

    /// The port the server listens on, once it does (the default advertised address uses it).
    public func listening(on port: Int) { self.port.withLock { $0 = port } }

    /// This node as the others see it.
    func info(now: Date = Date()) -> NodeInfo {
        let advertise = configuration.advertise ?? "http://\(host):\(port.withLock { $0 } ?? 0)"
        return NodeInfo(
            id: configuration.nodeID,
            advertise: advertise,
            startedAt: startedAt,
            heartbeatAt: Int64(now.timeIntervalSince1970 * 1_000),
            connections: connections.withLock { $0 }(),
            version: DojoPoolVersion.current
        )
    }

    public func run() async throws {
        guard let membership else {
            try? await gracefulShutdown()
            return
        }
        // The first record waits for the port the server listens on (the advertised address has it).
        while configuration.advertise == nil, port.withLock({ $0 }) == nil {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
        do {
            try await forget.withLock { $0 }(configuration.nodeID)
            try await beat()
        } catch {
            logger.warning("cluster: the first heartbeat failed", metadata: ["error": "\(error)"])
        }
        await pollUntilShutdown(every: configuration.heartbeat, logger: logger, problem: "cluster: the heartbeat cannot be written to Redis") {
            try await self.beat()
        }
        do {
            try await membership.leave(configuration.nodeID)
            logger.info("cluster: left", metadata: ["cluster.node": "\(configuration.nodeID)"])
        } catch {
            logger.warning("cluster: could not leave (the record expires by itself)", metadata: ["error": "\(error)"])
        }
    }

    private func beat() async throws {
        guard let membership else { return }
        // The record lives `ttl` from when Redis wrote it, which is after this instant: counting
        // from here (less a heartbeat) the node gives its actors up before the others may take them.
        let sent = ContinuousClock.now
        try await membership.heartbeat(info(), now: Date())
        lastHeartbeat.withLock { $0 = .now }
        let margin = configuration.heartbeat
        standingState.withLock { state in
            if let until = state.validUntil, until <= .now { state.generation += 1 }
            state.validUntil = sent + configuration.ttl - margin
        }
        let forget = self.forget.withLock { $0 }
        for gone in try await membership.sweep(now: Date()) where gone != configuration.nodeID {
            try await forget(gone)
            logger.info("cluster: a node's heartbeat lapsed; its presence is removed", metadata: ["cluster.gone": "\(gone)"])
        }
    }

    /// This node's standing for its actors (``EntityOwnership/generation()``): a number that
    /// changes after every lapse, or nil while the last heartbeat is too old for the claims to
    /// hold (the node then serves no actor: another may have taken them).
    func standing() -> Int? {
        standingState.withLock { state in
            guard let until = state.validUntil, until > .now else { return nil }
            return state.generation
        }
    }

    /// The platform's nodes (only this one when alone).
    func nodes() async throws -> [NodeInfo] {
        guard let membership else { return [info()] }
        return try await membership.nodes(now: Date())
    }

    /// The readiness check of the membership: the last heartbeat is younger than the TTL. Nil when
    /// the node runs alone.
    func check() -> Readiness.Check? {
        guard membership != nil else { return nil }
        guard let last = lastHeartbeat.withLock({ $0 }) else {
            return Readiness.Check(name: "cluster", ok: false, detail: "no heartbeat written to Redis yet")
        }
        let age = ContinuousClock.now - last
        // Not ready as soon as the node stops trusting its own claims (TTL less a heartbeat),
        // which is before the others stop listing it.
        guard standing() != nil else {
            return Readiness.Check(
                name: "cluster",
                ok: false,
                detail: "no heartbeat for \(age): this node's claims on actors have lapsed (the others take them over)"
            )
        }
        return Readiness.Check(name: "cluster", ok: true, detail: "node \(configuration.nodeID) of \(configuration.name)")
    }
}
