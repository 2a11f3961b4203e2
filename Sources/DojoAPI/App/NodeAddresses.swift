import DojoCluster
import Synchronization

/// The platform's nodes' advertised addresses, read from the membership at most once a second:
/// what the forwarder and the Socket.IO relay send to.
final class NodeAddresses: Sendable {
    let membership: Membership
    private let listing = Mutex<(at: ContinuousClock.Instant, byID: [String: String])?>(nil)

    init(membership: Membership) { self.membership = membership }

    /// The node's address. A node missing from a listing younger than a second is read again
    /// only with `rereadOnMiss` (a node that just joined); without it, a made-up node id costs no
    /// read of Redis.
    func address(of node: String, rereadOnMiss: Bool) async throws -> String? {
        if let cached = listing.withLock({ $0 }), ContinuousClock.now - cached.at < .seconds(1) {
            if let address = cached.byID[node] { return address }
            if !rereadOnMiss { return nil }
        }
        let nodes = try await membership.nodes()
        let byID = Dictionary(nodes.map { ($0.id, $0.advertise) }, uniquingKeysWith: { first, _ in first })
        listing.withLock { $0 = (.now, byID) }
        return byID[node]
    }

    /// Read the membership again next time (an address that failed may have changed).
    func forget() { listing.withLock { $0 = nil } }
}
