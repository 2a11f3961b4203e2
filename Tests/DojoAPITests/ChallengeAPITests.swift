import DojoDomain
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

extension GatewayHarness {
    /// An ADMIN grants `user` coins (one key per call).
    func grant(_ user: String, _ amount: Int) async throws {
        var headers = serviceHeaders("carol", role: "ADMIN")
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("Idempotency-Key")!] = "grant-\(user)-\(UUID().uuidString)"
        let body = #"{"userId":"\#(user)","amount":\#(amount),"reason":"test"}"#
        let status = try await client.execute(uri: "/v1/admin/grants", method: .post, headers: headers, body: ByteBuffer(string: body)) { $0.status }
        #expect(status == .created)
        await server.runtime.drainConsumers()
    }

    /// `user`'s balance once the ledger's reactions are done.
    func balance(_ user: String) async throws -> (available: Int, escrowed: Int) {
        await server.runtime.drainConsumers()
        let (_, body) = try await call(.get, "/v1/me/balance", as: user)
        return (body["available"] as? Int ?? -1, body["escrowed"] as? Int ?? -1)
    }
}

@Suite("Challenges with stakes through the real server")
struct ChallengeAPITests {
    @Test("a challenge with a stake: accepted (both stakes escrowed), the match played, the winner paid; both user: rooms follow it live")
    func stakeWonAndPaid() async throws {
        try await withGateway({ $0.runtime.challengeFeeBasisPoints = 500 }) { h in
            try await h.venueWithTables()
            try await h.grant("alice", 500)
            try await h.grant("bob", 300)
            let aliceRoom = try await h.socket(as: "alice")
            _ = try await h.subscribe(aliceRoom, "user:alice")
            let bobRoom = try await h.socket(as: "bob")
            _ = try await h.subscribe(bobRoom, "user:bob")
            let hall = try await h.socket()
            _ = try await h.subscribe(hall, "venue:v1")

            let (created, body) = try await h.call(
                .post,
                "/v1/challenges",
                as: "alice",
                ["id": "c1", "defenderId": "bob", "stakeCoins": 200, "venueId": "v1", "tableId": "t1", "raceTo": 2]
            )
            #expect(created == .created, "\(body)")
            let challenge = body["challenge"] as? [String: Any]
            #expect(challenge?["status"] as? String == "PENDING" && challenge?["stakeCoins"] as? Int == 200)
            #expect(challenge?["feeBasisPoints"] as? Int == 500 && challenge?["expiresAt"] is Int)
            let notice = try await bobRoom.next(type: "notice")
            #expect(notice["entity"] as? String == "challenge:c1" && notice["eventType"] as? String == "challenge.created")
            #expect((notice["view"] as? [String: Any])?["challengerId"] as? String == "alice")

            let (acceptStatus, accepted) = try await h.call(.post, "/v1/challenges/c1/accept", as: "bob")
            #expect(acceptStatus == .ok, "\(accepted)")
            let view = try #require(accepted["challenge"] as? [String: Any])
            #expect(view["status"] as? String == "ACCEPTED")
            let match = try #require(view["matchId"] as? String)
            // A second accept is refused.
            let again = try await h.call(.post, "/v1/challenges/c1/accept", as: "bob")
            #expect(again.0 == .conflict && code(again.1) == "challenge.not_pending")
            #expect(try await h.balance("alice") == (300, 200))
            #expect(try await h.balance("bob") == (100, 200))
            // The match the reaction created: the challenge's terms, at the venue's table.
            var created_match: [String: Any]?
            for _ in 0..<100 where created_match == nil {
                let (status, body) = try await h.call(.get, "/v1/matches/\(match)", as: "bob")
                if status == .ok { created_match = body["match"] as? [String: Any] } else { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(created_match?["challengeID"] as? String == "c1" && created_match?["tableID"] as? String == "t1")
            #expect(created_match?["playerA"] as? String == "alice" && created_match?["playerB"] as? String == "bob")
            #expect(created_match?["raceTo"] as? Int == 2 && created_match?["scorer"] as? String == "bob")

            // Bob (player B) wins 2–0.
            #expect(try await h.call(.post, "/v1/matches/\(match)/start", as: "bob").0 == .ok)
            for _ in 0..<2 { #expect(try await h.call(.post, "/v1/matches/\(match)/racks", as: "bob", ["winner": "B"]).0 == .ok) }
            await h.server.runtime.drainConsumers()
            let (_, settled) = try await h.call(.get, "/v1/challenges/c1", as: "alice")
            #expect((settled["challenge"] as? [String: Any])?["status"] as? String == "SETTLED")
            #expect((settled["challenge"] as? [String: Any])?["winnerId"] as? String == "bob")
            // The pot is 400; the house keeps 5 %.
            #expect(try await h.balance("bob") == (480, 0))
            #expect(try await h.balance("alice") == (300, 0))
            #expect(try await h.server.runtime.accounts.read(Account.house).state.balance == 20)
            #expect(try await h.server.runtime.accounts.read(Challenge.escrowAccount("c1")).state.balance == 0)
            let (_, page) = try await h.call(.get, "/v1/me/transactions", as: "bob")
            let legs = (page["transactions"] as? [[String: Any]])?.map { "\($0["type"] ?? "")\($0["amount"] ?? "")" }
            #expect(legs == ["PRIZE380", "DEBIT-200", "CREDIT300"] || legs == ["PRIZE380", "DEBIT-200", "CREDIT300"].reversed(), "\(legs ?? [])")

            // Both players heard every step; the newest notice is the settlement.
            var last: String?
            while last != "challenge.settled" { last = try await aliceRoom.next(type: "notice")["eventType"] as? String }
            var hallSaw: [String] = []
            while hallSaw.last != "challenge.settled" { hallSaw.append(try await hall.next(type: "notice")["eventType"] as? String ?? "") }
            #expect(hallSaw.first == "challenge.accepted")
            // The list of mine, with filters.
            let (_, mine) = try await h.call(.get, "/v1/challenges?role=defender&status=SETTLED", as: "bob")
            #expect((mine["challenges"] as? [[String: Any]])?.map { $0["id"] as? String } == ["c1"])
            let (_, none) = try await h.call(.get, "/v1/challenges?role=challenger", as: "bob")
            #expect((none["challenges"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(
        "an accept the defender cannot cover: 409, back to PENDING, the challenger's stake refunded; one the challenger can no longer cover likewise"
    )
    func cannotCover() async throws {
        try await withGateway { h in
            try await h.grant("alice", 100)
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c1", "defenderId": "bob", "stakeCoins": 60])
            let (status, body) = try await h.call(.post, "/v1/challenges/c1/accept", as: "bob")
            #expect(status == .conflict && code(body) == "ledger.insufficient_funds", "\(body)")
            #expect(((body["error"] as? [String: Any])?["message"] as? String)?.contains("defender") == true)
            let (_, after) = try await h.call(.get, "/v1/challenges/c1", as: "bob")
            #expect((after["challenge"] as? [String: Any])?["status"] as? String == "PENDING")
            // The refund waits for the escrow's credit; then alice holds her 100 again.
            var balance = try await h.balance("alice")
            for _ in 0..<100 where balance != (100, 0) {
                try await Task.sleep(for: .milliseconds(100))
                balance = try await h.balance("alice")
            }
            #expect(balance == (100, 0))

            // Alice stakes the same coins in a second challenge that carol accepts first.
            try await h.grant("bob", 60)
            try await h.grant("carol", 60)
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c2", "defenderId": "carol", "stakeCoins": 60])
            #expect(try await h.call(.post, "/v1/challenges/c2/accept", as: "carol").0 == .ok)
            let (late, lateBody) = try await h.call(.post, "/v1/challenges/c1/accept", as: "bob")
            #expect(late == .conflict && code(lateBody) == "ledger.insufficient_funds")
            #expect(((lateBody["error"] as? [String: Any])?["message"] as? String)?.contains("challenger") == true)
            #expect(try await h.balance("bob") == (60, 0))
            #expect(try await h.balance("alice") == (40, 60))
        }
    }

    @Test("a cancelled match refunds both stakes; decline and withdraw end a challenge; accept racing withdraw: exactly one wins")
    func endings() async throws {
        try await withGateway { h in
            for user in ["alice", "bob"] { try await h.grant(user, 100) }
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c1", "defenderId": "bob", "stakeCoins": 30])
            let (_, accepted) = try await h.call(.post, "/v1/challenges/c1/accept", as: "bob")
            let match = try #require((accepted["challenge"] as? [String: Any])?["matchId"] as? String)
            var cancelled = HTTPResponse.Status.notFound
            for _ in 0..<100 where cancelled != .ok {
                cancelled = try await h.call(.post, "/v1/matches/\(match)/cancel", as: "bob", ["reason": "rain"]).0
                if cancelled != .ok { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(cancelled == .ok)
            await h.server.runtime.drainConsumers()
            let (_, refunded) = try await h.call(.get, "/v1/challenges/c1", as: "bob")
            #expect((refunded["challenge"] as? [String: Any])?["status"] as? String == "REFUNDED")
            let (alice, bob) = (try await h.balance("alice"), try await h.balance("bob"))
            #expect(alice == (100, 0) && bob == (100, 0))

            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c2", "defenderId": "bob"])
            #expect(try await h.call(.post, "/v1/challenges/c2/decline", as: "bob").0 == .ok)
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c3", "defenderId": "bob"])
            #expect(try await h.call(.post, "/v1/challenges/c3/withdraw", as: "alice").0 == .ok)
            await h.server.runtime.drainConsumers()
            let (_, list) = try await h.call(.get, "/v1/challenges?status=DECLINED,WITHDRAWN", as: "alice")
            #expect(Set((list["challenges"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []) == ["c2", "c3"])

            for round in 0..<5 {
                let id = "race\(round)"
                _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": id, "defenderId": "bob", "stakeCoins": 10])
                async let accept = h.call(.post, "/v1/challenges/\(id)/accept", as: "bob")
                async let withdraw = h.call(.post, "/v1/challenges/\(id)/withdraw", as: "alice")
                let outcomes = [try await accept.0, try await withdraw.0]
                #expect(outcomes.filter { $0 == .ok }.count == 1, "\(outcomes)")
                let (_, state) = try await h.call(.get, "/v1/challenges/\(id)", as: "bob")
                let status = (state["challenge"] as? [String: Any])?["status"] as? String
                #expect(status == (outcomes[0] == .ok ? "ACCEPTED" : "WITHDRAWN"))
            }
        }
    }

    @Test("the same commands over the socket: create, accept, refusals with their codes")
    func overTheSocket() async throws {
        try await withGateway { h in
            try await h.grant("alice", 40)
            try await h.grant("bob", 40)
            let alice = try await h.socket(as: "alice")
            let bob = try await h.socket(as: "bob")
            let carol = try await h.socket(as: "carol")
            func send(_ socket: TestWebSocket, _ command: [String: Any], id: Int) async throws -> [String: Any] {
                try await socket.send(json: ["type": "command", "room": "challenge:cs", "command": command, "id": id])
                while true {
                    let message = try await socket.next()
                    if message["id"] as? Int == id { return message }
                }
            }
            let created = try await send(alice, ["type": "create", "defenderId": "bob", "stakeCoins": 25], id: 1)
            #expect(created["type"] as? String == "ack" && created["sequence"] as? Int == 1, "\(created)")
            #expect(try await send(carol, ["type": "withdraw"], id: 2)["code"] as? String == "forbidden")
            #expect(try await send(alice, ["type": "create", "defenderId": "bob", "stakeCoins": 1.5], id: 3)["code"] as? String == "invalid_command")
            #expect(try await send(bob, ["type": "expire"], id: 4)["code"] as? String == "forbidden")
            let accepted = try await send(bob, ["type": "accept"], id: 5)
            #expect(accepted["type"] as? String == "ack", "\(accepted)")
            let (_, state) = try await h.call(.get, "/v1/challenges/cs", as: "bob")
            #expect((state["challenge"] as? [String: Any])?["status"] as? String == "ACCEPTED")
            #expect(try await h.balance("alice") == (15, 25))
        }
    }

    @Test("bad input and forbidden commands on every challenge route: a clear error, nothing changed")
    func badInput() async throws {
        try await withGateway({ $0.runtime.challengeMaximumOpen = 2 }) { h in
            try await h.grant("alice", 50)
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c1", "defenderId": "bob", "stakeCoins": 10])
            let soon = Int(Date().timeIntervalSince1970 * 1000) + 1_000
            let cases: [(HTTPRequest.Method, String, String, [String: Any]?, HTTPResponse.Status, String)] = [
                (.post, "/v1/challenges", "alice", ["defenderId": "alice"], .unprocessableContent, "challenge.self"),
                (.post, "/v1/challenges", "alice", ["defenderId": "ghost"], .unprocessableContent, "challenge.unknown_user"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "stakeCoins": 51], .conflict, "ledger.insufficient_funds"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "stakeCoins": 1.5], .badRequest, "invalid_json"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "stakeCoins": "5"], .badRequest, "invalid_json"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "stakeCoins": -5], .unprocessableContent, "challenge.invalid_stake"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "raceTo": 0], .unprocessableContent, "match.invalid_race"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "expiresAt": soon], .unprocessableContent, "challenge.invalid_expiry"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "venueId": "nowhere"], .unprocessableContent, "challenge.unknown_venue"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "tableId": "t1"], .unprocessableContent, "challenge.table_without_venue"),
                (.post, "/v1/challenges", "alice", [:], .badRequest, "invalid_json"),
                (.post, "/v1/challenges", "alice", ["id": "a b", "defenderId": "bob"], .unprocessableContent, "challenge.invalid_id"),
                (
                    .post, "/v1/challenges", "alice", ["id": String(repeating: "c", count: 58), "defenderId": "bob"], .unprocessableContent,
                    "challenge.invalid_id"
                ),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "expiresAt": 0], .unprocessableContent, "challenge.invalid_expiry"),
                (.post, "/v1/challenges", "alice", ["defenderId": "bob", "expiresAt": Int64.max], .unprocessableContent, "challenge.invalid_expiry"),
                (.post, "/v1/challenges/c1/accept", "alice", nil, .forbidden, "forbidden"),
                (.post, "/v1/challenges/c1/accept", "carol", nil, .forbidden, "forbidden"),
                (.post, "/v1/challenges/c1/withdraw", "bob", nil, .forbidden, "forbidden"),
                (.post, "/v1/challenges/c1/decline", "carol", nil, .forbidden, "forbidden"),
                (.post, "/v1/challenges/nope/accept", "bob", nil, .notFound, "challenge.not_found"),
                (.post, "/v1/challenges/c1/commands", "bob", ["type": "expire"], .forbidden, "forbidden"),
                (.post, "/v1/challenges/c1/commands", "bob", ["type": "settle"], .unprocessableContent, "invalid_command"),
                (.get, "/v1/challenges?status=LOST", "alice", nil, .badRequest, "invalid_query"),
                (.get, "/v1/challenges?role=referee", "alice", nil, .badRequest, "invalid_query"),
                (.get, "/v1/challenges?limit=101", "alice", nil, .badRequest, "invalid_query"),
            ]
            for (method, uri, user, body, status, expected) in cases {
                let (got, answer) = try await h.call(method, uri, as: user, body)
                #expect(got == status && code(answer) == expected, "\(method) \(uri) \(body ?? [:]): \(got) \(answer)")
            }
            let (_, state) = try await h.call(.get, "/v1/challenges/c1", as: "bob")
            #expect(state["sequence"] as? Int == 1, "the refusals appended nothing")
            // The open-challenge limit (2 here), and a finished challenge frees its place.
            #expect(try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c2", "defenderId": "carol"]).0 == .created)
            let third = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c3", "defenderId": "carol"])
            #expect(third.0 == .conflict && code(third.1) == "challenge.too_many_open")
            #expect(try await h.call(.post, "/v1/challenges/c2/withdraw", as: "alice").0 == .ok)
            await h.server.runtime.drainConsumers()
            #expect(try await h.call(.post, "/v1/challenges", as: "alice", ["id": "c3", "defenderId": "carol"]).0 == .created)
            // A challenge's room is its players'.
            let stranger = try await h.socket(as: "carol")
            try await stranger.send(json: ["type": "subscribe", "room": "challenge:c1", "id": "x"])
            #expect(try await stranger.next(type: "error")["code"] as? String == "forbidden")
            let player = try await h.socket(as: "bob")
            _ = try await h.subscribe(player, "challenge:c1")
            #expect(try await player.next(type: "snapshot")["room"] as? String == "challenge:c1")
        }
    }
}
