import DojoCluster
import DojoGateway
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DojoAPI
@testable import DojoServer

@Suite("Cluster membership: nodes sharing a Redis list one another")
struct ClusterMembershipTests {
    static let key = "cluster-test-service-key-0123456789abcdef"

    static func configuration(cluster: String, node: String, redis: String?) throws -> ServerConfiguration {
        var configuration = try testConfiguration()
        configuration.serviceKey = key
        configuration.redisURL = redis
        configuration.cluster.name = cluster
        configuration.cluster.nodeID = node
        // A heartbeat the whole suite's load cannot delay past the TTL (100 ms and 1 s once did:
        // the readiness check then said the node's claims had lapsed).
        configuration.cluster.heartbeat = .milliseconds(300)
        configuration.cluster.ttl = .milliseconds(3_000)
        // The test client keeps one connection: while the other node shuts down under the whole
        // suite's load, it may wait longer than the default header timeout between two requests
        // (CI: I/O on closed channel). Timeouts are not what this suite tests.
        configuration.httpLimits.headerTimeout = .seconds(300)
        configuration.httpLimits.idleTimeout = .seconds(300)
        return configuration
    }

    /// `GET /v1/cluster` as an ADMIN (or `role`), status and body.
    static func cluster(_ client: some TestClientProtocol, role: String = "ADMIN") async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(key)"
        headers[HTTPField.Name("X-Dojo-User")!] = "root"
        headers[HTTPField.Name("X-Dojo-Role")!] = role
        return try await client.execute(uri: "/v1/cluster", method: .get, headers: headers) { ($0.status, try jsonObject($0.body.readableBytesView)) }
    }

    static func ids(_ body: [String: Any]) -> [String] { (body["nodes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }

    @Test("without Redis the node is alone; only an ADMIN may list the nodes")
    func alone() async throws {
        let server = try await makeServer(try Self.configuration(cluster: "solo", node: "n-solo", redis: nil))
        try await server.application.test(.live) { client in
            let (status, body) = try await Self.cluster(client)
            #expect(status == .ok && body["mode"] as? String == "alone" && Self.ids(body) == ["n-solo"], "\(body)")
            let node = try #require((body["nodes"] as? [[String: Any]])?.first)
            #expect(node["this"] as? Bool == true && (node["advertise"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
            #expect(try await Self.cluster(client, role: "USER").0 == .forbidden)
        }
    }

    @Test("two nodes list each other; readiness reports the heartbeat; a node that stops leaves, one that dies lapses")
    func twoNodes() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        let name = "ct-\(UInt32.random(in: 0...UInt32.max))"
        let first = try await makeServer(try Self.configuration(cluster: name, node: "n1", redis: redis))
        let second = try await makeServer(try Self.configuration(cluster: name, node: "n2", redis: redis))
        try await first.application.test(.live) { one in
            try await second.application.test(.live) { two in
                var listed: [String] = []
                for _ in 0..<100 where listed != ["n1", "n2"] {
                    listed = Self.ids(try await Self.cluster(two).1)
                    if listed != ["n1", "n2"] { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(listed == ["n1", "n2"])
                let (_, body) = try await Self.cluster(one)
                #expect(body["mode"] as? String == "redis" && body["node"] as? String == "n1" && body["cluster"] as? String == name)
                let nodes = body["nodes"] as? [[String: Any]] ?? []
                #expect(nodes.filter { $0["this"] as? Bool == true }.compactMap { $0["id"] as? String } == ["n1"])
                #expect(nodes.allSatisfy { ($0["heartbeatAt"] as? Int ?? 0) >= ($0["startedAt"] as? Int ?? .max) })
                let ready = try await one.execute(uri: "/readyz", method: .get) { try jsonObject($0.body.readableBytesView) }
                let check = (ready["checks"] as? [String: Any])?["cluster"] as? [String: Any]
                #expect(check?["ok"] as? Bool == true, "\(ready)")
            }
            // n2 stopped gracefully: it left at once.
            var listed: [String] = []
            for _ in 0..<40 where listed != ["n1"] {
                listed = Self.ids(try await Self.cluster(one).1)
                if listed != ["n1"] { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(listed == ["n1"])
        }

        // A node that dies (no leave) drops out when its record expires.
        let connection = RedisClient(endpoint: try RedisEndpoint(url: redis))
        // A TTL the loaded suite cannot outlast between two lines (300 ms did, in a full run).
        let membership = RedisMembership(redis: connection, cluster: name, ttl: .milliseconds(1_500))
        let ghost = NodeInfo(id: "ghost", advertise: "http://10.0.0.9:8080", startedAt: 1, heartbeatAt: 2, connections: 0, version: "0")
        try await membership.heartbeat(ghost, now: Date())
        #expect(try await membership.nodes(now: Date()).map(\.id).contains("ghost"))
        try await Task.sleep(for: .milliseconds(1_700))
        #expect(try await membership.nodes(now: Date()).map(\.id).contains("ghost") == false)
    }

    @Test("configuration: names, the advertised address, and a TTL of at least three heartbeats")
    func configurationErrors() async throws {
        func load(_ env: [String: String]) async throws -> ServerConfiguration {
            try ServerConfiguration(
                reader: try await ServerConfiguration.makeReader(flags: [:], configFile: "Config/dojopool.json", environment: env)
            )
        }
        let loaded = try await load([
            "DOJO_CLUSTER_NAME": "hall-7", "DOJO_CLUSTER_NODE_ID": "node.a", "DOJO_CLUSTER_ADVERTISE": "http://10.0.0.7:8080",
            "DOJO_CLUSTER_HEARTBEAT_MS": "500", "DOJO_CLUSTER_NODE_TTL_MS": "2000",
        ])
        #expect(loaded.cluster.name == "hall-7" && loaded.cluster.nodeID == "node.a" && loaded.cluster.advertise == "http://10.0.0.7:8080")
        #expect(loaded.cluster.heartbeat == .milliseconds(500) && loaded.cluster.ttl == .seconds(2))
        #expect(try await load([:]).cluster.nodeID.isEmpty == false)
        for (env, key) in [
            (["DOJO_CLUSTER_NAME": "two words"], "cluster.name"),
            (["DOJO_CLUSTER_NODE_ID": String(repeating: "n", count: 65)], "cluster.node.id"),
            (["DOJO_CLUSTER_ADVERTISE": "10.0.0.7:8080"], "cluster.advertise"),
            (["DOJO_CLUSTER_HEARTBEAT_MS": "1000", "DOJO_CLUSTER_NODE_TTL_MS": "2000"], "cluster.node.ttl.ms"),
        ] {
            let error = await #expect(throws: ConfigurationError.self) { try await load(env) }
            #expect(error?.key == key, "\(env)")
        }
    }
}
