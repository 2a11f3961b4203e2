import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``TournamentRoutes`` answers with.

struct TournamentPage: Encodable {
    var tournaments: [Tournament.State.View]
    /// The `offset` of the next page, when this one was full.
    var next: Int?
}
