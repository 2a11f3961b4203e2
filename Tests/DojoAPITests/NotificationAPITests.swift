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

@Suite("Notifications")
struct NotificationAPITests {
    @Test(
        "produced by challenges, wins (achievements) and tournaments; live in the user: room; paged with the unread count; read one, read all; stored once"
    )
    func notifications() async throws {
        try await withGateway { h in
            let bobRoom = try await h.socket(as: "bob")
            _ = try await h.subscribe(bobRoom, "user:bob")
            #expect(try await h.call(.post, "/v1/challenges", as: "alice", ["id": "nc", "defenderId": "bob"]).0 == .created)
            // Live: a notice for the notification (the challenge's own notice comes too).
            var live: [String: Any] = [:]
            for _ in 0..<5 {
                let notice = try await bobRoom.next(type: "notice")
                if notice["eventType"] as? String == "challenge.received" {
                    live = notice
                    break
                }
            }
            let view = live["view"] as? [String: Any]
            #expect(
                view?["type"] as? String == "challenge.received" && (view?["payload"] as? [String: Any])?["from"] as? String == "alice",
                "\(live)"
            )
            await h.server.runtime.drainConsumers()
            var (status, body) = try await h.call(.get, "/v1/me/notifications", as: "bob")
            var list = body["notifications"] as? [[String: Any]] ?? []
            #expect(status == .ok && list.map { $0["type"] as? String } == ["challenge.received"] && body["unread"] as? Int == 1)
            let id = try #require(list.first?["id"] as? String)

            // A won match: alice's first-win achievement is a notification too.
            _ = try await h.rest("/v1/matches/m1/start")
            for _ in 0..<5 { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"A"}"#) }
            await h.server.runtime.drainConsumers()
            (_, body) = try await h.call(.get, "/v1/me/notifications", as: "alice")
            list = body["notifications"] as? [[String: Any]] ?? []
            #expect(
                list.contains {
                    $0["type"] as? String == "achievement.earned" && ($0["payload"] as? [String: Any])?["achievement"] as? String == "first_win"
                }
            )

            // Read one, then all; someone else's id is not found.
            #expect(code(try await h.call(.post, "/v1/me/notifications/\(id)/read", as: "alice").1) == "notification.not_found")
            (status, body) = try await h.call(.post, "/v1/me/notifications/\(id)/read", as: "bob")
            #expect(status == .ok && body["unread"] as? Int == 0)
            (_, body) = try await h.call(.get, "/v1/me/notifications", as: "bob")
            #expect((body["notifications"] as? [[String: Any]])?.first?["read"] as? Bool == true)
            #expect(try await h.call(.post, "/v1/me/notifications/read-all", as: "alice").1["unread"] as? Int == 0)
            (_, body) = try await h.call(.get, "/v1/me/notifications", as: "alice")
            #expect(body["unread"] as? Int == 0)
            #expect(try await h.call(.get, "/v1/me/notifications?limit=0", as: "bob").0 == .badRequest)
            #expect(try await h.client.execute(uri: "/v1/me/notifications", method: .get) { $0.status } == .unauthorized)

            // Stored once: the same source again stores nothing.
            let record = NotificationRecord(id: "x@1:bob:t", userID: "bob", type: "t", payload: [:], createdAt: Date())
            #expect(try await h.server.storage.insertNotifications([record]).count == 1)
            #expect(try await h.server.storage.insertNotifications([record]).isEmpty)
        }
    }

    @Test("a tournament's match ready for both players, with its table")
    func tournamentMatchReady() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            _ = try await h.call(.post, "/v1/tournaments", as: "alice", ["id": "nt", "name": "Cup", "venueId": "v1", "format": "single_elimination"])
            for player in ["bob", "carol"] { _ = try await h.call(.post, "/v1/tournaments/nt/registrations", as: player, [:]) }
            #expect(try await h.call(.post, "/v1/tournaments/nt/start", as: "alice", [:]).0 == .ok)
            await h.server.runtime.drainConsumers()
            let (_, body) = try await h.call(.get, "/v1/me/notifications", as: "carol")
            let ready = (body["notifications"] as? [[String: Any]])?.first { $0["type"] as? String == "tournament.match_ready" }
            let payload = ready?["payload"] as? [String: Any]
            #expect(
                payload?["tournamentId"] as? String == "nt" && payload?["opponentId"] as? String == "bob" && payload?["tableId"] as? String == "t1",
                "\(body)"
            )
        }
    }

    @Test("a match put at a table tells its two players where to play, not the one who created it; moved to another table, both are told again")
    func matchReady() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let (created, body) = try await h.call(
                .post,
                "/v1/matches",
                as: "alice",
                role: "VENUE_ADMIN",
                ["id": "mr", "playerA": "bob", "playerB": "carol", "gameType": "9-ball", "raceTo": 3, "venueId": "v1", "tableId": "t1"]
            )
            #expect(created == .created, "\(body)")
            #expect(
                try await h.call(.post, "/v1/matches/mr/commands", as: "alice", role: "VENUE_ADMIN", ["type": "moveTable", "tableId": "t2"]).0 == .ok
            )
            await h.server.runtime.drainConsumers()
            for (user, opponent) in [("bob", "carol"), ("carol", "bob")] {
                let (_, list) = try await h.call(.get, "/v1/me/notifications", as: user)
                let ready = (list["notifications"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "match.ready" }
                let tables = ready.compactMap { ($0["payload"] as? [String: Any])?["tableId"] as? String }.sorted()
                #expect(tables == ["t1", "t2"], "\(user): \(list)")
                #expect(ready.allSatisfy { ($0["payload"] as? [String: Any])?["opponentId"] as? String == opponent })
            }
            let (_, alice) = try await h.call(.get, "/v1/me/notifications", as: "alice")
            #expect((alice["notifications"] as? [[String: Any]] ?? []).allSatisfy { $0["type"] as? String != "match.ready" })
        }
    }
}
