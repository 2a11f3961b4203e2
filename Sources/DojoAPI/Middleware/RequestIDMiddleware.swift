import Foundation
public import HTTPTypes
public import Hummingbird
import Logging

/// Gives every request an id: the client's `X-Request-Id` when it is 1–128 characters of
/// `[A-Za-z0-9._-]`, else a new UUID. The id goes into the log metadata (`request.id`) and back in
/// the response header, on errors too.
public struct RequestIDMiddleware: RouterMiddleware {
    /// The header.
    public static let header = HTTPField.Name("X-Request-Id")!

    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap { Self.isAcceptable($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    static func isAcceptable(_ id: String) -> Bool {
        let utf8 = id.utf8
        return (1...128).contains(utf8.count)
            && utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
    }
}
