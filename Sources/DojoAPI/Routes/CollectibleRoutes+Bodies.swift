import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

// The request bodies of ``CollectibleRoutes``.

/// `POST /v1/admin/collectibles`.
struct NewCollectibleBody: Decodable {
    var id: String?
    var contract: String
    var tokenId: String
    var chain: String
    var name: String
    var imageUrl: String
    var rarity: Collectible.Rarity
    var priceCoins: Int64?
}

struct AwardBody: Decodable {
    var userId: String
}
