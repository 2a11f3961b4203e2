import DojoDomain
import DojoIdentity
import HTTPTypes
import Hummingbird

/// Who is asking, for every endpoint that changes something.
///
/// - A user: `Authorization: Bearer <access token>` (an EdDSA JWT from `/v1/auth/login`; see
///   ``AccessTokens`` for the reasons a token is refused).
/// - A trusted backend: `Authorization: Bearer <service key>` (`auth.service.key`), acting for the
///   user it names in `X-Dojo-User`, with that user's role in `X-Dojo-Role` (default `USER`). The
///   key is compared in constant time; without a configured key this path is closed.
struct Authentication: Sendable {
    private let key: [UInt8]?
    let tokens: AccessTokens

    init(serviceKey: String?, tokens: AccessTokens) {
        key = serviceKey.map { Array($0.utf8) }
        self.tokens = tokens
    }

    static let userHeader = HTTPField.Name("X-Dojo-User")!
    static let roleHeader = HTTPField.Name("X-Dojo-Role")!

    /// The request's principal when it is an ADMIN (401 without credentials, 403 otherwise).
    func admin(_ request: Request) async throws -> Principal {
        let principal = try await principal(request)
        try AccessPolicy.check(principal, .administerPlatform)
        return principal
    }

    func principal(_ request: Request) async throws -> Principal {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, code: "auth.missing_token", message: "send Authorization: Bearer <access token>")
        }
        let credential = String(header.dropFirst("Bearer ".count))
        if credential.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            return try await tokens.verify(credential)
        }
        return try servicePrincipal(credential, request)
    }

    /// The id of the user a request is made by (a token, or a backend acting for a user): the
    /// `/v1/me/…` resources. 401 `auth.required` for a principal with no user (`purpose`: what
    /// signing in is needed for, for the message).
    func userID(_ request: Request, to purpose: String) async throws -> String {
        guard let user = try await principal(request).userID else {
            throw APIError(.unauthorized, code: "auth.required", message: "sign in to \(purpose)")
        }
        return user
    }

    /// A signed-in user (not a backend acting for one): for `/v1/me`.
    func user(_ request: Request) async throws -> Principal {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, code: "auth.missing_token", message: "send Authorization: Bearer <access token>")
        }
        return try await tokens.verify(String(header.dropFirst("Bearer ".count)))
    }

    private func servicePrincipal(_ credential: String, _ request: Request) throws -> Principal {
        guard let key else {
            throw APIError(.unauthorized, code: "auth.invalid_token", message: "the credential is neither an access token nor a service key")
        }
        guard Self.constantTimeEquals(Array(credential.utf8), key) else {
            throw APIError(.unauthorized, code: "auth.invalid_token", message: "the credential is neither an access token nor a service key")
        }
        guard let user = request.headers[Self.userHeader], EntityKey.isValidID(user) else {
            throw APIError(.unauthorized, code: "auth.missing_user", message: "send the acting user's id in X-Dojo-User")
        }
        var role = UserRole.user
        if let text = request.headers[Self.roleHeader] {
            guard let parsed = UserRole(rawValue: text) else {
                throw APIError(.badRequest, code: "auth.invalid_role", message: "X-Dojo-Role is one of USER, VENUE_ADMIN, ADMIN")
            }
            role = parsed
        }
        return .user(user, role: role)
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
