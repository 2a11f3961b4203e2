import HTTPTypes
public import Hummingbird

/// Headers every response carries: the API serves JSON only, so nothing may be sniffed as another
/// type, framed, or run as a page (`Content-Security-Policy: default-src 'none'; frame-ancestors
/// 'none'`), and no referrer leaks. HSTS belongs to the TLS terminator in front (this server speaks
/// plain HTTP on loopback or behind a proxy).
public struct SecurityHeadersMiddleware: RouterMiddleware {
    public init() {}

    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    public func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.contentSecurityPolicy] =
            request.uri.path.hasPrefix("/watch") ? Self.pagePolicy(host: request.head.authority) : "default-src 'none'; frame-ancestors 'none'"
        response.headers[Self.contentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        if Self.carriesCredentials(request.uri.path) {
            // RFC 6749 §5.1: responses with tokens (or sign-in codes) are never stored by a cache.
            response.headers[.cacheControl] = "no-store"
            response.headers[Self.pragma] = "no-cache"
        }
        return response
    }

    static let pragma = HTTPField.Name("Pragma")!

    /// The spectator pages' policy: scripts, styles and connections (the socket on this host) from
    /// this origin only; nothing inline, no frames.
    static func pagePolicy(host: String?) -> String {
        // The Host header is the client's: only a plain host[:port] is written into the policy.
        let plain = host.flatMap { host in
            host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) } && host.count <= 255 ? host : nil
        }
        let sockets = plain.map { host in " ws://\(host) wss://\(host)" } ?? ""
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'\(sockets); "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// Paths whose answers carry tokens, refresh tokens, nonces or codes: every `/v1/auth/…`
    /// route and the device sign-in.
    static func carriesCredentials(_ path: String) -> Bool {
        path.hasPrefix("/v1/auth/") || path == "/v1/devices/token" || path == "/v1/me" || path.hasPrefix("/v1/me/")
    }
}
