import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

extension GatewayHarness {
    /// Match `id` at venue v1's table t1 (9-ball, race to `raceTo`, `mode` if given), started, with
    /// the table occupied.
    func liveMatchAtTable(_ id: String, raceTo: Int = 1, mode: String? = nil) async throws {
        let modeMember = mode.map { #","mode":"\#($0)""# } ?? ""
        _ = try await rest(
            "/v1/matches",
            as: "alice",
            #"{"id":"\#(id)","playerA":"alice","playerB":"bob","gameType":"9-ball","raceTo":\#(raceTo),"venueId":"v1","tableId":"t1"\#(modeMember)}"#
        )
        _ = try await rest("/v1/matches/\(id)/start", as: "alice")
        // The table is occupied by a reaction to the match going live: wait for it.
        for _ in 0..<200 {
            let venue = try await rest("/v1/venues/v1", .get)
            let tables = (venue["venue"] as? [String: Any])?["tables"] as? [[String: Any]] ?? []
            if tables.contains(where: { $0["id"] as? String == "t1" && ($0["liveMatches"] as? [String] ?? []).contains(id) }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("table t1 never showed match \(id) live")
    }

    /// A signed-in camera for table t1.
    func cameraSocket() async throws -> TestWebSocket {
        let camera = Camera()
        let id = try #require((try await register(camera).1["device"] as? [String: Any])?["id"] as? String)
        let token = try #require(try await deviceToken(camera, id: id).1["accessToken"] as? String)
        let node = try await TestWebSocket.connect(port: port, headers: [("Authorization", "Bearer \(token)")])
        _ = try await node.next()
        return node
    }
}

@Suite("Referee: live play over the socket and REST")
struct RefereeLiveTests {
    @Test("a camera streams frames and shots; a spectator sees SHOT, FOUL, RACK_END in order and the frames; a replayed shot appends nothing")
    func cameraEndToEnd() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let node = try await h.cameraSocket()
            let spectator = try await h.socket()
            _ = try await h.subscribe(spectator, "table:t1", id: "t")

            // No live match at the table yet: shots get a clear error, frames still flow.
            try await node.send(#"{"type":"shot","shotId":"early","firstContact":1,"objectBallsToRail":4,"id":"e"}"#)
            #expect(try await node.next(type: "error")["code"] as? String == "referee.no_live_match")
            try await node.send(#"{"type":"frame","t":1,"balls":[[0,0.5,0.5]]}"#)
            #expect((try await spectator.next(type: "frame")["data"] as? [String: Any])?["t"] as? Int == 1)

            try await h.liveMatchAtTable("live1")
            _ = try await h.subscribe(spectator, "match:live1", id: "m")

            // Frames between the shots, then: A breaks legally (nothing made), B scratches, A makes the 9.
            let shots = [
                #"{"type":"shot","shotId":"s1","matchId":"live1","firstContact":1,"objectBallsToRail":4,"railAfterContact":true,"observedAt":"2026-11-28T20:00:00Z","id":"s1"}"#,
                #"{"type":"shot","shotId":"s2","firstContact":1,"cueBallPocketed":true,"railAfterContact":true,"id":"s2"}"#,
                #"{"type":"shot","shotId":"s3","firstContact":1,"pocketed":[{"ball":9,"pocket":3}],"id":"s3"}"#,
            ]
            var t = 100
            for shot in shots {
                for _ in 0..<10 {
                    t += 16
                    try await node.send(#"{"type":"frame","t":\#(t),"balls":[[0,1.0,0.5],[9,1.5,0.25]]}"#)
                }
                try await node.send(shot)
                let ack = try await node.next(type: "ack")
                #expect(ack["room"] as? String == "match:live1" && ack["duplicate"] as? Bool == false, "\(ack)")
                if shot == shots[1] {
                    // A retry while the match is live: the first ack again.
                    try await node.send(shot)
                    let again = try await node.next(type: "ack")
                    #expect(again["duplicate"] as? Bool == true && again["sequence"] as? Int == ack["sequence"] as? Int)
                }
            }
            // A camera's retry of s3 (which ended the match), naming the match: the first ack
            // again, nothing appended.
            let before = try await h.rest("/v1/matches/live1", .get)["sequence"] as? Int
            try await node.send(shots[2].replacingOccurrences(of: #""shotId":"s3""#, with: #""shotId":"s3","matchId":"live1""#))
            let replay = try await node.next(type: "ack")
            #expect(replay["duplicate"] as? Bool == true && replay["sequence"] as? Int == before)
            #expect(try await h.rest("/v1/matches/live1", .get)["sequence"] as? Int == before)

            var types: [String] = []
            var frames: [Int] = []
            while !types.contains("match.completed") {
                let message = try await spectator.next()
                switch message["type"] as? String {
                case "event": types.append(message["eventType"] as? String ?? "?")
                case "frame": frames.append((message["data"] as? [String: Any])?["t"] as? Int ?? -1)
                default: break
                }
            }
            let play = types.filter { $0 != "match.commentary" }
            #expect(play == ["match.rack_started", "match.shot", "match.foul", "match.shot", "match.rack_ended", "match.completed"], "\(types)")
            // The commentary on the rack follows in the same append.
            while !types.contains("match.commentary") {
                let message = try await spectator.next()
                if message["type"] as? String == "event" { types.append(message["eventType"] as? String ?? "?") }
                if message["type"] as? String == "frame" { frames.append((message["data"] as? [String: Any])?["t"] as? Int ?? -1) }
            }
            // Frames arrive in order, never more than were sent, newest last (a slow reader gets the newest only).
            #expect(frames == frames.sorted() && frames.count <= 30)
            while frames.last != t { frames.append((try await spectator.next(type: "frame")["data"] as? [String: Any])?["t"] as? Int ?? -1) }

            // The match state shows the referee's view of the rack, with its result.
            let state = try await h.rest("/v1/matches/live1", .get)["match"] as? [String: Any]
            let referee = state?["referee"] as? [String: Any]
            #expect((referee?["result"] as? [String: Any])?["winner"] as? String == "A")
            #expect(state?["status"] as? String == "COMPLETED" && state?["scoreA"] as? Int == 1)
            // Frames never reach the match's log: the log holds the shots and what followed them only.
            let logged = try await h.server.storage.readEvents(stream: "match:live1", after: 0, limit: 1_000)
            #expect(logged.count == (try await h.rest("/v1/matches/live1", .get)["sequence"] as? Int))
            #expect(!logged.contains { $0.payload.contains("\"balls\"") })

            // A camera names only the match live at its table; bad observations change nothing.
            // (The table is freed by the venue's reaction to the completion: wait for it, or a
            // loaded machine answers `referee.wrong_match` while live1 still holds the table.)
            await h.server.runtime.drainConsumers()
            let invalid: [(String, String)] = [
                (#"{"type":"shot","firstContact":1}"#, "referee.invalid_shot"),
                (#"{"type":"shot","shotId":"x1","firstContact":"one"}"#, "referee.invalid_shot"),
                (#"{"type":"shot","shotId":"bad id","firstContact":1}"#, "invalid_command_id"),
                (#"{"type":"shot","shotId":"x2","matchId":"m1","firstContact":1}"#, "referee.no_live_match"),
            ]
            for (text, code) in invalid {
                try await node.send(text)
                #expect(try await node.next(type: "error")["code"] as? String == code, "\(text)")
            }
            // A user sends shots as commands, not as camera shots.
            let alice = try await h.socket(as: "alice")
            try await alice.send(#"{"type":"shot","shotId":"u1","firstContact":1}"#)
            #expect(try await alice.next(type: "error")["code"] as? String == "forbidden")
        }
    }

    @Test("a camera's shot for a table whose match is another table's, and a second live match, are refused")
    func wrongMatch() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let node = try await h.cameraSocket()
            try await h.liveMatchAtTable("live2", raceTo: 3)
            _ = try await h.rest(
                "/v1/matches",
                as: "alice",
                #"{"id":"elsewhere","playerA":"alice","playerB":"bob","gameType":"9-ball","raceTo":3,"venueId":"v1","tableId":"t2"}"#
            )
            try await node.send(#"{"type":"shot","shotId":"w1","matchId":"elsewhere","firstContact":1,"objectBallsToRail":4}"#)
            #expect(try await node.next(type: "error")["code"] as? String == "referee.wrong_match")
            // Pocketing a ball that is not on the table: a typed error, nothing appended.
            let before = try await h.rest("/v1/matches/live2", .get)["sequence"] as? Int
            try await node.send(#"{"type":"shot","shotId":"w2","firstContact":1,"pocketed":[{"ball":12,"pocket":1}]}"#)
            #expect(try await node.next(type: "error")["code"] as? String == "referee.ball_not_on_table")
            try await node.send(#"{"type":"shot","shotId":"w3","firstContact":1,"pocketed":[{"ball":2,"pocket":7}]}"#)
            #expect(try await node.next(type: "error")["code"] as? String == "referee.invalid_pocket")
            #expect(try await h.rest("/v1/matches/live2", .get)["sequence"] as? Int == before)
        }
    }

    @Test("REST for scorer apps: shots, the players' decisions, corrections by the scorer or a venue admin")
    func rest() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            try await h.liveMatchAtTable("r1", raceTo: 3)
            // A breaks and makes the 2; A pushes out; B decides.
            let shot = try await h.post(
                "/v1/matches/r1/shots",
                ["shotId": "p1", "firstContact": 1, "pocketed": [["ball": 2, "pocket": 1]]],
                headers: h.serviceHeaders("alice")
            )
            #expect(shot.0 == .ok)
            let events = shot.1["events"] as? [[String: Any]] ?? []
            #expect(events.map { $0["type"] as? String } == ["match.rack_started", "match.shot"])
            // The public state: the referee's rack and whether the last shot can be corrected, not the
            // actor's bookkeeping.
            let view = try #require(try await h.rest("/v1/matches/r1", .get)["match"] as? [String: Any])
            #expect(view["correctable"] as? Bool == true && view["lastShotId"] as? String == "p1" && view["referee"] != nil)
            #expect(view["recentShotIDs"] == nil && view["undo"] == nil && view["maxDeficitA"] == nil)
            let replay = try await h.post(
                "/v1/matches/r1/shots",
                ["shotId": "p1", "firstContact": 1, "pocketed": [["ball": 2, "pocket": 1]]],
                headers: h.serviceHeaders("alice")
            )
            #expect(replay.0 == .ok && replay.1["duplicate"] as? Bool == true)
            // The same id for another observation is a client's mistake, said (the Idempotency-Key
            // draft), not answered with the first outcome.
            let reused = try await h.post("/v1/matches/r1/shots", ["shotId": "p1", "firstContact": 1], headers: h.serviceHeaders("alice"))
            #expect(reused.0 == .unprocessableContent && errorCode(reused.1) == "idempotency_key_reused", "\(reused.1)")
            let bobShot = try await h.post(
                "/v1/matches/r1/shots",
                ["shotId": "p2", "firstContact": 3, "pushOut": true],
                headers: h.serviceHeaders("bob")
            )
            #expect(bobShot.0 == .forbidden && errorCode(bobShot.1) == "match.not_scorer")
            _ = try await h.post(
                "/v1/matches/r1/commands",
                ["type": "shot", "shotId": "p2", "firstContact": 3, "pushOut": true],
                headers: h.serviceHeaders("alice")
            )
            let awaiting = try await h.rest("/v1/matches/r1", .get)["match"] as? [String: Any]
            #expect(((awaiting?["referee"] as? [String: Any])?["awaiting"] as? [String: Any])?["by"] as? String == "B")

            let early = try await h.post("/v1/matches/r1/shots", ["shotId": "p3", "firstContact": 1], headers: h.serviceHeaders("alice"))
            #expect(early.0.code == 409 && errorCode(early.1) == "referee.decision_awaited")
            let stranger = try await h.post("/v1/matches/r1/decisions", ["decision": "shoot"], headers: h.serviceHeaders("carol"))
            #expect(stranger.0 == .forbidden && errorCode(stranger.1) == "match.not_player")
            let notOffered = try await h.post("/v1/matches/r1/decisions", ["decision": "rebreak"], headers: h.serviceHeaders("bob"))
            #expect(notOffered.0.code == 422 && errorCode(notOffered.1) == "referee.option_not_offered")
            let unknown = try await h.post("/v1/matches/r1/decisions", ["decision": "flip_table"], headers: h.serviceHeaders("bob"))
            #expect(unknown.0 == .badRequest)
            let decided = try await h.post("/v1/matches/r1/decisions", ["decision": "pass_back"], headers: h.serviceHeaders("bob"))
            #expect(decided.0 == .ok)
            #expect(((decided.1["match"] as? [String: Any])?["referee"] as? [String: Any])?["shooter"] as? String == "A")

            // A makes the 9: rack to A. Carol may not correct; once bob administers the venue he may.
            _ = try await h.post(
                "/v1/matches/r1/shots",
                ["shotId": "p4", "firstContact": 1, "pocketed": [["ball": 9, "pocket": 6]]],
                headers: h.serviceHeaders("alice")
            )
            #expect((try await h.rest("/v1/matches/r1", .get)["match"] as? [String: Any])?["scoreA"] as? Int == 1)
            let byCarol = try await h.post("/v1/matches/r1/corrections", ["reason": "wrong ball"], headers: h.serviceHeaders("carol"))
            #expect(byCarol.0 == .forbidden && errorCode(byCarol.1) == "match.not_referee")
            _ = try await h.rest("/v1/venues/v1/admins", as: "alice", #"{"userId":"carol"}"#)
            let corrected = try await h.post("/v1/matches/r1/corrections", ["reason": "the 1 was not hit first"], headers: h.serviceHeaders("carol"))
            #expect(corrected.0 == .ok, "\(corrected.1)")
            #expect((corrected.1["events"] as? [[String: Any]])?.first?["type"] as? String == "match.shot_corrected")
            let match = corrected.1["match"] as? [String: Any]
            #expect(match?["scoreA"] as? Int == 0 && (match?["referee"] as? [String: Any])?["shooter"] as? String == "A")
            let again = try await h.post("/v1/matches/r1/corrections", [:], headers: h.serviceHeaders("alice"))
            #expect(again.0.code == 409 && errorCode(again.1) == "match.nothing_to_correct")

            // The match's history over REST, in pages: every shot with its ruling, nothing deleted.
            let history = try await h.rest("/v1/matches/r1/events?limit=500", .get)
            let all = history["events"] as? [[String: Any]] ?? []
            #expect(all.map { $0["seq"] as? Int } == Array(1...all.count).map { $0 }, "oldest first, no gap")
            let seeds = all.map { $0["seedType"] as? String ?? "" }
            #expect(seeds.filter { $0 == "SHOT" }.count == 3 && seeds.contains("RACK_END") && seeds.contains("COMMENTARY"), "\(seeds)")
            #expect(all.contains { $0["type"] as? String == "match.shot_corrected" } && history["next"] == nil)
            let page = try await h.rest("/v1/matches/r1/events?after=2&limit=2", .get)
            #expect((page["events"] as? [[String: Any]])?.map { $0["seq"] as? Int } == [3, 4] && page["next"] as? Int == 4)
            let badLimit = try await h.rest("/v1/matches/r1/events?limit=0", .get)
            #expect(errorCode(badLimit) == "invalid_query")
            #expect(errorCode(try await h.rest("/v1/matches/nope/events", .get)) == "match.not_found")
        }
    }

    @Test("stateless rulings: chained from any position, the same rack JSON as the match state; bad requests change nothing")
    func rulings() async throws {
        try await withGateway { h in
            let headers = h.serviceHeaders("alice")
            // A 9-ball break, then the next shot from the rack the first answer gave.
            let first = try await h.post(
                "/v1/referee/rulings",
                ["game": "9ball", "shot": ["firstContact": 1, "pocketed": [["ball": 4, "pocket": 2]]]],
                headers: headers
            )
            #expect(first.0 == .ok, "\(first.1)")
            let rack = try #require(first.1["rack"] as? [String: Any])
            #expect(rack["pushOutAvailable"] as? Bool == true && rack["shooter"] as? String == "A")
            #expect((first.1["ruling"] as? [String: Any])?["rule"] as? String == "2.3")
            let second = try await h.post(
                "/v1/referee/rulings",
                ["game": "9ball", "rack": rack, "shot": ["firstContact": 1, "pocketed": [["ball": 9, "pocket": 5]]]],
                headers: headers
            )
            let ruling = second.1["ruling"] as? [String: Any]
            #expect((ruling?["result"] as? [String: Any])?["winner"] as? String == "A" && ruling?["rule"] as? String == "2.5")

            // A position given briefly; a decision instead of a shot.
            let position: [String: Any] = ["game": "10ball", "onTable": [3, 10], "shooter": "B"]
            let slop = try await h.post(
                "/v1/referee/rulings",
                [
                    "game": "10ball", "rack": position,
                    "shot": ["firstContact": 3, "pocketed": [["ball": 3, "pocket": 4]], "called": ["ball": 3, "pocket": 1]],
                ],
                headers: headers
            )
            let slopRack = try #require(slop.1["rack"] as? [String: Any])
            #expect((slopRack["awaiting"] as? [String: Any])?["by"] as? String == "A")
            let choice = try await h.post(
                "/v1/referee/rulings",
                ["game": "10ball", "rack": slopRack, "decision": ["decision": "pass_back", "by": "A"]],
                headers: headers
            )
            #expect((choice.1["rack"] as? [String: Any])?["shooter"] as? String == "B")

            let bad: [([String: Any], Int, String)] = [
                (["game": "snooker", "shot": ["firstContact": 1]], 422, "referee.unknown_game"),
                (["game": "9ball"], 422, "referee.invalid_request"),
                (["game": "9ball", "shot": ["firstContact": 1], "decision": ["decision": "shoot", "by": "A"]], 422, "referee.invalid_request"),
                (["game": "8ball", "rack": position, "shot": ["firstContact": 3]], 422, "referee.invalid_rack"),
                (
                    ["game": "9ball", "rack": ["game": "9ball", "onTable": [1, 1, 9], "shooter": "A"], "shot": ["firstContact": 1]], 422,
                    "referee.invalid_rack"
                ),
                (["game": "9ball", "shot": ["firstContact": 1, "pocketed": [["ball": 11, "pocket": 1]]]], 422, "referee.ball_not_on_table"),
                (["game": "9ball", "shot": ["firstContact": 1, "pushOut": true]], 409, "referee.push_out_not_available"),
                (["game": "9ball", "shot": ["firstContact": "1"]], 400, "invalid_json"),
                (["game": "9ball", "shot": ["firstContact": 1, "shotId": String(repeating: "s", count: 129)]], 422, "invalid_command_id"),
                (["game": "9ball", "shot": ["firstContact": 1, "shotId": "two words"]], 422, "invalid_command_id"),
                (
                    ["game": "9ball", "rack": ["game": "9ball", "onTable": [1, 9], "pocketed": [2], "shooter": "A"], "shot": ["firstContact": 1]],
                    400, "invalid_json"
                ),
            ]
            for (body, status, code) in bad {
                let (got, answer) = try await h.post("/v1/referee/rulings", body, headers: headers)
                #expect(got.code == status && errorCode(answer) == code, "\(body) → \(got) \(answer)")
            }
            // Malformed, nested too deep, and oversized bodies: refused before the referee sees them.
            let huge =
                "{\"game\":\"9ball\",\"shot\":{\"pocketed\":[" + Array(repeating: #"{"ball":1,"pocket":1}"#, count: 4_000).joined(separator: ",")
                + "]}}"
            for (raw, status, code) in [
                (#"{"game":"9ball","shot":"#, 400, "invalid_json"),
                (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), 400, "invalid_json"),
                (huge, 413, "payload_too_large"),
            ] {
                var fields = headers
                fields[.contentType] = "application/json"
                let (got, answer) = try await h.client.execute(
                    uri: "/v1/referee/rulings",
                    method: .post,
                    headers: fields,
                    body: ByteBuffer(string: raw)
                ) { response in
                    (response.status.code, try jsonObject(response.body.readableBytesView))
                }
                #expect(got == status && errorCode(answer) == code, "\(raw.prefix(40)) → \(got) \(answer)")
            }
            let anonymous = try await h.post("/v1/referee/rulings", ["game": "9ball", "shot": ["firstContact": 1]])
            #expect(anonymous.0 == .unauthorized)
        }
    }
}
