import DojoDomain
import DojoStorage

/// How an error met on the command path is told to a client, the same on REST and the socket: a
/// stable code, a message without internals, the HTTP status REST answers with, and a retry hint.
/// The runtime's internal codes (`fenced`, `stopped`) and storage's error text never reach a
/// client: they become `conflict` and `unavailable`.
public struct WireError: Error, Sendable, Equatable {
    /// The HTTP status (REST); the socket sends the code alone.
    public var status: Int
    public var code: String
    public var message: String
    /// Seconds after which a retry may succeed (`Retry-After`, `retryAfterMs` on the socket).
    public var retryAfter: Int?

    public init(status: Int, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The wire form of a domain, runtime or storage error; anything else is `internal` (500),
    /// with no detail.
    public init(_ error: any Error) {
        switch error {
        case let error as WireError:
            self = error
        case let error as DomainError:
            let status =
                switch error.kind {
                case .invalid: 422
                case .notFound: 404
                case .conflict: 409
                case .forbidden: 403
                }
            self.init(status: status, code: error.code, message: error.message)
        case let error as RuntimeError:
            switch error.code {
            case .busy:
                self.init(status: 503, code: "busy", message: "the entity has too many commands waiting; retry shortly", retryAfter: 1)
            case .fenced:
                self.init(status: 409, code: "conflict", message: "another writer changed the entity at the same time; retry", retryAfter: 1)
            case .unavailable, .stopped:
                self.init(
                    status: 503,
                    code: "unavailable",
                    message: "the command could not be recorded; retry with the same command id",
                    retryAfter: 1
                )
            case .shuttingDown:
                self.init(status: 503, code: "shutting_down", message: "the server is shutting down; retry on another node", retryAfter: 1)
            }
        case let error as StorageError:
            switch error.code {
            case .unavailable, .shuttingDown, .conflict:
                self.init(status: 503, code: "unavailable", message: "storage is unavailable; retry", retryAfter: 1)
            case .invalidRequest, .migration:
                self.init(status: 500, code: "internal", message: "internal error")
            }
        default:
            self.init(status: 500, code: "internal", message: "internal error")
        }
    }

    /// True for the errors a client can do nothing about but retry later (server side).
    public var isServerSide: Bool { status >= 500 }
}
