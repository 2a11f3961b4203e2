/// A collectible of the catalog (seed `NFT`; docs/collectibles.md): a token on a chain with its
/// metadata. The platform keeps who owns which; no chain is contacted.
public struct Collectible: Sendable, Codable, Equatable {
    public enum Rarity: String, Sendable, Codable, CaseIterable {
        case common, rare, epic, legendary
    }

    public var id: String
    public var contract: String
    public var tokenID: String
    public var chain: String
    public var name: String
    /// An https URL.
    public var imageURL: String
    public var rarity: Rarity
    /// Coins to buy it (nil: not for sale; earned only).
    public var price: Int64?

    public init(id: String, contract: String, tokenID: String, chain: String, name: String, imageURL: String, rarity: Rarity, price: Int64?) {
        self.id = id
        self.contract = contract
        self.tokenID = tokenID
        self.chain = chain
        self.name = name
        self.imageURL = imageURL
        self.rarity = rarity
        self.price = price
    }

    /// Refuses a collectible the catalog cannot hold.
    public func validate() throws(DomainError) {
        guard EntityKey.isValidID(id) else { throw DomainError(.invalid, "collectible.invalid_id", "id is 1–64 characters of A–Z a–z 0–9 - _") }
        for (field, value, limit) in [("contract", contract, 128), ("tokenId", tokenID, 128), ("chain", chain, 32), ("name", name, 80)] {
            guard !value.isEmpty, value.count <= limit, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw DomainError(.invalid, "collectible.invalid_\(field)", "\(field) is 1–\(limit) characters without control characters")
            }
        }
        guard imageURL.utf8.count <= 500, imageURL.lowercased().hasPrefix("https://"), imageURL.count > 8, !imageURL.contains(where: \.isWhitespace)
        else {
            throw DomainError(.invalid, "collectible.invalid_image_url", "imageUrl is an https URL of at most 500 bytes")
        }
        if let price, price < 1 || price > Account.maximumAmount {
            throw DomainError(.invalid, "collectible.invalid_price", "priceCoins is 1–\(Account.maximumAmount) coins (absent: not for sale)")
        }
    }
}
