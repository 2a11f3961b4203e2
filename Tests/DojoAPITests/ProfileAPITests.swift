import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Profiles and settings")
struct ProfileAPITests {
    @Test("my profile: read, change, clear with null; bad input is refused with its code and changes nothing; the clan is read-only from the clan")
    func profile() async throws {
        try await withGateway { h in
            var (status, body) = try await h.call(.get, "/v1/me/profile", as: "bob")
            #expect(status == .ok && body["username"] as? String == "bob" && body["displayName"] == nil && body["private"] as? Bool == false)
            (status, body) = try await h.call(
                .patch,
                "/v1/me/profile",
                as: "bob",
                ["displayName": "  Bob the Breaker ", "bio": "Nine-ball.\nTuesdays.", "avatarUrl": "https://img.example/b.png", "location": "Leeds"]
            )
            #expect(status == .ok, "\(body)")
            #expect(body["displayName"] as? String == "Bob the Breaker" && body["bio"] as? String == "Nine-ball.\nTuesdays.")
            #expect(body["avatarUrl"] as? String == "https://img.example/b.png" && body["location"] as? String == "Leeds")
            for (field, value, expected) in [
                ("bio", String(repeating: "x", count: 501), "profile.invalid_bio"),
                ("avatarUrl", "javascript:alert(1)", "profile.invalid_avatar_url"),
                ("avatarUrl", "http://img.example/b.png", "profile.invalid_avatar_url"),
                ("avatarUrl", "https://user:pw@img.example/b.png", "profile.invalid_avatar_url"),
                ("avatarUrl", "https:///nohost", "profile.invalid_avatar_url"),
                ("displayName", "", "profile.invalid_display_name"),
                ("displayName", "Bob\u{0007}", "profile.invalid_display_name"),
                ("displayName", String(repeating: "b", count: 51), "profile.invalid_display_name"),
                ("location", "Leeds\u{0000}", "profile.invalid_location"),
            ] {
                let (refused, answer) = try await h.call(.patch, "/v1/me/profile", as: "bob", [field: value])
                #expect(refused.code == 422 && code(answer) == expected, "\(field)=\(value.prefix(20)): \(answer)")
            }
            #expect(try await h.call(.patch, "/v1/me/profile", as: "bob", ["bio": 42]).0 == .badRequest)
            (_, body) = try await h.call(.get, "/v1/me/profile", as: "bob")
            #expect(body["displayName"] as? String == "Bob the Breaker" && body["avatarUrl"] as? String == "https://img.example/b.png")
            // null clears, absent keeps.
            (status, body) = try await h.call(.patch, "/v1/me/profile", as: "bob", ["bio": NSNull()])
            #expect(status == .ok && body["bio"] == nil && body["displayName"] as? String == "Bob the Breaker")
            // The clan comes from the clan.
            try await h.clan("k1", name: "Breakers", leader: "alice", members: ["bob"])
            await h.server.runtime.drainConsumers()
            (_, body) = try await h.call(.get, "/v1/me/profile", as: "alice")
            #expect(
                (body["clan"] as? [String: Any])?["name"] as? String == "Breakers" && (body["clan"] as? [String: Any])?["role"] as? String == "LEADER"
            )
            (_, body) = try await h.call(.get, "/v1/me/profile", as: "bob")
            #expect((body["clan"] as? [String: Any])?["role"] as? String == "MEMBER")
            #expect(try await h.client.execute(uri: "/v1/me/profile", method: .get) { $0.status } == .unauthorized)
        }
    }

    @Test("settings: defaults, notifications by channel, BCP 47 language, IANA timezone, privacy; bad values refused")
    func settings() async throws {
        try await withGateway { h in
            var (status, body) = try await h.call(.get, "/v1/me/settings", as: "carol")
            #expect(
                status == .ok && body["language"] as? String == "en" && body["timezone"] as? String == "UTC" && body["privacy"] as? String == "public"
            )
            (status, body) = try await h.call(
                .patch,
                "/v1/me/settings",
                as: "carol",
                ["notifications": ["email": false], "language": "pt-BR", "timezone": "Europe/London", "darkMode": true]
            )
            #expect(status == .ok, "\(body)")
            #expect(
                (body["notifications"] as? [String: Any])?["email"] as? Bool == false
                    && (body["notifications"] as? [String: Any])?["push"] as? Bool == true
            )
            #expect(body["language"] as? String == "pt-BR" && body["timezone"] as? String == "Europe/London" && body["darkMode"] as? Bool == true)
            for (field, value, expected) in [
                ("language", "en_US", "settings.invalid_language"), ("language", "e", "settings.invalid_language"),
                ("language", "en-", "settings.invalid_language"), ("timezone", "Mars/Olympus", "settings.invalid_timezone"),
                ("timezone", "London", "settings.invalid_timezone"), ("privacy", "friends", "settings.invalid_privacy"),
            ] {
                let (refused, answer) = try await h.call(.patch, "/v1/me/settings", as: "carol", [field: value])
                #expect(refused.code == 422 && code(answer) == expected, "\(field)=\(value): \(answer)")
            }
            (_, body) = try await h.call(.get, "/v1/me/settings", as: "carol")
            #expect(body["language"] as? String == "pt-BR" && body["timezone"] as? String == "Europe/London")
        }
    }

    @Test("public profiles honour privacy (profile, rating, search); the search is a bounded prefix match with LIKE's wildcards literal")
    func privacy() async throws {
        try await withGateway { h in
            _ = try await h.call(.patch, "/v1/me/profile", as: "bob", ["displayName": "Bobby Tables", "location": "Leeds"])
            var (status, body) = try await h.call(.get, "/v1/users/bob", as: "carol")
            #expect(status == .ok && body["displayName"] as? String == "Bobby Tables" && body["location"] as? String == "Leeds")
            let anonymous = try await h.client.execute(uri: "/v1/users/bob", method: .get) { $0.status }
            #expect(anonymous == .ok)
            #expect(try await h.call(.get, "/v1/users/ghost", as: "carol").0 == .notFound)
            (_, body) = try await h.call(.get, "/v1/users?q=bo", as: "carol")
            #expect((body["users"] as? [[String: Any]])?.map { $0["userId"] as? String } == ["bob"])
            (_, body) = try await h.call(.get, "/v1/users?q=BOBBY", as: "carol")
            #expect((body["users"] as? [[String: Any]])?.count == 1)
            (_, body) = try await h.call(.get, "/v1/users?q=%25%25", as: "carol")
            #expect((body["users"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await h.call(.get, "/v1/users?q=b", as: "carol").0 == .badRequest)
            #expect(try await h.call(.get, "/v1/users?q=bo&limit=21", as: "carol").0 == .badRequest)

            _ = try await h.call(.patch, "/v1/me/settings", as: "bob", ["privacy": "private"])
            (status, body) = try await h.call(.get, "/v1/users/bob", as: "carol")
            #expect(status == .ok && body["private"] as? Bool == true && body["username"] as? String == "bob" && body["displayName"] == nil)
            (_, body) = try await h.call(.get, "/v1/users/bob", as: "bob")
            #expect(body["displayName"] as? String == "Bobby Tables")
            (_, body) = try await h.call(.get, "/v1/users/bob", as: "root", role: "ADMIN")
            #expect(body["displayName"] as? String == "Bobby Tables")
            (_, body) = try await h.call(.get, "/v1/users?q=bo", as: "carol")
            #expect((body["users"] as? [[String: Any]])?.first?["location"] == nil)
            (status, body) = try await h.call(.get, "/v1/users/bob/rating", as: "carol")
            #expect(status == .forbidden && code(body) == "user.private")
            #expect(try await h.call(.get, "/v1/users/bob/rating", as: "bob").0 == .ok)
        }
    }

    @Test(
        "deleting an account: personal data gone from every table, the match history and rating kept without a name; a clan leader with members is refused"
    )
    func deletion() async throws {
        try await withGateway { h in
            _ = try await h.call(.patch, "/v1/me/profile", as: "bob", ["displayName": "Bob", "bio": "hi", "location": "Leeds"])
            _ = try await h.call(.patch, "/v1/me/settings", as: "bob", ["language": "fr"])
            _ = try await h.rest("/v1/matches/m1/start")
            for _ in 0..<5 { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"B"}"#) }
            try await h.clan("k1", leader: "alice", members: ["bob"])
            await h.server.runtime.drainConsumers()
            try await h.server.storage.withSQL { db in
                try await db.raw("INSERT INTO wallets (id, user_id, chain, address) VALUES ('w-bob', 'bob', 'solana', 'addr')").run()
            }
            #expect(code(try await h.call(.delete, "/v1/me", as: "bob").1) == "account.confirm_required")
            // Alice leads a clan with a member: refused, nothing deleted.
            let (refused, body) = try await h.call(.delete, "/v1/me", as: "alice", ["confirm": true])
            #expect(refused == .conflict && code(body) == "account.clan_leader", "\(body)")
            #expect(try await h.call(.get, "/v1/users/alice", as: "carol").1["username"] as? String == "alice")

            let (deleted, _) = try await h.call(.delete, "/v1/me", as: "bob", ["confirm": true])
            #expect(deleted == .ok)
            await h.server.runtime.drainConsumers()
            let (status, profile) = try await h.call(.get, "/v1/users/bob", as: "carol")
            #expect(status == .ok && profile["username"] as? String == "deleted-bob" && profile["displayName"] == nil && profile["location"] == nil)
            #expect(profile["clan"] == nil)
            let rows = try await h.server.storage.withSQL { db -> [String: Int] in
                var counts: [String: Int] = [:]
                for table in ["user_settings", "refresh_tokens", "wallets", "check_ins", "notifications"] {
                    counts[table] = try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE user_id = 'bob'").first()?.decode(
                        column: "n",
                        as: Int.self
                    )
                }
                counts["email"] = try await db.raw("SELECT COUNT(*) AS n FROM users WHERE email LIKE '%bob%' AND email NOT LIKE 'deleted-%'").first()?
                    .decode(column: "n", as: Int.self)
                return counts
            }
            #expect(rows.values.allSatisfy { $0 == 0 }, "\(rows)")
            // The history stays: the match, its winner, the rating.
            let (_, match) = try await h.call(.get, "/v1/matches/m1", as: "carol")
            #expect((match["match"] as? [String: Any])?["playerB"] as? String == "bob")
            #expect(try await h.call(.get, "/v1/users/bob/rating", as: "carol").1["games"] as? Int == 1)
            // The clan no longer has bob; alice can leave the platform now that she leads alone.
            let (_, clan) = try await h.call(.get, "/v1/clans/k1", as: "alice")
            #expect((clan["clan"] as? [String: Any])?["memberCount"] as? Int == 1)
            #expect(try await h.call(.delete, "/v1/me", as: "alice", ["confirm": true]).0 == .ok)
        }
    }
}
