import DojoDomain
import DojoRuntime
public import Foundation
import JWTKit
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sign in with Google or Apple: the client sends the provider's ID token; the server checks it
/// against the provider's key set (JWKS, from a URL or a file), its issuer and audience (the app's
/// client id) and its expiry, and links the account by the verified email address.
public final class OIDCProviders: Sendable {
    public struct Provider: Sendable {
        public var name: String
        public var issuers: [String]
        public var audience: String
        /// A JWKS URL (`https://…`) or a file path.
        public var jwks: String

        public init(name: String, issuers: [String], audience: String, jwks: String) {
            self.name = name
            self.issuers = issuers
            self.audience = audience
            self.jwks = jwks
        }
    }

    /// The known providers' issuers.
    public static let issuers = ["google": ["https://accounts.google.com", "accounts.google.com"], "apple": ["https://appleid.apple.com"]]

    private let providers: [String: Provider]
    /// Key collections per provider, loaded on first use and again (at most once a minute) when a
    /// token names a key the set does not have (providers rotate their keys).
    private let keys = Mutex<[String: (collection: JWTKeyCollection, loaded: Date)]>([:])

    public init(_ providers: [Provider]) {
        self.providers = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) })
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var email: String?
        var email_verified: Flag?

        /// `true`, or `"true"` (Apple sends a string).
        struct Flag: Codable, Sendable {
            var value: Bool
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let flag = try? container.decode(Bool.self) { value = flag } else { value = (try container.decode(String.self)) == "true" }
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(value)
            }
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The verified email address an ID token of `provider` vouches for, or a 401 that says why.
    public func verifiedEmail(provider name: String, idToken: String, now: Date = Date()) async throws -> String {
        guard let provider = providers[name] else {
            throw WireError(status: 400, code: "auth.oidc_provider", message: "sign-in with \(name.prefix(20)) is not configured here")
        }
        let claims: Claims
        do {
            claims = try await collection(for: provider, reload: false).verify(idToken, as: Claims.self)
        } catch {
            // Perhaps the provider rotated its keys: reload once (at most once a minute) and retry.
            guard let reloaded = try? await collection(for: provider, reload: true),
                let retried = try? await reloaded.verify(idToken, as: Claims.self)
            else { throw Self.refused("auth.oidc_invalid", "the ID token is malformed or not signed by \(provider.name)") }
            claims = retried
        }
        guard claims.exp.value > now else { throw Self.refused("auth.token_expired", "the ID token has expired") }
        guard provider.issuers.contains(claims.iss.value) else {
            throw Self.refused("auth.oidc_issuer", "the ID token was not issued by \(provider.name)")
        }
        guard claims.aud.value.contains(provider.audience) else { throw Self.refused("auth.oidc_audience", "the ID token is not for this app") }
        guard let email = claims.email?.trimmingCharacters(in: .whitespaces).lowercased(), Accounts.isValidEmail(email),
            claims.email_verified?.value == true
        else { throw Self.refused("auth.oidc_email_unverified", "the provider does not vouch for an email address") }
        return email
    }

    private func collection(for provider: Provider, reload: Bool) async throws -> JWTKeyCollection {
        if let cached = keys.withLock({ $0[provider.name] }), !reload || Date().timeIntervalSince(cached.loaded) < 60 {
            return cached.collection
        }
        let json: String
        if provider.jwks.hasPrefix("https://") || provider.jwks.hasPrefix("http://") {
            guard let url = URL(string: provider.jwks) else { throw Self.refused("auth.oidc_invalid", "bad JWKS URL") }
            var request = URLRequest(url: url)
            request.timeoutInterval = 5
            let (data, _) = try await URLSession.shared.data(for: request)
            json = String(decoding: data, as: UTF8.self)
        } else {
            json = try String(contentsOfFile: provider.jwks, encoding: .utf8)
        }
        let collection = JWTKeyCollection()
        try await collection.add(jwksJSON: json)
        keys.withLock { $0[provider.name] = (collection, Date()) }
        return collection
    }

    private static func refused(_ code: String, _ message: String) -> WireError {
        WireError(status: 401, code: code, message: message)
    }
}
