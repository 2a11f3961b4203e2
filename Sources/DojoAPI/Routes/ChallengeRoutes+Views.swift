import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``ChallengeRoutes`` answers with.

struct ChallengePage: Encodable {
    var challenges: [Challenge.State.View]
    /// The `offset` of the next page, when this one was full.
    var next: Int?
}
