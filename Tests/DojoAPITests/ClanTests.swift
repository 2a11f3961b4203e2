import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import DojoAPI
@testable import DojoServer

extension GatewayHarness {
    /// A REST call as `user` (through the service key), with its status and JSON body.
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        as user: String,
        role: String? = nil,
        _ body: [String: Any]? = nil
    ) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        var fields = serviceHeaders(user, role: role)
        fields[.contentType] = "application/json"
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try await client.execute(uri: uri, method: method, headers: fields, body: data.map { ByteBuffer(bytes: $0) }) { response in
            (response.status, try jsonObject(response.body.readableBytesView))
        }
    }

    /// Clan `id` led by `leader`, with `members` invited and accepted.
    func clan(_ id: String, name: String? = nil, leader: String, members: [String] = []) async throws {
        let (status, body) = try await call(.post, "/v1/clans", as: leader, ["id": id, "name": name ?? "Clan \(id)"])
        #expect(status == .created, "\(body)")
        for member in members {
            #expect(try await call(.post, "/v1/clans/\(id)/invitations", as: leader, ["userId": member]).0 == .ok)
            #expect(try await call(.post, "/v1/clans/\(id)/members", as: member, [:]).0 == .ok)
        }
    }
}

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Clans through the real server")
struct ClanAPITests {
    @Test("a clan from its founding to its disbanding: names unique in any case, one clan per player, ranks, the records follow")
    func lifecycle() async throws {
        try await withGateway { h in
            try await seedUsers(["dave"], in: h.server.storage)
            let (created, body) = try await h.call(.post, "/v1/clans", as: "alice", ["id": "k1", "name": "Breakers", "description": "Tuesdays"])
            #expect(created == .created, "\(body)")
            let clan = body["clan"] as? [String: Any]
            #expect(clan?["leaderId"] as? String == "alice" && clan?["memberCount"] as? Int == 1 && clan?["name"] as? String == "Breakers")
            #expect((body["events"] as? [[String: Any]])?.first?["type"] as? String == "clan.created")
            // The name in another case, width or spacing is taken.
            for name in ["BREAKERS", " breakers ", "Ｂｒｅａｋｅｒｓ"] {
                let (status, taken) = try await h.call(.post, "/v1/clans", as: "bob", ["name": name])
                #expect(status == .conflict && code(taken) == "clan.name_taken", "\(name): \(taken)")
            }
            // Bob is invited and accepts; he cannot found a second clan while in this one.
            #expect(try await h.call(.post, "/v1/clans/k1/invitations", as: "alice", ["userId": "bob"]).0 == .ok)
            let accepted = try await h.call(.post, "/v1/clans/k1/members", as: "bob")
            #expect(accepted.0 == .ok && (accepted.1["clan"] as? [String: Any])?["memberCount"] as? Int == 2)
            let second = try await h.call(.post, "/v1/clans", as: "bob", ["name": "Other"])
            #expect(second.0 == .conflict && code(second.1) == "clan.member_elsewhere")
            // Carol asks; a member (bob) cannot accept; the leader can.
            #expect(try await h.call(.post, "/v1/clans/k1/requests", as: "carol").0 == .ok)
            let byMember = try await h.call(.post, "/v1/clans/k1/members", as: "bob", ["userId": "carol"])
            #expect(byMember.0 == .forbidden && code(byMember.1) == "forbidden")
            let applications = try await h.call(.get, "/v1/clans/k1/applications", as: "alice")
            #expect((applications.1["requests"] as? [[String: Any]])?.map { $0["userId"] as? String } == ["carol"])
            #expect(try await h.call(.get, "/v1/clans/k1/applications", as: "bob").0 == .forbidden)
            #expect(try await h.call(.post, "/v1/clans/k1/members", as: "alice", ["userId": "carol"]).0 == .ok)
            // Roles: alice makes carol an officer; carol removes bob (a member); carol cannot remove alice.
            let promoted = try await h.call(.patch, "/v1/clans/k1/members/carol", as: "alice", ["role": "OFFICER"])
            #expect(promoted.0 == .ok, "\(promoted.1)")
            let leaderRole = try await h.call(.patch, "/v1/clans/k1/members/alice", as: "carol", ["role": "MEMBER"])
            #expect(leaderRole.0 == .conflict && code(leaderRole.1) == "clan.leader_role")
            #expect(try await h.call(.delete, "/v1/clans/k1/members/alice", as: "carol").0 == .forbidden)
            #expect(try await h.call(.delete, "/v1/clans/k1/members/bob", as: "carol").0 == .ok)
            // Bob is free again: he founds his own clan.
            #expect(try await h.call(.post, "/v1/clans", as: "bob", ["id": "k2", "name": "Sharks"]).0 == .created)
            let members = try await h.call(.get, "/v1/clans/k1/members", as: "dave")
            #expect((members.1["members"] as? [[String: Any]])?.map { $0["userId"] as? String } == ["alice", "carol"])
            #expect((members.1["members"] as? [[String: Any]])?.first?["leader"] as? Bool == true)
            let page = try await h.call(.get, "/v1/clans/k1/members?limit=1", as: "dave")
            #expect(page.1["next"] as? String == "alice")
            #expect(((try await h.call(.get, "/v1/clans/k1/members?after=alice", as: "dave").1["members"]) as? [[String: Any]])?.count == 1)
            // The leader hands over and leaves; the new leader disbands; the name is free.
            #expect(try await h.call(.post, "/v1/clans/k1/leader", as: "alice", ["userId": "carol"]).0 == .ok)
            #expect(try await h.call(.delete, "/v1/clans/k1/members/alice", as: "alice").0 == .ok)
            let described = try await h.call(.patch, "/v1/clans/k1", as: "carol", ["description": "Wednesdays now"])
            #expect((described.1["clan"] as? [String: Any])?["description"] as? String == "Wednesdays now")
            await h.server.runtime.drainConsumers()
            let listed = try await h.call(.get, "/v1/clans?q=break", as: "dave")
            let rows = listed.1["clans"] as? [[String: Any]]
            #expect(rows?.count == 1 && rows?.first?["leaderId"] as? String == "carol" && rows?.first?["memberCount"] as? Int == 1)
            #expect(try await h.call(.delete, "/v1/clans/k1", as: "carol").0 == .ok)
            let gone = try await h.call(.get, "/v1/clans/k1", as: "dave")
            #expect((gone.1["clan"] as? [String: Any])?["disbanded"] as? Bool == true)
            #expect(code(try await h.call(.post, "/v1/clans/k1/requests", as: "dave").1) == "clan.disbanded")
            #expect(try await h.call(.post, "/v1/clans", as: "alice", ["id": "k3", "name": "breakers"]).0 == .created)
            await h.server.runtime.drainConsumers()
            let after = try await h.call(.get, "/v1/clans", as: "dave")
            #expect((after.1["clans"] as? [[String: Any]])?.map { $0["id"] as? String } == ["k2", "k3"])
            let membership = try await h.server.storage.withSQL { db in
                try await db.select().columns("user_id", "clan_id", "role").from("clan_members").orderBy("user_id").all()
                    .map { "\(try $0.decode(column: "user_id", as: String.self))@\(try $0.decode(column: "clan_id", as: String.self))" }
            }
            #expect(membership == ["alice@k3", "bob@k2"])
        }
    }

    @Test("the clan room: members only, every event live, a removed member loses the room at once; socket commands answer with REST's codes")
    func room() async throws {
        try await withGateway { h in
            try await h.clan("k1", leader: "alice", members: ["bob"])
            let alice = try await h.socket(as: "alice")
            let ack = try await h.subscribe(alice, "clan:k1")
            #expect(ack["seq"] as? Int == 3 && ack["epoch"] as? String == "log")
            let snapshot = try await alice.next(type: "snapshot")
            #expect((snapshot["state"] as? [String: Any])?["memberCount"] as? Int == 2)
            let bob = try await h.socket(as: "bob")
            _ = try await h.subscribe(bob, "clan:k1", id: "b")
            let carol = try await h.socket(as: "carol")
            try await carol.send(json: ["type": "subscribe", "room": "clan:k1", "id": 1])
            #expect(try await carol.next(type: "error")["code"] as? String == "forbidden")
            // A non-member's command over the socket: the same code as over REST.
            try await carol.send(json: ["type": "command", "room": "clan:k1", "command": ["type": "invite", "userId": "carol"], "id": 2])
            let refused = try await carol.next(type: "error")
            let rest = try await h.call(.post, "/v1/clans/k1/invitations", as: "carol", ["userId": "carol"])
            #expect(refused["code"] as? String == code(rest.1) && refused["code"] as? String == "forbidden")
            // Carol asks over the socket; alice accepts over the socket; bob sees both live, in order.
            try await carol.send(json: ["type": "command", "room": "clan:k1", "command": ["type": "requestToJoin"], "commandId": "c-1", "id": 3])
            #expect(try await carol.next(type: "ack")["sequence"] as? Int == 4)
            try await alice.send(json: ["type": "command", "room": "clan:k1", "command": ["type": "accept", "userId": "carol"], "id": 4])
            #expect(try await alice.next(type: "ack")["sequence"] as? Int == 5)
            let requested = try await bob.next(type: "event")
            #expect(requested["eventType"] as? String == "clan.join_requested" && requested["seq"] as? Int == 4)
            let joined = try await bob.next(type: "event")
            #expect(joined["eventType"] as? String == "clan.member_joined" && joined["seq"] as? Int == 5)
            // Carol, a member now, follows the room.
            _ = try await h.subscribe(carol, "clan:k1", id: "c")
            // Bob is removed: his subscription ends with room.access_revoked; he cannot come back.
            try await alice.send(json: ["type": "command", "room": "clan:k1", "command": ["type": "kick", "userId": "bob"], "id": 5])
            _ = try await alice.next(type: "ack")
            let revoked = try await bob.next(type: "error")
            #expect(revoked["code"] as? String == "room.access_revoked" && revoked["room"] as? String == "clan:k1")
            try await bob.send(json: ["type": "subscribe", "room": "clan:k1", "id": 6])
            #expect(try await bob.next(type: "error")["code"] as? String == "forbidden")
            let kicked = try await carol.next(type: "event")
            #expect(kicked["eventType"] as? String == "clan.member_kicked" && kicked["seq"] as? Int == 6)
            // Malformed clan commands over the socket.
            try await alice.send(json: ["type": "command", "room": "clan:k1", "command": ["type": "promote"], "id": 7])
            #expect(try await alice.next(type: "error")["code"] as? String == "invalid_command")
            try await alice.send(json: [
                "type": "command", "room": "clan:k1", "command": ["type": "setRole", "userId": "carol", "role": "LEADER"], "id": 8,
            ])
            let badRole = try await alice.next(type: "error")
            #expect(badRole["code"] as? String == "invalid_command", "\(badRole)")
        }
    }

    @Test("one player, two clans accepting at once: exactly one membership")
    func oneClanUnderRace() async throws {
        try await withGateway { h in
            try await seedUsers(["dave", "erin"], in: h.server.storage)
            for round in 0..<5 {
                let player = "p\(round)"
                try await seedUsers([player], in: h.server.storage)
                let clans = ["r\(round)a", "r\(round)b", "r\(round)c"]
                for (index, clan) in clans.enumerated() {
                    try await h.clan(clan, leader: ["carol", "dave", "erin"][index])
                    #expect(
                        try await h.call(.post, "/v1/clans/\(clan)/invitations", as: ["carol", "dave", "erin"][index], ["userId": player]).0 == .ok
                    )
                }
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for clan in clans { group.addTask { try await h.call(.post, "/v1/clans/\(clan)/members", as: player).0 } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .ok }.count == 1 && statuses.filter { $0 == .conflict }.count == 2, "\(statuses)")
                var memberships = 0
                for clan in clans where try await h.server.runtime.isClanMember(clan: clan, user: player) { memberships += 1 }
                #expect(memberships == 1)
                // Free the leaders for the next round.
                for (index, clan) in clans.enumerated() { _ = try await h.call(.delete, "/v1/clans/\(clan)", as: ["carol", "dave", "erin"][index]) }
            }
        }
    }

    @Test("a stale reservation (a crash between reserving and recording) is taken over; a fresh one is respected")
    func staleClaims() async throws {
        try await withGateway { h in
            let storage = h.server.storage
            // A claim on bob by a clan that never recorded him, long ago: taken over.
            _ = try await storage.claim("clan.member", "bob", owner: "ghost", at: Date(timeIntervalSinceNow: -3_600))
            _ = try await storage.claim("clan.name", Clan.normalizedName("Breakers"), owner: "ghost", at: Date(timeIntervalSinceNow: -3_600))
            let (status, body) = try await h.call(.post, "/v1/clans", as: "bob", ["id": "k1", "name": "Breakers"])
            #expect(status == .created, "\(body)")
            #expect(try await storage.claimHolder("clan.member", "bob")?.owner == "k1")
            // A fresh claim on carol by another clan (its command may be in flight): refused for now.
            _ = try await storage.claim("clan.member", "carol", owner: "k9", at: Date())
            let fresh = try await h.call(.post, "/v1/clans", as: "carol", ["name": "Fresh"])
            #expect(fresh.0 == .conflict && code(fresh.1) == "clan.member_elsewhere")
            // A refused command releases what it reserved: the name "Fresh" is not held.
            #expect(try await storage.claimHolder("clan.name", Clan.normalizedName("Fresh")) == nil)
        }
    }

    @Test("bad input on the clan routes: clear errors, nothing changed")
    func badInput() async throws {
        try await withGateway { h in
            try await h.clan("k1", leader: "alice")
            let cases: [(HTTPRequest.Method, String, [String: Any]?, HTTPResponse.Status, String)] = [
                (.post, "/v1/clans", ["name": "ab"], .unprocessableContent, "clan.invalid_name"),
                (.post, "/v1/clans", ["name": String(repeating: "x", count: 200)], .unprocessableContent, "clan.invalid_name"),
                (.post, "/v1/clans", ["name": "Zero\u{0}Byte"], .unprocessableContent, "clan.invalid_name"),
                (.post, "/v1/clans", ["name": 42], .badRequest, "invalid_json"),
                (.post, "/v1/clans", [:], .badRequest, "invalid_json"),
                (.post, "/v1/clans", ["id": "no spaces", "name": "Valid"], .unprocessableContent, "invalid_id"),
                (
                    .post, "/v1/clans", ["name": "Valid", "description": String(repeating: "d", count: 501)], .unprocessableContent,
                    "clan.invalid_description"
                ),
                (.get, "/v1/clans/nope/members", nil, .notFound, "clan.not_found"),
                (.get, "/v1/clans/nope", nil, .notFound, "clan.not_found"),
                (.post, "/v1/clans/nope/requests", nil, .notFound, "clan.not_found"),
                (.post, "/v1/clans/k1/invitations", ["userId": "ghost"], .unprocessableContent, "clan.unknown_user"),
                (.post, "/v1/clans/k1/invitations", ["userId": "a b"], .unprocessableContent, "clan.unknown_user"),
                (.patch, "/v1/clans/k1/members/alice", ["role": "LEADER"], .badRequest, "invalid_json"),
                (.get, "/v1/clans?limit=0", nil, .badRequest, "invalid_query"),
                (.get, "/v1/clans?limit=201", nil, .badRequest, "invalid_query"),
                (.get, "/v1/clans?after=%27%3B", nil, .badRequest, "invalid_query"),
                (.get, "/v1/clans?q=" + String(repeating: "q", count: 65), nil, .badRequest, "invalid_query"),
                (.get, "/v1/clans/k1/members?limit=501", nil, .badRequest, "invalid_query"),
                (.post, "/v1/clans/k1/commands", ["type": "conquer"], .unprocessableContent, "invalid_command"),
            ]
            for (method, uri, body, status, expected) in cases {
                let (got, answer) = try await h.call(method, uri, as: "bob", body)
                #expect(got == status && code(answer) == expected, "\(method) \(uri): \(got) \(answer)")
            }
            let clan = try await h.call(.get, "/v1/clans/k1", as: "bob")
            #expect(clan.1["sequence"] as? Int == 1, "nothing was recorded by the refusals")
        }
    }

    @Test("a clan war over REST: both clan rooms see the running score; the target ends it; the war leaderboard follows; bad wars refused")
    func war() async throws {
        try await withGateway { h in
            try await seedUsers(["dave"], in: h.server.storage)
            try await h.clan("k1", name: "Breakers", leader: "alice", members: ["bob"])
            try await h.clan("k2", name: "Sharks", leader: "carol", members: ["dave"])
            let breakers = try await h.socket(as: "bob")
            _ = try await h.subscribe(breakers, "clan:k1")
            _ = try await breakers.next(type: "snapshot")
            let sharks = try await h.socket(as: "dave")
            _ = try await h.subscribe(sharks, "clan:k2")
            _ = try await sharks.next(type: "snapshot")
            for (body, status, expected) in [
                (["opponentId": "k1", "target": 2], HTTPResponse.Status.unprocessableContent, "clan.war_self"),
                (["opponentId": "nobody", "target": 2], .unprocessableContent, "clan.unknown_opponent"),
                (["opponentId": "k2", "target": 0], .unprocessableContent, "clan.invalid_war"),
                (["opponentId": "k2", "target": 2, "hours": 100_000], .unprocessableContent, "clan.invalid_war"),
                (["opponentId": "k2"], .badRequest, "invalid_json"),
            ] as [([String: Any], HTTPResponse.Status, String)] {
                let (got, answer) = try await h.call(.post, "/v1/clans/k1/wars", as: "alice", body)
                #expect(got == status && code(answer) == expected, "\(body): \(got) \(answer)")
            }
            #expect(try await h.call(.post, "/v1/clans/k1/wars", as: "bob", ["opponentId": "k2", "target": 2]).0 == .forbidden)
            let (declared, body) = try await h.call(
                .post,
                "/v1/clans/k1/wars",
                as: "alice",
                ["warId": "w1", "opponentId": "k2", "target": 2, "hours": 24]
            )
            #expect(declared == .created, "\(body)")
            let again = try await h.call(.post, "/v1/clans/k1/wars", as: "alice", ["warId": "w2", "opponentId": "k2", "target": 2])
            #expect(again.0 == .conflict && code(again.1) == "clan.war_exists")
            #expect(try await breakers.next(type: "event")["eventType"] as? String == "clan.war_started")
            #expect(try await sharks.next(type: "event")["eventType"] as? String == "clan.war_started")
            // Bob (Breakers) beats dave (Sharks) twice: the target.
            for match in ["wm1", "wm2"] {
                _ = try await h.call(
                    .post,
                    "/v1/matches",
                    as: "bob",
                    ["id": match, "playerA": "bob", "playerB": "dave", "gameType": "8-ball", "raceTo": 1]
                )
                _ = try await h.call(.post, "/v1/matches/\(match)/start", as: "bob")
                #expect(try await h.call(.post, "/v1/matches/\(match)/racks", as: "bob", ["winner": "A"]).0 == .ok)
            }
            var seen: [String] = []
            for _ in 0..<3 { seen.append(try await sharks.next(type: "event")["eventType"] as? String ?? "") }
            #expect(seen == ["clan.war_scored", "clan.war_scored", "clan.war_ended"])
            let (_, wars) = try await h.call(.get, "/v1/clans/k1/wars", as: "dave")
            let first = (wars["wars"] as? [[String: Any]])?.first
            #expect(first?["status"] as? String == "won" && first?["ours"] as? Int == 2 && first?["opponentId"] as? String == "k2")
            let (_, theirs) = try await h.call(.get, "/v1/clans/k2/wars", as: "dave")
            #expect((theirs["wars"] as? [[String: Any]])?.first?["status"] as? String == "lost")
            await h.server.runtime.drainConsumers()
            let (_, board) = try await h.call(.get, "/v1/leaderboards/clans?by=wars", as: "dave")
            #expect((board["rows"] as? [[String: Any]])?.map { $0["id"] as? String } == ["k1"])
            #expect(try await h.call(.get, "/v1/leaderboards/players?by=wars", as: "dave").0 == .badRequest)
            // Nobody ends a war by a command: the deadline is the server's timer.
            let forged = try await h.call(.post, "/v1/clans/k2/commands", as: "carol", ["type": "endWar", "warId": "w1"])
            #expect(forged.0 == .forbidden)
        }
    }

    @Test("members of the wrong clan and non-admins: refused on every clan route and socket command, nothing recorded")
    func wrongClan() async throws {
        try await withGateway { h in
            try await seedUsers(["dave", "erin"], in: h.server.storage)
            try await h.clan("k1", name: "Breakers", leader: "alice", members: ["bob"])
            try await h.clan("k2", name: "Sharks", leader: "carol", members: ["dave"])
            _ = try await h.call(.post, "/v1/clans/k1/requests", as: "erin")
            let before = try await h.call(.get, "/v1/clans/k1", as: "erin").1["sequence"] as? Int
            // Carol leads k2: in k1 she is an outsider, whatever her rank at home.
            let routes: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.patch, "/v1/clans/k1", ["description": "taken over"]),
                (.delete, "/v1/clans/k1", nil),
                (.post, "/v1/clans/k1/invitations", ["userId": "erin"]),
                (.delete, "/v1/clans/k1/requests/erin", nil),
                (.post, "/v1/clans/k1/members", ["userId": "erin"]),
                (.delete, "/v1/clans/k1/members/bob", nil),
                (.patch, "/v1/clans/k1/members/bob", ["role": "OFFICER"]),
                (.post, "/v1/clans/k1/leader", ["userId": "bob"]),
                (.post, "/v1/clans/k1/wars", ["opponentId": "k2", "target": 1]),
                (.get, "/v1/clans/k1/applications", nil),
            ]
            for (method, uri, body) in routes {
                for user in ["carol", "dave"] {
                    let (status, answer) = try await h.call(method, uri, as: user, body)
                    #expect(status == .forbidden && code(answer) == "forbidden", "\(user): \(method) \(uri) → \(status) \(answer)")
                }
            }
            let socket = try await h.socket(as: "carol")
            for command in [
                ["type": "invite", "userId": "erin"], ["type": "kick", "userId": "bob"], ["type": "setRole", "userId": "bob", "role": "OFFICER"],
                ["type": "disband"], ["type": "declareWar", "opponentId": "k2", "target": 1], ["type": "transferLeadership", "userId": "bob"],
            ] as [[String: Any]] {
                try await socket.send(json: ["type": "command", "room": "clan:k1", "command": command, "id": 1])
                #expect(try await socket.next(type: "error")["code"] as? String == "forbidden", "\(command)")
            }
            #expect(try await h.call(.get, "/v1/clans/k1", as: "erin").1["sequence"] as? Int == before, "nothing was recorded")
            // ADMIN moderates: removes a member.
            #expect(try await h.call(.delete, "/v1/clans/k1/members/bob", as: "root", role: "ADMIN").0 == .ok)
        }
    }
}
