import DojoCluster
import Foundation
import Hummingbird

/// `GET /v1/cluster` (ADMIN): the platform's nodes as Redis lists them, this one marked.
struct ClusterRoutes: Sendable {
    let authentication: Authentication
    let membership: Membership

    struct Node: Encodable {
        var id: String
        var advertise: String
        var startedAt: Int64
        var heartbeatAt: Int64
        var connections: Int
        var version: String
        var this: Bool
    }

    struct Listing: Encodable {
        var cluster: String
        var mode: String
        var node: String
        var nodes: [Node]
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/cluster") { request, _ in
            _ = try await authentication.admin(request)
            let nodes: [NodeInfo]
            do {
                nodes = try await membership.nodes()
            } catch {
                throw APIError(.serviceUnavailable, code: "unavailable", message: "the cluster's membership cannot be read from Redis")
            }
            let configuration = membership.configuration
            return try Response.json(
                .ok,
                Listing(
                    cluster: configuration.name,
                    mode: membership.membership == nil ? "alone" : "redis",
                    node: configuration.nodeID,
                    nodes: nodes.map {
                        Node(
                            id: $0.id,
                            advertise: $0.advertise,
                            startedAt: $0.startedAt,
                            heartbeatAt: $0.heartbeatAt,
                            connections: $0.connections,
                            version: $0.version,
                            this: $0.id == configuration.nodeID
                        )
                    }
                )
            )
        }
    }
}
