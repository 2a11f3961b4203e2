import DojoDomain
import Hummingbird

/// Query parameters with their ranges: a value out of range is `400 invalid_query`, never clamped.
enum Query {
    /// An integer within `range`, or `value` when absent.
    static func integer(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        guard let number = Int(String(text)), range.contains(number) else {
            throw APIError(.badRequest, code: "invalid_query", message: "\(name) is an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// An entity id (a paging cursor), or nil when absent.
    static func id(_ request: Request, _ name: String) throws -> String? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard EntityKey.isValidID(String(text)) else {
            throw APIError(
                .badRequest,
                code: "invalid_query",
                message: "\(name) is an id: 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _"
            )
        }
        return String(text)
    }
}
