public import Configuration
public import DojoAPI
import Foundation

/// The cluster's keys: `cluster.*`.
extension ClusterConfiguration {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        for (key, value) in [("cluster.name", reader.checkedText("cluster.name")), ("cluster.node.id", reader.checkedText("cluster.node.id"))] {
            guard let value else { continue }
            guard ClusterConfiguration.isValidName(value) else {
                throw ConfigurationError(key: key, message: "1–64 characters of A–Z a–z 0–9 - _ .")
            }
            if key == "cluster.name" { self.name = value } else { self.nodeID = value }
        }
        if let secret = reader.checkedText("cluster.secret", isSecret: true), !secret.isEmpty {
            guard secret.count >= 32 else {
                throw ConfigurationError(key: "cluster.secret", message: "the nodes' shared secret has at least 32 characters (openssl rand -hex 32)")
            }
            self.secret = secret
        }
        if let advertise = reader.checkedText("cluster.advertise") {
            guard let url = URL(string: advertise), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(key: "cluster.advertise", message: "an http(s) URL other nodes reach this one at, like http://10.0.0.7:8080")
            }
            self.advertise = advertise
        }
        if let milliseconds = try reader.checkedInteger("cluster.heartbeat.ms", in: 50...60_000) { self.heartbeat = .milliseconds(milliseconds) }
        if let milliseconds = try reader.checkedInteger("cluster.node.ttl.ms", in: 150...600_000) { self.ttl = .milliseconds(milliseconds) }
        guard self.ttl >= self.heartbeat * 3 else {
            throw ConfigurationError(
                key: "cluster.node.ttl.ms",
                message: "must be at least three heartbeats (cluster.heartbeat.ms), or one late heartbeat drops the node"
            )
        }
    }
}
