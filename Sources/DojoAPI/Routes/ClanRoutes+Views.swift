import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``ClanRoutes`` answers with.

/// A war as clients see it (without the bookkeeping of counted matches).
struct WarView: Encodable {
    var id: String
    var opponentId: String
    var declaredBy: String
    var target: Int
    var startsAt: Timestamp
    var endsAt: Timestamp
    var ours: Int
    var theirs: Int
    var status: Clan.War.Status
    var endedAt: Timestamp?

    init(_ war: Clan.War) {
        id = war.id
        opponentId = war.opponentID
        declaredBy = war.declaredBy
        target = war.target
        startsAt = war.startsAt
        endsAt = war.endsAt
        ours = war.ours
        theirs = war.theirs
        status = war.status
        endedAt = war.endedAt
    }
}

struct WarList: Encodable {
    /// Newest first: the active wars and the last ended ones.
    var wars: [WarView]
}

struct ClanPage: Encodable {
    var clans: [ClanRecord]
    /// The `after` of the next page, when this one was full.
    var next: String?
}

struct MemberPage: Encodable {
    var members: [Clan.MemberView]
    var next: String?
}

struct ClanApplication: Encodable {
    var userId: String
    var at: Timestamp
}

struct ClanApplications: Encodable {
    var invitations: [ClanApplication]
    var requests: [ClanApplication]
}
