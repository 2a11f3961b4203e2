import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

/// Collectibles (docs/collectibles.md): the ADMIN's catalog (`POST /v1/admin/collectibles`),
/// awards (`POST /v1/admin/collectibles/{id}/awards`), the public catalog (`GET /v1/collectibles`)
/// and buying one with coins (`POST /v1/collectibles/{id}/purchase`, a PURCHASE to the house).
struct CollectibleRoutes: Sendable {
    let storage: any Storage
    let runtime: Runtime
    let authentication: Authentication
    let audit: AuditTrail

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/collectibles") { _, _ in
            try Response.json(.ok, CollectiblePage(collectibles: try await storage.collectibles().map { CollectibleView($0) }))
        }
        router.post("/v1/admin/collectibles") { request, context in
            let principal = try await authentication.admin(request)
            let body = try await JSONBody.decode(NewCollectibleBody.self, request, context)
            let collectible = Collectible(
                id: body.id ?? CommandRoutes.newID(),
                contract: body.contract,
                tokenID: body.tokenId,
                chain: body.chain,
                name: body.name,
                imageURL: body.imageUrl,
                rarity: body.rarity,
                price: body.priceCoins
            )
            try collectible.validate()
            guard try await storage.insertCollectible(collectible, at: Date()) else {
                throw APIError(.conflict, code: "collectible.exists", message: "a collectible with this id or token is in the catalog already")
            }
            await audit.record("collectible.created", actor: principal.userID, target: collectible.id, context)
            return try Response.json(.created, CollectibleView(collectible))
        }
        router.post("/v1/admin/collectibles/:id/awards") { request, context in
            let principal = try await authentication.admin(request)
            let collectible = try await existing(try context.parameters.require("id"))
            let body = try await JSONBody.decode(AwardBody.self, request, context)
            guard EntityKey.isValidID(body.userId), try await !storage.existingIDs(in: "users", [body.userId]).isEmpty else {
                throw DomainError(.invalid, "collectible.unknown_user", "user \(body.userId.prefix(64)) does not exist")
            }
            let given = try await storage.giveCollectible(collectible.id, to: body.userId, at: Date())
            await audit.record("collectible.awarded", actor: principal.userID, target: collectible.id, context, ["userId": body.userId])
            return try Response.json(.ok, OwnershipView(collectible: CollectibleView(collectible), userId: body.userId, given: given, pricePaid: nil))
        }
        router.post("/v1/collectibles/:id/purchase") { request, context in
            let user = try await authentication.userID(request, to: "buy a collectible")
            let collectible = try await existing(try context.parameters.require("id"))
            guard let price = collectible.price else {
                throw DomainError(.conflict, "collectible.not_for_sale", "\(collectible.name) is earned, not sold")
            }
            // Paid once (the transfer's id is the buyer's and the collectible's), then owned: a
            // purchase interrupted after the payment completes on the next request for it.
            if try await storage.collectibles(of: user).contains(where: { $0.collectible.id == collectible.id }) {
                throw DomainError(.conflict, "collectible.owned", "you own \(collectible.name) already")
            }
            _ = try await runtime.transfer(
                Account.Transfer(
                    id: "purchase-\(collectible.id)-\(user)",
                    from: Account.user(user),
                    to: Account.house,
                    amount: price,
                    type: .purchase,
                    reference: "collectible:\(collectible.id)"
                )
            )
            try await storage.giveCollectible(collectible.id, to: user, at: Date())
            return try Response.json(.ok, OwnershipView(collectible: CollectibleView(collectible), userId: user, given: true, pricePaid: price))
        }
    }

    private func existing(_ id: String) async throws -> Collectible {
        guard EntityKey.isValidID(id), let collectible = try await storage.collectible(id) else {
            throw APIError(.notFound, code: "collectible.not_found", message: "no such collectible")
        }
        return collectible
    }
}
