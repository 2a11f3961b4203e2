import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import DojoAPI
@testable import DojoServer

private let serviceKey = "input-test-service-key-0123456789abcdef"

@Suite("Identity endpoints against hostile input")
struct IdentityInputTests {
    static let endpoints: [(String, String)] = [
        ("/v1/auth/register", "email"), ("/v1/auth/login", "login"), ("/v1/auth/refresh", "refreshToken"), ("/v1/auth/logout", "refreshToken"),
        ("/v1/auth/password", "newPassword"), ("/v1/auth/email/code", "email"), ("/v1/auth/email/verify", "code"), ("/v1/auth/oidc", "idToken"),
        ("/v1/devices/token", "deviceId"), ("/v1/venues/v1/devices", "publicKey"), ("/v1/admin/users/u1/role", "role"),
    ]

    @Test("a 1 MB string in a text field is refused with 413 and changes nothing; SQL metacharacters get the field's own error")
    func hostile() async throws {
        var configuration = try testConfiguration()
        configuration.serviceKey = serviceKey
        configuration.authRequestsPerMinute = 10_000
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            func users() async throws -> Int {
                try await server.storage.withSQL { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM users").first()!.decode(column: "n", as: Int.self)
                }
            }
            let before = try await users()
            let huge = String(repeating: "x", count: 1_048_576)
            var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(serviceKey)"]
            headers[HTTPField.Name("X-Dojo-User")!] = "root"
            headers[HTTPField.Name("X-Dojo-Role")!] = "ADMIN"
            for (path, field) in Self.endpoints {
                var object = ["provider": "google", "email": "a@b.test"]
                object[field] = huge
                let body = try JSONSerialization.data(withJSONObject: object)
                try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    // The password change wants a user's own token first: refused before the body is read.
                    let expected: HTTPResponse.Status = path == "/v1/auth/password" ? .unauthorized : .contentTooLarge
                    #expect(response.status == expected, "\(path): \(response.status)")
                }
            }
            let injected = "x'); DROP TABLE users; --"
            let cases: [(String, String, String)] = [
                ("/v1/auth/register", #"{"email":"\#(injected)@x.test","username":"abc","password":"correct horse battery"}"#, "auth.invalid_email"),
                (
                    "/v1/auth/register", #"{"email":"ok@x.test","username":"\#(injected)","password":"correct horse battery"}"#,
                    "auth.invalid_username"
                ),
                ("/v1/auth/login", #"{"login":"\#(injected)","password":"whatever it is"}"#, "auth.invalid_credentials"),
                ("/v1/auth/refresh", #"{"refreshToken":"\#(injected)"}"#, "auth.invalid_refresh_token"),
                ("/v1/auth/email/code", #"{"email":"\#(injected)"}"#, "auth.invalid_email"),
                ("/v1/auth/email/verify", #"{"email":"\#(injected)","code":"123456"}"#, "auth.invalid_code"),
                ("/v1/devices/token", #"{"deviceId":"\#(injected)"}"#, "auth.device_unknown"),
                ("/v1/auth/oidc", #"{"provider":"\#(injected)","idToken":"x"}"#, "auth.oidc_provider"),
            ]
            for (path, body, code) in cases {
                try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
                    response in
                    let error = try jsonObject(response.body.readableBytesView)["error"] as? [String: Any]
                    #expect(error?["code"] as? String == code, "\(path): \(String(buffer: response.body))")
                }
            }
            let role = try await client.execute(
                uri: "/v1/admin/users/\(injected.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)/role",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"role":"ADMIN"}"#)
            ) { $0.status }
            #expect(role == .notFound)
            #expect(try await users() == before, "nothing was created or dropped")
        }
    }
}
