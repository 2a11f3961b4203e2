import Foundation
import Hummingbird
import NIOCore

extension Response {
    /// A JSON response (`application/json; charset=utf-8`, keys sorted) for a plain object.
    ///
    /// An object `JSONSerialization` cannot write (a Swift struct inside it, say) is a programming
    /// error: it stops debug builds and tests, and is a 500 in production, never an empty 200
    /// body. `Encodable` values go through `json(_:_:)` for `Encodable` instead.
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else {
            assertionFailure("not a JSON object: \(object)")
            let body = #"{"error":{"code":"internal","message":"internal error"}}"#
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .internalServerError, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
