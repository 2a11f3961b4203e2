import DojoDomain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/auth/register`, `/v1/auth/login`, `/v1/me` and `/.well-known/jwks.json`.
struct AuthRoutes: Sendable {
    let accounts: Accounts
    let authentication: Authentication

    struct RegisterBody: Decodable {
        var email: String
        var username: String
        var password: String
    }

    struct LoginBody: Decodable {
        var login: String
        var password: String
    }

    struct Me: Encodable {
        var user: Accounts.User
    }

    struct Session: Encodable {
        var user: Accounts.User
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/auth/register") { request, context in
            let body = try await JSONBody.decode(RegisterBody.self, request, context)
            let user = try await accounts.register(email: body.email, username: body.username, password: body.password)
            return try await session(user, status: .created)
        }
        router.post("/v1/auth/login") { request, context in
            let body = try await JSONBody.decode(LoginBody.self, request, context)
            let user = try await accounts.authenticate(login: body.login, password: body.password)
            return try await session(user, status: .ok)
        }
        router.get("/v1/me") { request, _ in
            let principal = try await authentication.user(request)
            guard let id = principal.userID, let user = try await accounts.user(id: id) else {
                throw APIError(.unauthorized, code: "auth.unknown_user", message: "the token's user no longer exists")
            }
            return try Response.json(.ok, Me(user: user))
        }
        router.get("/.well-known/jwks.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/jwk-set+json"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: authentication.tokens.publicJWKS)))
        }
    }

    private func session(_ user: Accounts.User, status: HTTPResponse.Status) async throws -> Response {
        let role = UserRole(rawValue: user.role) ?? .user
        let (token, expiresIn) = try await authentication.tokens.issue(userID: user.id, role: role)
        return try Response.json(status, Session(user: user, accessToken: token, expiresIn: expiresIn))
    }
}
