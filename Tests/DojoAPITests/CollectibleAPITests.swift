import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Collectibles")
struct CollectibleAPITests {
    static var cue: [String: Any] {
        [
            "id": "gold-cue", "contract": "0xc0ffee", "tokenId": "1", "chain": "solana", "name": "Golden cue",
            "imageUrl": "https://img.example/cue.png", "rarity": "legendary", "priceCoins": 150,
        ]
    }

    @Test("the ADMIN's catalog; buying one with coins (a PURCHASE to the house, once); awarding one; ownership listed; bad input refused")
    func catalogPurchaseAward() async throws {
        try await withGateway { h in
            #expect(try await h.call(.post, "/v1/admin/collectibles", as: "bob", Self.cue).0 == .forbidden)
            var (status, body) = try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", Self.cue)
            #expect(status == .created && body["rarity"] as? String == "legendary", "\(body)")
            #expect(code(try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", Self.cue).1) == "collectible.exists")
            var sameToken = Self.cue
            sameToken["id"] = "other"
            #expect(code(try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", sameToken).1) == "collectible.exists")
            for (field, value, expected) in [
                ("imageUrl", "javascript:alert(1)", "collectible.invalid_image_url"), ("priceCoins", 0, "collectible.invalid_price"),
                ("name", "", "collectible.invalid_name"), ("id", "bad id", "collectible.invalid_id"),
            ] as [(String, Any, String)] {
                var bad = Self.cue
                bad["id"] = "x\(field)"
                bad["tokenId"] = field
                bad[field] = value
                #expect(code(try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", bad).1) == expected, "\(field)")
            }
            var badge = Self.cue
            badge.merge(["id": "badge", "tokenId": "2", "name": "Badge", "rarity": "common"]) { $1 }
            badge.removeValue(forKey: "priceCoins")
            _ = try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", badge)
            (_, body) = try await h.call(.get, "/v1/collectibles", as: "carol")
            #expect((body["collectibles"] as? [[String: Any]])?.map { $0["id"] as? String } == ["badge", "gold-cue"])

            // Buying: too poor, then with coins; once.
            #expect(code(try await h.call(.post, "/v1/collectibles/gold-cue/purchase", as: "bob").1) == "ledger.insufficient_funds")
            try await h.grant("bob", 200)
            (status, body) = try await h.call(.post, "/v1/collectibles/gold-cue/purchase", as: "bob")
            #expect(status == .ok && body["pricePaid"] as? Int == 150, "\(body)")
            #expect(try await h.balance("bob").available == 50)
            #expect(code(try await h.call(.post, "/v1/collectibles/gold-cue/purchase", as: "bob").1) == "collectible.owned")
            #expect(code(try await h.call(.post, "/v1/collectibles/badge/purchase", as: "bob").1) == "collectible.not_for_sale")
            #expect(code(try await h.call(.post, "/v1/collectibles/nope/purchase", as: "bob").1) == "collectible.not_found")
            // Awarding.
            (status, body) = try await h.call(.post, "/v1/admin/collectibles/badge/awards", as: "root", role: "ADMIN", ["userId": "bob"])
            #expect(status == .ok && body["given"] as? Bool == true)
            #expect(
                try await h.call(.post, "/v1/admin/collectibles/badge/awards", as: "root", role: "ADMIN", ["userId": "bob"]).1["given"] as? Bool
                    == false
            )
            #expect(
                code(try await h.call(.post, "/v1/admin/collectibles/badge/awards", as: "root", role: "ADMIN", ["userId": "ghost"]).1)
                    == "collectible.unknown_user"
            )
            (_, body) = try await h.call(.get, "/v1/users/bob/collectibles", as: "carol")
            let owned = body["collectibles"] as? [[String: Any]]
            #expect(owned?.map { $0["id"] as? String } == ["badge", "gold-cue"] && owned?.first?["acquiredAt"] is Int)
        }
    }

    @Test("a tournament whose rewards name a collectible gives it to its champion")
    func tournamentReward() async throws {
        try await withGateway { h in
            _ = try await h.call(.post, "/v1/admin/collectibles", as: "root", role: "ADMIN", Self.cue)
            _ = try await h.call(
                .post,
                "/v1/tournaments",
                as: "root",
                role: "ADMIN",
                [
                    "id": "rc", "name": "Cue cup", "format": "single_elimination", "raceTo": 1, "seeding": "manual",
                    "rewards": ["collectibleId": "gold-cue"],
                ]
            )
            for player in ["bob", "carol"] { _ = try await h.call(.post, "/v1/tournaments/rc/registrations", as: player, [:]) }
            _ = try await h.call(.post, "/v1/tournaments/rc/start", as: "root", role: "ADMIN", ["order": ["bob", "carol"]])
            await h.server.runtime.drainConsumers()
            _ = try await h.call(.post, "/v1/matches/rc-m0/commands", as: "root", role: "ADMIN", ["type": "start"])
            _ = try await h.call(.post, "/v1/matches/rc-m0/commands", as: "root", role: "ADMIN", ["type": "recordRack", "winner": "B"])
            await h.server.runtime.drainConsumers()
            await h.server.runtime.drainConsumers()
            let (_, body) = try await h.call(.get, "/v1/users/carol/collectibles", as: "bob")
            #expect((body["collectibles"] as? [[String: Any]])?.map { $0["id"] as? String } == ["gold-cue"], "\(body)")
            let (_, notes) = try await h.call(.get, "/v1/me/notifications", as: "carol")
            #expect((notes["notifications"] as? [[String: Any]])?.contains { $0["type"] as? String == "collectible.received" } == true)
        }
    }
}
