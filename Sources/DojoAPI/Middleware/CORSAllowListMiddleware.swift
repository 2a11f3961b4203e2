import HTTPTypes
import Hummingbird

/// Cross-origin requests from the origins of `http.cors.origins` only: such a request gets
/// `Access-Control-Allow-Origin` with its own origin (and `Vary: Origin`), and a preflight
/// (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 with the methods and headers the
/// API takes. Other origins get no CORS headers, so browsers keep their responses from the page.
struct CORSAllowListMiddleware: RouterMiddleware {
    let origins: Set<String>

    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let origin = HTTPField.Name("Origin")!

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response
    {
        guard let origin = request.headers[Self.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[Self.requestMethod] != nil {
            var headers = HTTPFields()
            headers[Self.allowOrigin] = origin
            headers[.vary] = "Origin"
            headers[Self.allowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
            headers[Self.allowHeaders] = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
            headers[Self.maxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[Self.allowOrigin] = origin
        response.headers[.vary] = "Origin"
        response.headers[Self.exposeHeaders] = "X-Request-Id, Retry-After"
        return response
    }
}
