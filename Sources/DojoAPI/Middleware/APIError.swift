import DojoDomain
import DojoRuntime
import DojoStorage
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
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    public var retryAfter: Int?

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return APIError(error.status, code: code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        case let error as DecodingError:
            return APIError(
                .badRequest,
                code: "invalid_json",
                message: "the request body is not valid JSON of the expected shape\(Self.detail(error))"
            )
        case is DomainError, is RuntimeError, is StorageError, is WireError:
            let wire = WireError(error)
            return APIError(HTTPResponse.Status(code: wire.status), code: wire.code, message: wire.message, retryAfter: wire.retryAfter)
        default:
            return APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    /// Where the body did not fit: the field path and what was wrong, never the value.
    private static func detail(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .keyNotFound(let key, let context): return ": missing field \(key.stringValue)\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return ": wrong type\(path(context))"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "" : ": invalid value\(path(context))"
        @unknown default: return ""
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
