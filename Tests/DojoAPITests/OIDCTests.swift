import Crypto
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

/// A stand-in identity provider: an ES256 key, its JWKS file, and ID tokens signed with it.
struct FakeProvider {
    let key = P256.Signing.PrivateKey()
    let kid: String

    init(kid: String = "test-key-1") { self.kid = kid }

    private static func b64url(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=",
            with: ""
        )
    }

    /// The public key set, as a provider publishes it.
    var jwks: String {
        let point = key.publicKey.x963Representation  // 0x04 || X || Y
        let x = Self.b64url(point[1..<33])
        let y = Self.b64url(point[33..<65])
        return #"{"keys":[{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","kid":"\#(kid)","alg":"ES256","use":"sig"}]}"#
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var email: String?
        var email_verified: Bool?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func idToken(
        iss: String = "https://accounts.google.com",
        aud: String = "dojo-test-client",
        email: String? = "jo@example.test",
        verified: Bool? = true,
        expires: Date = Date().addingTimeInterval(300)
    ) async throws -> String {
        let keys = JWTKeyCollection()
        try await keys.add(ecdsa: ES256PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
        return try await keys.sign(
            Claims(
                iss: .init(value: iss),
                aud: .init(value: [aud]),
                sub: .init(value: "provider-user-1"),
                exp: .init(value: expires),
                email: email,
                email_verified: verified
            ),
            kid: JWKIdentifier(string: kid)
        )
    }
}

private func post(_ client: some TestClientProtocol, _ body: [String: Any]) async throws -> (HTTPResponse.Status, [String: Any]) {
    let data = try JSONSerialization.data(withJSONObject: body)
    return try await client.execute(uri: "/v1/auth/oidc", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data)) {
        response in
        (response.status, (try? jsonObject(response.body.readableBytesView)) ?? [:])
    }
}

private func code(_ answer: (HTTPResponse.Status, [String: Any])) -> String? { (answer.1["error"] as? [String: Any])?["code"] as? String }

@Suite("Sign in with Google/Apple (OIDC)")
struct OIDCTests {
    @Test("a provider's ID token signs in by verified email; forged, foreign, expired and unverified tokens are refused")
    func signIn() async throws {
        let provider = FakeProvider()
        let path = try TestServices.temporaryDirectory() + "/google-jwks.json"
        try provider.jwks.write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = try testConfiguration()
        configuration.oidc["google"] = OIDCProviderConfiguration(audience: "dojo-test-client", jwks: path)
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            let ok = try await post(client, ["provider": "google", "idToken": try await provider.idToken()])
            #expect(ok.0 == .ok, "\(ok.1)")
            let user = ok.1["user"] as? [String: Any]
            #expect(user?["email"] as? String == "jo@example.test" && ok.1["accessToken"] is String)
            let again = try await post(client, ["provider": "google", "idToken": try await provider.idToken(iss: "accounts.google.com")])
            #expect((again.1["user"] as? [String: Any])?["id"] as? String == user?["id"] as? String, "the same account by email")

            let cases: [(String, String, HTTPResponse.Status)] = [
                (try await FakeProvider().idToken(), "auth.oidc_invalid", .unauthorized),  // another key, same kid
                (try await FakeProvider(kid: "other").idToken(), "auth.oidc_invalid", .unauthorized),  // unknown kid
                (try await provider.idToken(aud: "someone-else"), "auth.oidc_audience", .unauthorized),
                (try await provider.idToken(iss: "https://evil.example"), "auth.oidc_issuer", .unauthorized),
                (try await provider.idToken(expires: Date().addingTimeInterval(-60)), "auth.token_expired", .unauthorized),
                (try await provider.idToken(verified: false), "auth.oidc_email_unverified", .unauthorized),
                (try await provider.idToken(email: nil), "auth.oidc_email_unverified", .unauthorized),
                ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "auth.oidc_invalid", .unauthorized),  // alg none
                ("not a token", "auth.oidc_invalid", .unauthorized),
            ]
            for (token, expected, status) in cases {
                let refused = try await post(client, ["provider": "google", "idToken": token])
                #expect(refused.0 == status && code(refused) == expected, "\(expected): \(refused)")
            }
            let apple = try await post(client, ["provider": "apple", "idToken": try await provider.idToken(iss: "https://appleid.apple.com")])
            #expect(apple.0 == .badRequest && code(apple) == "auth.oidc_provider", "apple is not configured here")
        }
    }

    @Test("an OIDC provider needs both its audience and its key set")
    func configuration() async throws {
        let reader = try await ServerConfiguration.makeReader(configFile: nil, environment: ["DOJO_AUTH_OIDC_GOOGLE_AUDIENCE": "client"])
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(reader: reader) }
    }
}
