import DojoDomain
import Foundation
import Hummingbird
import NIOCore

/// JSON answers, all built the same way (`application/json; charset=utf-8`, keys sorted): from
/// an `Encodable` value, from a plain object, or from members already encoded.
extension Response {
    /// A JSON response for an `Encodable` value.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(status, bytes: try encoder.encode(value))
    }

    /// A JSON response for a plain object.
    ///
    /// An object `JSONSerialization` cannot write (a Swift struct inside it, say) is a programming
    /// error: it stops debug builds and tests, and is a 500 in production, never an empty 200
    /// body. `Encodable` values go through `json(_:_:)` for `Encodable` instead.
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else {
            assertionFailure("not a JSON object: \(object)")
            return json(.internalServerError, bytes: Array(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8))
        }
        return json(status, bytes: data)
    }

    /// A JSON object of members already encoded (the bytes an entity's registration wrote), keys
    /// sorted: the bytes `JSONEncoder` with sorted keys writes for the same values.
    static func json(_ status: HTTPResponse.Status, members: [(String, [UInt8])]) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        for (key, value) in members.sorted(by: { $0.0 < $1.0 }) {
            writer.key(key)
            writer.raw(value)
        }
        writer.endObject()
        return json(status, bytes: writer.bytes)
    }

    /// The one place a JSON body becomes a response.
    static func json(_ status: HTTPResponse.Status, bytes: some Sequence<UInt8>) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
