import Foundation
public import Hummingbird
import Logging

/// Turns every error thrown below it into the one JSON error envelope:
/// `{"error": {"code": "…", "message": "…", "requestId": "…"}}`. Unexpected errors are logged in full
/// and answered as `500 internal` without details.
public struct ErrorEnvelopeMiddleware: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return Self.response(for: apiError, requestID: context.requestID)
        }
    }

    /// The envelope for `error`, optionally with extra top-level members (e.g. readiness checks).
    static func response(for error: APIError, requestID: String, extra: [String: any Sendable] = [:]) -> Response {
        var object: [String: Any] = ["error": ["code": error.code, "message": error.message, "requestId": requestID]]
        for (key, value) in extra { object[key] = value }
        var response = Response.json(error.status, object)
        if let retryAfter = error.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}
