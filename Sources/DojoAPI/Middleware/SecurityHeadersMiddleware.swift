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
        response.headers[Self.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        response.headers[Self.contentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }
}
