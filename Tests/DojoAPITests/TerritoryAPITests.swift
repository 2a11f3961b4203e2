import DojoDomain
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Territories through the real server")
struct TerritoryAPITests {
    @Test("two clans, a territory contested: spectators in territory: and clan: rooms see the change in order; the map and the leaderboards follow")
    func contested() async throws {
        try await withGateway { h in
            try await seedUsers(["dave", "erin"], in: h.server.storage)
            try await h.venueWithTables()
            try await h.clan("k1", name: "Breakers", leader: "bob", members: ["erin"])
            try await h.clan("k2", name: "Sharks", leader: "carol", members: ["dave"])
            // Only the venue's staff put it on the map; one territory per venue.
            #expect(try await h.call(.post, "/v1/territories", as: "bob", ["id": "tr1", "venueId": "v1"]).0 == .forbidden)
            let (created, body) = try await h.call(.post, "/v1/territories", as: "alice", ["id": "tr1", "venueId": "v1", "name": "The Hall"])
            #expect(created == .created, "\(body)")
            let second = try await h.call(.post, "/v1/territories", as: "alice", ["id": "tr2", "venueId": "v1"])
            #expect(second.0 == .conflict && code(second.1) == "territory.venue_taken")

            let spectator = try await h.socket()
            _ = try await h.subscribe(spectator, "territory:tr1")
            _ = try await spectator.next(type: "snapshot")
            let sharks = try await h.socket(as: "dave")
            _ = try await h.subscribe(sharks, "clan:k2")
            _ = try await sharks.next(type: "snapshot")

            // Bob (Breakers) challenges carol for the unclaimed territory; carol accepts; bob wins.
            #expect(try await h.call(.post, "/v1/territories/tr1/challenges", as: "bob", ["opponentId": "carol"]).0 == .ok)
            let busy = try await h.call(.post, "/v1/territories/tr1/challenges", as: "dave", ["opponentId": "carol"])
            #expect(busy.0 == .conflict && code(busy.1) == "territory.contested")
            let (acceptStatus, accepted) = try await h.call(.post, "/v1/territories/tr1/challenges/accept", as: "carol", ["raceTo": 2])
            #expect(acceptStatus == .ok, "\(accepted)")
            let match = try #require(((accepted["territory"] as? [String: Any])?["contest"] as? [String: Any])?["matchID"] as? String)
            let (_, scheduled) = try await h.call(.get, "/v1/matches/\(match)", as: "carol")
            let terms = scheduled["match"] as? [String: Any]
            #expect(terms?["territoryID"] as? String == "tr1" && terms?["venueID"] as? String == "v1" && terms?["raceTo"] as? Int == 2)
            // No route lets a client claim it: the reaction's command is refused from outside.
            let forged = try await h.call(.post, "/v1/territories/tr1/commands", as: "bob", ["type": "resolve", "matchId": match, "winnerId": "bob"])
            #expect(forged.0 == .unprocessableContent && code(forged.1) == "invalid_command")
            #expect(try await h.call(.post, "/v1/matches/\(match)/start", as: "carol").0 == .ok)
            for _ in 0..<2 { #expect(try await h.call(.post, "/v1/matches/\(match)/racks", as: "carol", ["winner": "B"]).0 == .ok) }
            let types = try await (0..<3).asyncMap { _ in try await spectator.next(type: "event")["eventType"] as? String }
            #expect(types == ["territory.challenged", "territory.match_scheduled", "territory.claimed"])
            let (_, held) = try await h.call(.get, "/v1/territories/tr1", as: "dave")
            #expect(
                (held["territory"] as? [String: Any])?["ownerId"] as? String == "bob"
                    && (held["territory"] as? [String: Any])?["clanId"] as? String == "k1"
            )

            // Dave (Sharks) takes it from bob: LOSE then CLAIM, live on the territory room.
            #expect(try await h.call(.post, "/v1/territories/tr1/challenges", as: "dave").0 == .ok)
            let wrongPlayer = try await h.call(.post, "/v1/territories/tr1/challenges/accept", as: "carol")
            #expect(wrongPlayer.0 == .forbidden)
            let (_, again) = try await h.call(.post, "/v1/territories/tr1/challenges/accept", as: "bob", ["gameType": "9-ball", "raceTo": 1])
            let rematch = try #require(((again["territory"] as? [String: Any])?["contest"] as? [String: Any])?["matchID"] as? String)
            #expect(try await h.call(.post, "/v1/matches/\(rematch)/start", as: "bob").0 == .ok)
            #expect(try await h.call(.post, "/v1/matches/\(rematch)/racks", as: "bob", ["winner": "B"]).0 == .ok)
            let next = try await (0..<4).asyncMap { _ in try await spectator.next(type: "event")["eventType"] as? String }
            #expect(next == ["territory.challenged", "territory.match_scheduled", "territory.lost", "territory.claimed"])
            let (_, taken) = try await h.call(.get, "/v1/territories/tr1", as: "dave")
            #expect((taken["territory"] as? [String: Any])?["clanId"] as? String == "k2")
            // Told: bob lost it; erin, of bob's clan, that the clan lost it.
            await h.server.runtime.drainConsumers()
            let told = try await ["bob", "erin"].asyncMap { user in
                ((try await h.call(.get, "/v1/me/notifications", as: user).1["notifications"] as? [[String: Any]]) ?? []).filter {
                    ($0["type"] as? String)?.contains("territory") == true && ($0["type"] as? String) != "territory.challenged"
                }.map { "\($0["type"] as? String ?? "")/\(($0["payload"] as? [String: Any])?["clanId"] as? String ?? "")" }
            }
            #expect(told == [["territory.lost/k1"], ["clan.territory_lost/k1"]], "\(told)")

            // The map and the leaderboards read the records.
            await h.server.runtime.drainConsumers()
            let (_, map) = try await h.call(.get, "/v1/territories?bbox=0,1,2,3", as: "dave")
            let rows = map["territories"] as? [[String: Any]]
            #expect(rows?.count == 1 && rows?.first?["ownerId"] as? String == "dave" && rows?.first?["clanId"] as? String == "k2")
            #expect(((try await h.call(.get, "/v1/territories?near=1,2&radiusKm=1", as: "dave").1["territories"]) as? [Any])?.count == 1)
            #expect(((try await h.call(.get, "/v1/territories?near=1.5,2&radiusKm=10", as: "dave").1["territories"]) as? [Any])?.count == 0)
            let (_, board) = try await h.call(.get, "/v1/leaderboards/clans", as: "dave")
            #expect((board["rows"] as? [[String: Any]])?.map { $0["id"] as? String } == ["k2"])
            let (_, players) = try await h.call(.get, "/v1/leaderboards/players", as: "dave")
            #expect((players["rows"] as? [[String: Any]])?.first?["territories"] as? Int == 1)
        }
    }

    @Test("a challenge declined or withdrawn leaves the territory as it was; a cancelled match abandons the contest")
    func noResult() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            _ = try await h.call(.post, "/v1/territories", as: "alice", ["id": "tr1", "venueId": "v1"])
            _ = try await h.call(.post, "/v1/territories/tr1/challenges", as: "bob", ["opponentId": "carol"])
            #expect(try await h.call(.post, "/v1/territories/tr1/challenges/decline", as: "carol").0 == .ok)
            _ = try await h.call(.post, "/v1/territories/tr1/challenges", as: "bob", ["opponentId": "carol"])
            #expect(try await h.call(.delete, "/v1/territories/tr1/challenges", as: "bob").0 == .ok)
            _ = try await h.call(.post, "/v1/territories/tr1/challenges", as: "bob", ["opponentId": "carol"])
            let (_, accepted) = try await h.call(.post, "/v1/territories/tr1/challenges/accept", as: "carol")
            let match = try #require(((accepted["territory"] as? [String: Any])?["contest"] as? [String: Any])?["matchID"] as? String)
            // The venue's staff cancel the match: the contest ends, nobody holds the territory.
            #expect(try await h.call(.post, "/v1/matches/\(match)/cancel", as: "alice").0 == .ok)
            await h.server.runtime.drainConsumers()
            let (_, after) = try await h.call(.get, "/v1/territories/tr1", as: "bob")
            let territory = after["territory"] as? [String: Any]
            #expect(territory?["ownerId"] == nil && territory?["contest"] == nil)
        }
    }

    @Test("bad input on the territory routes: clear errors, nothing changed")
    func badInput() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            _ = try await h.call(.post, "/v1/territories", as: "alice", ["id": "tr1", "venueId": "v1"])
            let cases: [(HTTPRequest.Method, String, [String: Any]?, HTTPResponse.Status, String)] = [
                (.post, "/v1/territories", ["venueId": "nowhere"], .unprocessableContent, "territory.unknown_venue"),
                (.post, "/v1/territories", ["venueId": "a b"], .unprocessableContent, "territory.unknown_venue"),
                (.post, "/v1/territories", ["venueId": 7], .badRequest, "invalid_json"),
                (.post, "/v1/territories/tr1/challenges", [:], .unprocessableContent, "territory.opponent_required"),
                (.post, "/v1/territories/tr1/challenges", ["opponentId": "ghost"], .unprocessableContent, "territory.unknown_user"),
                (.post, "/v1/territories/tr1/challenges", ["opponentId": "bob"], .unprocessableContent, "territory.wrong_opponent"),
                (.post, "/v1/territories/tr1/challenges/accept", [:], .conflict, "territory.no_challenge"),
                (.post, "/v1/territories/nope/challenges", ["opponentId": "carol"], .notFound, "territory.not_found"),
                (.get, "/v1/territories?bbox=1,2,3", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?bbox=3,2,1,4", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?bbox=0,0,45,45", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?bbox=nan,0,1,1", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?near=91,0", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?near=1,2&radiusKm=501", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?near=1,2&radiusKm=-1", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?radiusKm=5", nil, .badRequest, "invalid_query"),
                (.get, "/v1/territories?limit=501", nil, .badRequest, "invalid_query"),
                (.get, "/v1/leaderboards/venues", nil, .notFound, "leaderboard.not_found"),
                (.get, "/v1/leaderboards/clans?offset=-1", nil, .badRequest, "invalid_query"),
            ]
            for (method, uri, body, status, expected) in cases {
                let (got, answer) = try await h.call(method, uri, as: "bob", body)
                #expect(got == status && code(answer) == expected, "\(method) \(uri): \(got) \(answer)")
            }
            let longName = try await h.call(
                .post,
                "/v1/territories",
                as: "alice",
                ["id": "tr3", "venueId": "v1", "name": String(repeating: "n", count: 81)]
            )
            #expect(longName.0 == .unprocessableContent && code(longName.1) == "territory.invalid_name")
            let (_, territory) = try await h.call(.get, "/v1/territories/tr1", as: "bob")
            #expect(territory["sequence"] as? Int == 1, "nothing was recorded by the refusals")
        }
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
