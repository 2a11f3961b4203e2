public import Hummingbird

/// The one wire error of the REST API: an HTTP status, a stable machine-readable code and a message.
/// Rendered by ``ErrorEnvelopeMiddleware`` as `{"error": {"code", "message", "requestId"}}`.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable code (`not_found`, `invalid_json`, …).
    public var code: String
    /// A human-readable message without internals.
    public var message: String

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return APIError(error.status, code: code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        case is DecodingError:
            return APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON of the expected shape")
        default:
            return APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .tooManyRequests: "rate_limited"
        case .serviceUnavailable: "unavailable"
        default: status.code >= 500 ? "internal" : "bad_request"
        }
    }
}
