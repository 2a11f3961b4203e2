import AsyncHTTPClient
import Crypto
public import DojoCluster
public import DojoDomain
public import DojoRuntime
public import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle

/// The runtime's ownership port over Redis: claims in ``RedisOwnership``, valid while this node's
/// membership is (``Membership/standing()``).
public struct ClusterOwnership: EntityOwnership {
    let owners: RedisOwnership
    let membership: Membership
    let node: String
    let logger: Logger

    public init(owners: RedisOwnership, membership: Membership, node: String, logger: Logger) {
        self.owners = owners
        self.membership = membership
        self.node = node
        self.logger = logger
    }

    public func claim(_ key: EntityKey) async throws -> OwnershipClaim {
        switch try await owners.claim(key.description, node: node) {
        case .owned: .owned
        case .ownedBy(let other, _): .ownedBy(node: other)
        }
    }

    public func release(_ key: EntityKey) async {
        do {
            try await owners.release(key.description, node: node)
        } catch {
            // The claim stays until this node's membership lapses; another node forwards meanwhile.
            logger.warning("cluster: a claim could not be released", metadata: ["entity": "\(key)", "error": "\(error)"])
        }
    }

    public func generation() -> Int? { membership.standing() }
}

/// The node-to-node transport: a command or read for an actor another node owns, as
/// `POST <advertise>/internal/v1/forward/{kind}/{id}` with the nodes' shared secret, over
/// async-http-client's pool of kept-alive HTTP/1.1 connections (docs/cluster.md, "Forwarding").
/// The answer is relayed as the owner gave it.
public final class NodeForwarder: CommandForwarder, Service {
    static let secretHeader = HTTPField.Name("X-Dojo-Cluster-Secret")!

    let client: HTTPClient
    let addresses: NodeAddresses
    let secret: String
    /// How long a forwarded command may take: a node's lease and a second. Waiting longer is
    /// pointless (a stalled owner has lost its actors by then; a resumed one refuses what it
    /// finds in its queue), and the client's retry with the same command id is safe.
    let timeout: TimeAmount

    public init(membership: Membership, secret: String, lease: Duration) {
        let milliseconds = min(
            15_000,
            max(2_000, Int64(lease.components.seconds * 1_000 + lease.components.attoseconds / 1_000_000_000_000_000) + 1_000)
        )
        timeout = .milliseconds(milliseconds)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.timeout = .init(connect: .seconds(2), read: timeout)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        addresses = NodeAddresses(membership: membership)
        self.secret = secret
    }

    public func forward(to node: String, kind: EntityKind, id: String, request: Data) async throws -> Data {
        let base: String
        do {
            guard let address = try await addresses.address(of: node, rereadOnMiss: true) else {
                throw ForwardingError(notDeliveredTo: node, reason: "it is not listed")
            }
            base = address
        } catch let error as ForwardingError {
            throw error
        } catch {
            throw ForwardingError(notDeliveredTo: node, reason: "its address could not be read: \(error)")
        }
        var outgoing = HTTPClientRequest(url: base + "/internal/v1/forward/\(kind.rawValue)/\(id)")
        outgoing.method = .POST
        outgoing.headers.add(name: "Content-Type", value: "application/json")
        outgoing.headers.add(name: Self.secretHeader.rawName, value: secret)
        outgoing.body = .bytes(ByteBuffer(bytes: request))
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else {
                throw RuntimeError(.unavailable, "node \(node) answered \(response.status.code) to a forwarded command")
            }
            return Data(body.readableBytesView)
        } catch let error as RuntimeError {
            throw error
        } catch {
            // Its address may have changed (a restart): read the membership again next time.
            addresses.forget()
            // No connection: the request surely did not reach it. Anything after sending (no
            // answer in time, the connection lost): the outcome is unknown.
            let refused = (error as? IOError)?.errnoCode == ECONNREFUSED || "\(error)".contains("Connection refused")
            if error is NIOConnectionError || (error as? HTTPClientError) == .connectTimeout || refused {
                throw ForwardingError(notDeliveredTo: node, reason: "\(error)")
            }
            throw RuntimeError(
                .unavailable,
                "node \(node) gave no answer (\(error)): the command may or may not have been recorded; retry with the same command id"
            )
        }
    }

    /// Keeps the pool until graceful shutdown, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}

/// `POST /internal/v1/forward/{kind}/{id}`: a command or read forwarded by another node, answered
/// by this node's actor (never forwarded again). Only with the nodes' shared secret; not in the
/// OpenAPI document (it is not the API's), not rate-limited (the nodes' traffic).
struct InternalRoutes {
    let runtime: Runtime
    let secret: String

    func register(on router: Router<AppRequestContext>) {
        router.post("/internal/v1/forward/:kind/:id") { request, context in
            // Compared in constant time: the MACs of the given and the expected secret.
            let key = SymmetricKey(data: Array(secret.utf8))
            let expected = HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: key)
            let given = Array((request.headers[NodeForwarder.secretHeader] ?? "").utf8)
            guard HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: given, using: key) else {
                throw APIError(.unauthorized, code: "cluster.unauthorized", message: "forwarding is between the platform's nodes")
            }
            guard let kind = EntityKind(rawValue: try context.parameters.require("kind")), let registration = runtime.registration(for: kind) else {
                throw APIError(.notFound, code: "not_found", message: "no such kind")
            }
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: 16 << 20)
            let answer = await registration.answerForwarded(id, Data(body.readableBytesView))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
    }
}
