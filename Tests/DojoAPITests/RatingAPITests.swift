import DojoDomain
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Testing

@testable import DojoAPI
@testable import DojoServer

@Suite("Ratings through the real server")
struct RatingAPITests {
    @Test("GET /v1/users/{id}/rating: new players at 1500 ± 350 (provisional); a completed match moves both, with its history; unknown users are 404")
    func rating() async throws {
        try await withGateway { h in
            var (status, body) = try await h.call(.get, "/v1/users/bob/rating", as: "carol")
            #expect(status == .ok && body["rating"] as? Double == 1_500 && body["deviation"] as? Double == 350)
            #expect(body["games"] as? Int == 0 && body["provisional"] as? Bool == true && (body["history"] as? [Any])?.isEmpty == true)
            // m1 (alice v bob, race to 5, from the harness): alice wins it.
            _ = try await h.rest("/v1/matches/m1/start")
            for _ in 0..<5 { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"A"}"#) }
            await h.server.runtime.drainConsumers()
            (status, body) = try await h.call(.get, "/v1/users/alice/rating", as: "carol")
            #expect(status == .ok && (body["rating"] as? Double ?? 0) > 1_500 && body["games"] as? Int == 1, "\(body)")
            let entry = (body["history"] as? [[String: Any]])?.first
            #expect(entry?["matchId"] as? String == "m1" && entry?["opponentId"] as? String == "bob" && entry?["result"] as? String == "WIN")
            (status, body) = try await h.call(.get, "/v1/users/bob/rating", as: "carol")
            #expect((body["rating"] as? Double ?? 2_000) < 1_500 && (body["history"] as? [[String: Any]])?.first?["result"] as? String == "LOSS")
            #expect(try await h.call(.get, "/v1/users/ghost/rating", as: "carol").0 == .notFound)
            #expect(try await h.call(.get, "/v1/users/bob/rating?limit=0", as: "carol").0 == .badRequest)
        }
    }

    @Test("GET /v1/users/{id}/stats and /head-to-head/{opponent}: totals per game type from completed matches; private players are theirs alone")
    func stats() async throws {
        try await withGateway { h in
            var (status, body) = try await h.call(.get, "/v1/users/alice/stats", as: "carol")
            #expect(status == .ok && (body["byGameType"] as? [Any])?.isEmpty == true)
            _ = try await h.rest("/v1/matches/m1/start")
            for winner in ["A", "B", "A", "A", "A", "A"] { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"\#(winner)"}"#) }
            await h.server.runtime.drainConsumers()
            (status, body) = try await h.call(.get, "/v1/users/alice/stats", as: "carol")
            let line = (body["byGameType"] as? [[String: Any]])?.first
            #expect(
                status == .ok && line?["gameType"] as? String == "8-ball" && line?["matches"] as? Int == 1 && line?["wins"] as? Int == 1,
                "\(body)"
            )
            #expect(line?["racksWon"] as? Int == 5 && line?["racksLost"] as? Int == 1 && line?["winRate"] as? Double == 1)
            (status, body) = try await h.call(.get, "/v1/users/bob/head-to-head/alice", as: "carol")
            let totals = body["totals"] as? [String: Any]
            #expect(status == .ok && totals?["matches"] as? Int == 1 && totals?["losses"] as? Int == 1 && totals?["racksWon"] as? Int == 1)
            #expect(try await h.call(.get, "/v1/users/bob/head-to-head/ghost", as: "carol").0 == .notFound)
            _ = try await h.call(.patch, "/v1/me/settings", as: "bob", ["privacy": "private"])
            #expect(try await h.call(.get, "/v1/users/bob/stats", as: "carol").0 == .forbidden)
            #expect(try await h.call(.get, "/v1/users/alice/head-to-head/bob", as: "carol").0 == .forbidden)
            #expect(try await h.call(.get, "/v1/users/bob/stats", as: "bob").0 == .ok)
        }
    }

    @Test("achievements: the catalog, and a player's earned ones with their points once a match is won")
    func achievements() async throws {
        try await withGateway { h in
            var (status, body) = try await h.call(.get, "/v1/achievements", as: "carol")
            #expect(status == .ok && (body["achievements"] as? [[String: Any]])?.count == Achievement.allCases.count)
            _ = try await h.rest("/v1/matches/m1/start")
            for _ in 0..<5 { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"A"}"#) }
            await h.server.runtime.drainConsumers()
            (status, body) = try await h.call(.get, "/v1/users/alice/achievements", as: "carol")
            let earned = body["achievements"] as? [[String: Any]]
            #expect(status == .ok && earned?.map { $0["key"] as? String } == ["first_win"] && body["points"] as? Int == 10, "\(body)")
            #expect(earned?.first?["earnedAt"] is Int)
            #expect((try await h.call(.get, "/v1/users/bob/achievements", as: "carol").1["achievements"] as? [Any])?.isEmpty == true)
            #expect(try await h.call(.get, "/v1/users/ghost/achievements", as: "carol").0 == .notFound)
        }
    }
}
