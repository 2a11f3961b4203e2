import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

@Suite("Hardening: CORS allow-list, trusted proxies, JSON depth")
struct HardeningTests {
    @Test("only allow-listed origins get CORS headers; their preflight is answered")
    func cors() async throws {
        var configuration = try testConfiguration()
        configuration.corsOrigins = ["https://app.dojopool.test"]
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/v1", method: .get, headers: [HTTPField.Name("Origin")!: "https://app.dojopool.test"]) { response in
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "https://app.dojopool.test")
                #expect(response.headers[.vary] == "Origin")
            }
            try await client.execute(uri: "/v1", method: .get, headers: [HTTPField.Name("Origin")!: "https://evil.test"]) { response in
                #expect(response.status == .ok && response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            }
            let preflight: HTTPFields = [
                HTTPField.Name("Origin")!: "https://app.dojopool.test", HTTPField.Name("Access-Control-Request-Method")!: "POST",
            ]
            try await client.execute(uri: "/v1/matches", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("Authorization") == true)
            }
            var foreign = preflight
            foreign[HTTPField.Name("Origin")!] = "https://evil.test"
            try await client.execute(uri: "/v1/matches", method: .options, headers: foreign) { response in
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            }
        }
    }

    @Test("X-Forwarded-For counts only from a trusted proxy (here the test client's own address)")
    func forwardedFor() async throws {
        var configuration = try testConfiguration()
        configuration.readsPerMinute = 2
        configuration.trustedProxies = ["127.0.0.1"]
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            // Two clients behind the proxy: each has its own budget of 2 reads.
            for address in ["203.0.113.7", "203.0.113.8"] {
                for _ in 0..<2 {
                    let status = try await client.execute(
                        uri: "/v1",
                        method: .get,
                        headers: [HTTPField.Name("X-Forwarded-For")!: "\(address), 127.0.0.1"]
                    ) { $0.status }
                    #expect(status == .ok)
                }
            }
            let third = try await client.execute(uri: "/v1", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.7"]) { $0.status }
            #expect(third == .tooManyRequests)
        }
        var untrusted = try testConfiguration()
        untrusted.readsPerMinute = 2
        let other = try await makeServer(untrusted)
        try await other.application.test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<3 {
                statuses.append(
                    try await client.execute(uri: "/v1", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.\(index)"]) {
                        $0.status
                    }
                )
            }
            #expect(statuses.last == .tooManyRequests, "without a trusted proxy the header does not pick the key: \(statuses)")
        }
    }

    @Test("REST bodies nested deeper than 32 levels are refused before decoding")
    func depth() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            let deep =
                #"{"email":"a@b.test","username":"abc","password":"x","extra":"# + String(repeating: "[", count: 40)
                + String(repeating: "]", count: 40) + "}"
            try await client.execute(
                uri: "/v1/auth/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: deep)
            ) { response in
                #expect(response.status == .badRequest)
                let body = try jsonObject(response.body.readableBytesView)
                let error = body["error"] as? [String: Any]
                #expect(error?["code"] as? String == "invalid_json" && (error?["message"] as? String)?.contains("32") == true)
            }
        }
    }
}
