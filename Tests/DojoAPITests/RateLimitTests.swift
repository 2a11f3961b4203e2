import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

private let serviceKey = "limit-test-service-key-0123456789abcdef"

private func acting(_ user: String) -> HTTPFields {
    [.contentType: "application/json", .authorization: "Bearer \(serviceKey)", HTTPField.Name("X-Dojo-User")!: user]
}

@Suite("REST rate limits per identity and route class")
struct RateLimitTests {
    @Test("writes and reads have budgets of their own per user (per IP when anonymous); health is never limited")
    func budgets() async throws {
        var configuration = try testConfiguration()
        configuration.serviceKey = serviceKey
        configuration.writesPerMinute = 3
        configuration.readsPerMinute = 5
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                statuses.append(
                    try await client.execute(uri: "/v1/matches", method: .post, headers: acting("alice"), body: ByteBuffer(string: "{}")) {
                        $0.status
                    }
                )
            }
            #expect(statuses.prefix(3).allSatisfy { $0 != .tooManyRequests } && statuses[3] == .tooManyRequests, "\(statuses)")
            try await client.execute(uri: "/v1/matches", method: .post, headers: acting("alice"), body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
                let body = try jsonObject(response.body.readableBytesView)
                #expect((body["error"] as? [String: Any])?["code"] as? String == "rate_limited")
            }
            // Another user has a budget of its own; alice's reads are not her writes.
            let bob = try await client.execute(uri: "/v1/matches", method: .post, headers: acting("bob"), body: ByteBuffer(string: "{}")) {
                $0.status
            }
            #expect(bob != .tooManyRequests)
            let read = try await client.execute(uri: "/v1/matches/nope", method: .get, headers: acting("alice")) { $0.status }
            #expect(read == .notFound)
            // Anonymous reads share the IP's budget (5): the 6th is refused.
            var anonymous: [HTTPResponse.Status] = []
            for _ in 0..<6 { anonymous.append(try await client.execute(uri: "/v1", method: .get) { $0.status }) }
            #expect(anonymous.last == .tooManyRequests && anonymous.dropLast().allSatisfy { $0 == .ok }, "\(anonymous)")
            for _ in 0..<10 {
                let health = try await client.execute(uri: "/healthz", method: .get) { $0.status }
                #expect(health == .ok)
            }
        }
    }
}
