import DojoDomain
import HTTPTypes
import Hummingbird

/// Rate limits on the whole REST API, per identity (the signed-in user, or the user a trusted
/// backend acts for) or else per client IP, by route class: writes (POST, PUT, PATCH, DELETE) and
/// reads have budgets of their own (`api.ratelimit.write.per.minute`, `api.ratelimit.read.per.minute`);
/// `/v1/auth` and the device sign-in have their stricter per-IP limit besides. Shared by all nodes
/// through Redis when it is configured. Health, readiness and metrics are not limited, nor the
/// nodes' forwarded commands.
struct RateLimitMiddleware: RouterMiddleware {
    let writes: SharedRateLimiter
    let reads: SharedRateLimiter
    let authentication: Authentication

    static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response
    {
        // Socket.IO's polls and packets of a session are its messages: the gateway limits them per
        // session, as it does a WebSocket's. A handshake (no `sid`) opens a session: limited here.
        let sessionTraffic = request.uri.path.hasPrefix("/socket.io") && request.uri.queryParameters["sid"] != nil
        // Commands forwarded between nodes were limited where their client sent them (and the
        // route checks the nodes' secret).
        let nodeTraffic = request.uri.path.hasPrefix("/internal/v1/forward/")
        guard !Self.exempt.contains(request.uri.path), !sessionTraffic, !nodeTraffic else {
            return try await next(request, context)
        }
        let key = await identityKey(request) ?? "ip:" + context.remoteIP
        switch request.method {
        case .get, .head, .options: try await reads.check(key)
        default: try await writes.check(key)
        }
        return try await next(request, context)
    }

    /// `user:<id>` for a valid access token or a service-key request naming its user; nil otherwise
    /// (the handler refuses bad credentials itself; they are limited per IP).
    private func identityKey(_ request: Request) async -> String? {
        guard request.headers[.authorization]?.hasPrefix("Bearer ") == true else { return nil }
        guard let principal = try? await authentication.principal(request), let user = principal.userID else { return nil }
        return "user:" + user
    }
}
