import Crypto
import DojoDomain
import DojoIdentity
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/auth/register`, `/v1/auth/login`, `/v1/me` and `/.well-known/jwks.json`.
struct AuthRoutes: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    /// Requests to `/v1/auth/*` per client IP.
    let limiter: SharedRateLimiter
    let backoff: LoginBackoff
    let audit: AuditTrail
    /// Nil when no mail transport is configured: email codes answer 503 `auth.email_unavailable`.
    let mail: (any MailSender)?
    let oidc: OIDCProviders

    struct OIDCBody: Decodable {
        var provider: String
        var idToken: String
    }

    /// Email login codes: six digits, valid 10 minutes, 5 attempts.
    static let codeLifetime: TimeInterval = 600
    static let codeAttempts = 5

    struct EmailBody: Decodable {
        var email: String
    }

    struct CodeBody: Decodable {
        var email: String
        var code: String
    }

    struct PasswordBody: Decodable {
        var currentPassword: String
        var newPassword: String
    }

    struct RegisterBody: Decodable {
        var email: String
        var username: String
        var password: String
    }

    struct LoginBody: Decodable {
        var login: String
        var password: String
    }

    struct RefreshBody: Decodable {
        var refreshToken: String
    }

    /// Refresh tokens live this long (each use replaces the token by a new one).
    static let refreshLifetime: TimeInterval = 30 * 24 * 3_600

    struct Me: Encodable {
        var user: Accounts.User
    }

    struct Session: Encodable {
        var user: Accounts.User
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        var refreshToken: String
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/auth/register") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(RegisterBody.self, request, context)
            let user = try await accounts.register(email: body.email, username: body.username, password: body.password)
            await audit.record("auth.register", actor: user.id, target: user.id, context)
            return try await session(user, status: .created)
        }
        router.post("/v1/auth/login") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(LoginBody.self, request, context)
            let login = body.login.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            // The backoff counts per account, whichever spelling (email or username) names it.
            let record = try await accounts.storage.user(login: login)
            let key = LoginBackoff.key(userID: record?.id, login: login)
            let locked = backoff.wait(key) != nil
            let user: Accounts.User
            do {
                user = try await accounts.authenticate(record, password: body.password, locked: locked)
            } catch let error as WireError where error.code == "auth.invalid_credentials" {
                if !locked { backoff.failed(key) }
                await audit.record("auth.login_failed", actor: nil, target: String(login.prefix(320)), context, locked ? ["locked": "true"] : [:])
                throw error
            }
            backoff.succeeded(key)
            await audit.record("auth.login", actor: user.id, target: user.id, context)
            return try await session(user, status: .ok)
        }
        router.post("/v1/auth/refresh") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(RefreshBody.self, request, context)
            let next = RefreshToken.generate()
            let outcome = try await accounts.storage.rotateRefreshToken(
                hash: RefreshToken.hash(body.refreshToken),
                newHash: RefreshToken.hash(next),
                expiresAt: Date().addingTimeInterval(Self.refreshLifetime),
                at: Date()
            )
            switch outcome {
            case .invalid:
                throw APIError(.unauthorized, code: "auth.invalid_refresh_token", message: "the refresh token is unknown, expired or revoked")
            case .reused:
                throw APIError(
                    .unauthorized,
                    code: "auth.refresh_token_reused",
                    message: "the refresh token was used before: every token of its login is revoked; log in again"
                )
            case .rotated(let userID):
                guard let user = try await accounts.user(id: userID) else {
                    throw APIError(.unauthorized, code: "auth.unknown_user", message: "the user no longer exists")
                }
                return try await session(user, status: .ok, refreshToken: next)
            }
        }
        router.post("/v1/auth/logout") { request, context in
            let body = try await JSONBody.decode(RefreshBody.self, request, context)
            _ = try await accounts.storage.revokeRefreshFamily(hash: RefreshToken.hash(body.refreshToken), at: Date())
            return Response(status: .noContent)
        }
        router.post("/v1/auth/password") { request, context in
            try await limiter.check(context.remoteIP)
            let principal = try await authentication.user(request)
            let body = try await JSONBody.decode(PasswordBody.self, request, context)
            guard let id = principal.userID, let user = try await accounts.user(id: id) else {
                throw APIError(.unauthorized, code: "auth.unknown_user", message: "the token's user no longer exists")
            }
            let key = LoginBackoff.key(userID: user.id, login: user.username)
            let locked = backoff.wait(key) != nil
            do {
                _ = try await accounts.authenticate(
                    try await accounts.storage.user(login: user.username),
                    password: body.currentPassword,
                    locked: locked
                )
            } catch let error as WireError where error.code == "auth.invalid_credentials" {
                if !locked { backoff.failed(key) }
                await audit.record("auth.password_change_failed", actor: user.id, target: user.id, context)
                throw APIError(.unauthorized, code: "auth.invalid_credentials", message: "the current password is wrong")
            }
            backoff.succeeded(key)
            try Accounts.checkPolicy(body.newPassword, username: user.username, email: user.email)
            try await accounts.storage.setPasswordHash(userID: user.id, hash: try await accounts.hasher.hash(body.newPassword))
            await audit.record("auth.password_changed", actor: user.id, target: user.id, context)
            // Every refresh token of the user is revoked; access tokens run out within their lifetime.
            return Response(status: .noContent)
        }
        router.post("/v1/auth/oidc") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(OIDCBody.self, request, context)
            let email: String
            do {
                email = try await oidc.verifiedEmail(provider: body.provider, idToken: body.idToken)
            } catch let error as WireError {
                await audit.record(
                    "auth.login_failed",
                    actor: nil,
                    target: nil,
                    context,
                    ["method": "oidc", "provider": String(body.provider.prefix(20)), "reason": error.code]
                )
                throw error
            }
            let (user, created) = try await accounts.account(verifiedEmail: email)
            if created {
                await audit.record("auth.register", actor: user.id, target: user.id, context, ["method": "oidc", "provider": body.provider])
            }
            await audit.record("auth.login", actor: user.id, target: user.id, context, ["method": "oidc", "provider": body.provider])
            return try await session(user, status: .ok)
        }
        router.post("/v1/auth/email/code") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(EmailBody.self, request, context)
            let email = body.email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard Accounts.isValidEmail(email) else {
                throw APIError(.unprocessableContent, code: "auth.invalid_email", message: "the email address is not valid")
            }
            guard let mail else {
                throw APIError(
                    .serviceUnavailable,
                    code: "auth.email_unavailable",
                    message: "sign-in by email is not available: the server has no mail transport (mail.transport)"
                )
            }
            let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
            let salt = RefreshToken.generate()
            try await accounts.storage.putLoginCode(
                email: email,
                codeHash: Self.codeHash(code, salt: salt),
                salt: salt,
                expiresAt: Date().addingTimeInterval(Self.codeLifetime)
            )
            try await mail.send(
                to: email,
                subject: "Your DojoPool sign-in code",
                body: "Your DojoPool sign-in code is \(code). It is valid for 10 minutes. If you did not ask for it, ignore this message."
            )
            await audit.record("auth.email_code_sent", actor: nil, target: email, context)
            // The same answer whether an account exists or not.
            return Response.json(.accepted, ["expiresIn": Int(Self.codeLifetime)])
        }
        router.post("/v1/auth/email/verify") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(CodeBody.self, request, context)
            let email = body.email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let code = body.code.trimmingCharacters(in: .whitespaces)
            let matched = try await accounts.storage.useLoginCode(email: email, maximumAttempts: Self.codeAttempts) { stored in
                Authentication.constantTimeEquals(Array(Self.codeHash(code, salt: stored.salt).utf8), Array(stored.codeHash.utf8))
            }
            guard matched == true else {
                await audit.record("auth.login_failed", actor: nil, target: String(email.prefix(320)), context, ["method": "email_code"])
                throw APIError(
                    .unauthorized,
                    code: "auth.invalid_code",
                    message: matched == nil
                        ? "no live code for this address (expired, used or too many attempts): ask for a new one" : "the code is wrong"
                )
            }
            let (user, created) = try await accounts.account(verifiedEmail: email)
            if created { await audit.record("auth.register", actor: user.id, target: user.id, context, ["method": "email_code"]) }
            await audit.record("auth.login", actor: user.id, target: user.id, context, ["method": "email_code"])
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

    /// An access token and a refresh token: of a new family (login), or the rotated one.
    private func session(_ user: Accounts.User, status: HTTPResponse.Status, refreshToken: String? = nil) async throws -> Response {
        let role = UserRole(rawValue: user.role) ?? .user
        let (token, expiresIn) = try await authentication.tokens.issue(userID: user.id, role: role)
        let refresh: String
        if let refreshToken {
            refresh = refreshToken
        } else {
            refresh = RefreshToken.generate()
            try await accounts.storage.insertRefreshToken(
                hash: RefreshToken.hash(refresh),
                family: RefreshToken.generate(),
                userID: user.id,
                expiresAt: Date().addingTimeInterval(Self.refreshLifetime),
                at: Date()
            )
        }
        return try Response.json(status, Session(user: user, accessToken: token, expiresIn: expiresIn, refreshToken: refresh))
    }
}

extension AuthRoutes {
    /// The stored form of a login code: SHA-256 of the salt and the code.
    static func codeHash(_ code: String, salt: String) -> String {
        SHA256.hash(data: Data((salt + ":" + code).utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
