import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

// What ``CollectibleRoutes`` answers with.

/// What clients see of a collectible.
struct CollectibleView: Encodable {
    var id: String
    var contract: String
    var tokenId: String
    var chain: String
    var name: String
    var imageUrl: String
    var rarity: Collectible.Rarity
    var priceCoins: Int64?
    var acquiredAt: Timestamp?

    init(_ c: Collectible, acquiredAt: Date? = nil) {
        id = c.id
        contract = c.contract
        tokenId = c.tokenID
        chain = c.chain
        name = c.name
        imageUrl = c.imageURL
        rarity = c.rarity
        priceCoins = c.price
        self.acquiredAt = acquiredAt.map(Timestamp.init)
    }
}

struct CollectiblePage: Encodable {
    var collectibles: [CollectibleView]
}

struct OwnershipView: Encodable {
    var collectible: CollectibleView
    var userId: String
    /// False when the player owned it already.
    var given: Bool
    var pricePaid: Int64?
}
