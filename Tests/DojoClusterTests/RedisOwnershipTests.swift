import DojoCluster
import DojoTesting
import Foundation
import Testing

/// One owner per actor, in Redis: a claim holds while its node's membership record exists.
@Suite("Actor ownership on Redis")
struct RedisOwnershipTests {
    @Test(
        "a claim is kept by its node and refused to another while the holder is listed; once the holder's record is gone it is taken over with a larger token; only the holder releases; racing claims have one winner"
    )
    func claims() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let redis = RedisClient(endpoint: try RedisEndpoint(url: url))
        defer { redis.close() }
        let cluster = "test-" + TestServices.uniqueID()
        let owners = RedisOwnership(redis: redis, cluster: cluster)
        let membership = RedisMembership(redis: redis, cluster: cluster, ttl: .seconds(30))
        func join(_ id: String) async throws {
            try await membership.heartbeat(
                NodeInfo(id: id, advertise: "http://127.0.0.1:1", startedAt: 0, heartbeatAt: 0, connections: 0, version: "t"),
                now: Date()
            )
        }
        try await join("a")
        try await join("b")

        guard case .owned(let first) = try await owners.claim("match:m1", node: "a") else {
            Issue.record("a did not get a free entity")
            return
        }
        #expect(try await owners.claim("match:m1", node: "a") == .owned(token: first))
        #expect(try await owners.claim("match:m1", node: "b") == .ownedBy(node: "a", token: first))

        // b releasing a's claim changes nothing; a's release frees it for b.
        try await owners.release("match:m1", node: "b")
        #expect(try await owners.holder("match:m1")?.node == "a")
        try await owners.release("match:m1", node: "a")
        guard case .owned(let second) = try await owners.claim("match:m1", node: "b") else {
            Issue.record("b did not get a released entity")
            return
        }
        #expect(second > first)

        // b's membership goes (it died): a takes the entity over, with a larger token still.
        try await membership.leave("b")
        guard case .owned(let third) = try await owners.claim("match:m1", node: "a") else {
            Issue.record("a did not take over from a node that is gone")
            return
        }
        #expect(third > second)

        // Ten nodes racing for a new entity: one winner, the others told who.
        for index in 0..<10 { try await join("r\(index)") }
        let claims = try await withThrowingTaskGroup(of: RedisOwnership.Claim.self) { group in
            for index in 0..<10 { group.addTask { try await owners.claim("venue:v1", node: "r\(index)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let winners = claims.filter { if case .owned = $0 { true } else { false } }
        #expect(winners.count == 1, "\(claims)")
        let holder = try #require(try await owners.holder("venue:v1"))
        #expect(claims.allSatisfy { $0 == .owned(token: holder.token) || $0 == .ownedBy(node: holder.node, token: holder.token) })
    }
}
