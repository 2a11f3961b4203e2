import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``TerritoryRoutes`` answers with.

struct TerritoryPage: Encodable {
    var territories: [TerritoryRecord]
    /// The `after` of the next page, when this one was full (a `near` page may hold fewer rows).
    var next: String?
}

struct Leaderboard: Encodable {
    var kind: String
    var by: String
    var rows: [LeaderboardRow]
    /// The `offset` of the next page, when this one was full.
    var next: Int?
}
