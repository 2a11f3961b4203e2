import DojoCluster
import Foundation
import Hummingbird

/// `GET /v1/cluster` (ADMIN): the platform's nodes as Redis lists them, this one marked.
struct ClusterRoutes: Sendable {
    let authentication: Authentication
    let membership: Membership

    /// A node's record, and whether it is this one.
    struct Node: Encodable {
        var info: NodeInfo
        var this: Bool

        enum CodingKeys: String, CodingKey { case this }

        func encode(to encoder: any Encoder) throws {
            try info.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(this, forKey: .this)
        }
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
                    nodes: nodes.map { Node(info: $0, this: $0.id == configuration.nodeID) }
                )
            )
        }
    }
}
