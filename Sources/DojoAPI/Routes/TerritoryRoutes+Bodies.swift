import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``TerritoryRoutes``.

struct CreateTerritoryBody: Decodable {
    var id: String?
    var venueId: String
    var name: String?
    var commandId: String?
}

struct ChallengeBody: Decodable {
    var opponentId: String?
    var commandId: String?
}

struct AcceptChallengeBody: Decodable {
    var gameType: Match.GameType?
    var raceTo: Int?
    var commandId: String?
}
