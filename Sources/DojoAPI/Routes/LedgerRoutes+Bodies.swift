import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``LedgerRoutes``.

struct GrantBody: Decodable {
    var userId: String
    /// Whole coins: a fraction, a string or a number past 64 bits is `invalid_json`.
    var amount: Int64
    var reason: String?
}
