import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``ChallengeRoutes``.

/// `POST /v1/challenges`: the seed's field names. Amounts are whole coins (`Int64`): a fraction or
/// a string is `invalid_json`.
struct NewChallengeBody: Decodable {
    var id: String?
    var defenderId: String
    var venueId: String?
    var tableId: String?
    var gameType: Match.GameType?
    var raceTo: Int?
    var stakeCoins: Int64?
    var expiresAt: Timestamp?
    var commandId: String?
}

struct ChallengeActionBody: Decodable {
    var commandId: String?
}
