import Foundation

/// This node in the platform (`cluster.*`): with `redis.url` set, nodes sharing the Redis and the
/// cluster's name list one another (docs/cluster.md).
public struct ClusterConfiguration: Sendable, Equatable {
    /// The platform's name, the prefix of its keys in Redis.
    public var name = "dojopool"
    /// This node's id: the host's name and a random suffix (one per process) unless configured.
    public var nodeID = ClusterConfiguration.processNodeID
    /// Where other nodes reach this one; nil: `http://<http.host>:<port>`.
    public var advertise: String?
    /// How often the node renews its membership, and how long it stays listed without renewing.
    public var heartbeat: Duration = .seconds(1)
    public var ttl: Duration = .seconds(5)
    /// The secret the nodes share to forward commands to one another (`cluster.secret`, ≥ 32
    /// characters). With Redis and a secret, each actor has one owner on the platform and the
    /// other nodes forward to it; without one, every node runs the actors it is asked for (the
    /// conditional append still refuses a stale one).
    public var secret: String?

    public init() {}

    public static func isValidName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
                    || byte == 0x2E
            }
    }

    static let processNodeID = generatedNodeID()

    static func generatedNodeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let cleaned = String(host.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }.prefix(40))
        return (cleaned.isEmpty ? "node" : cleaned) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}
