import DojoGateway
import Foundation
import Hummingbird
import NIOCore

/// Request bodies as JSON.
enum JSONBody {
    /// The body as `T`: 413 past the upload limit, `invalid_json` (with the field at fault) when it
    /// does not parse or has the wrong shape.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: AppRequestContext, limit: Int? = nil) async throws -> T {
        guard let value = try await decodeOptional(type, request, context, limit: limit) else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request needs a JSON body")
        }
        return value
    }

    static func decodeOptional<T: Decodable>(
        _ type: T.Type,
        _ request: Request,
        _ context: AppRequestContext,
        limit: Int? = nil
    ) async throws -> T? {
        guard let bytes = try await object(request, context, limit: limit) else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// The body's bytes, checked to be one JSON object within the limits (nil: no body). `limit`
    /// raises the upload limit for a route that takes large bodies.
    static func object(_ request: Request, _ context: AppRequestContext, limit: Int? = nil) async throws -> [UInt8]? {
        var request = request
        let buffer: ByteBuffer
        let maximum = limit ?? context.maxUploadSize
        do {
            buffer = try await request.collectBody(upTo: maximum)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw error
        } catch {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "the request body is larger than \(maximum) bytes")
        }
        guard buffer.readableBytes > 0 else { return nil }
        // One JSON object, nested at most 32 levels (checked before any decoding work).
        let bytes = Array(buffer.readableBytesView)
        if let reason = invalidJSONObjectReason(bytes) {
            throw APIError(.badRequest, code: "invalid_json", message: reason)
        }
        return bytes
    }
}
