import DojoDomain
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

@Suite("The automatic referee live: a match in auto mode judged from its table's frames, and its page in a browser")
struct AutoRefereeTests {
    /// A 9-ball break from the simulator's corpus, at 30 fps, that the detector reads right and is
    /// sure of: the 1 struck first, neither the 9 nor the cue ball pocketed.
    static func cleanBreak() throws -> ShotCorpus.Shot {
        for shot in RefereeCorpus.shots where shot.kind == "break9" {
            let slower = shot.every(2)
            let truth = slower.truth
            guard truth.firstContact == 1, !truth.cueBallPocketed, !truth.pocketed.contains(where: { $0.ball == 9 }) else { continue }
            let found = ShotDetector.shots(in: slower.frames).shots
            if ShotVerdict(shot: slower, detections: found, threshold: 0.8).whole, found[0].judgeable(threshold: 0.8, onBreak: true) {
                return slower
            }
        }
        throw TestFailure("no clean 9-ball break in the corpus")
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Sends frames at most 55 a second (the device's budget is 60).
    static func stream(_ frames: [TableFrame], to node: TestWebSocket) async throws {
        for frame in frames {
            let balls = frame.balls.map { "[\($0.ball),\($0.x),\($0.y)]" }.joined(separator: ",")
            try await node.send(#"{"type":"frame","t":\#(frame.t),"balls":[\#(balls)]}"#)
            try await Task.sleep(for: .milliseconds(18))
        }
    }

    /// The next event of `type` in the room, skipping others and frames.
    static func event(_ type: String, on socket: TestWebSocket) async throws -> [String: Any] {
        while true {
            let message = try await socket.next(type: "event")
            if message["eventType"] as? String == type { return message }
        }
    }

    @Test("a simulated break is judged as the camera's shot; a doubtful shot waits in review until the scorer edits it; spectators see both")
    func autoMatch() async throws {
        let brk = try Self.cleanBreak()
        try await withGateway { h in
            try await h.venueWithTables()
            let node = try await h.cameraSocket()
            try await h.liveMatchAtTable("auto1", raceTo: 3, mode: "auto")
            let spectator = try await h.socket()
            _ = try await h.subscribe(spectator, "match:auto1", id: "m")

            // 1. The break, frame by frame: judged without anyone reporting it.
            try await Self.stream(brk.frames, to: node)
            let expected = brk.truth.pocketed.isEmpty && brk.truth.objectBallsToRail < 4 ? "match.foul" : "match.shot"
            let judged = try await Self.event(expected, on: spectator)
            let ruled = try #require((judged["event"] as? [String: Any])?["shotRuled"] as? [String: Any], "\(judged)")
            #expect((ruled["source"] as? String)?.hasPrefix("vision:") == true, "\(ruled)")
            let shot = try #require(ruled["shot"] as? [String: Any])
            #expect(shot["firstContact"] as? Int == 1)
            let pocketed = (shot["pocketed"] as? [[String: Int]] ?? []).map {
                Referee.PocketedBall(ball: $0["ball"] ?? -1, pocket: $0["pocket"] ?? -1)
            }
            #expect(Set(pocketed) == Set(brk.truth.pocketed))
            let detection = try #require(ruled["detection"] as? [String: Any])
            #expect((detection["confidence"] as? Double ?? 0) >= 0.8 && detection["from"] as? Int != nil && detection["to"] as? Int != nil)
            // The frames it was read from are kept with it, for a replay.
            let shotID = try #require(shot["shotId"] as? String)
            var kept: [String: Any] = [:]
            for _ in 0..<100 where kept["frames"] == nil {
                kept = try await h.rest("/v1/matches/auto1/shots/\(shotID)/frames", .get)
                if kept["frames"] == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let replay = try #require(kept["frames"] as? [[String: Any]], "\(kept)")
            #expect(replay.first?["t"] as? Int == detection["from"] as? Int && replay.count > 20, "\(replay.count) frames")
            #expect((replay.first?["balls"] as? [[Double]])?.count == brk.frames.first?.balls.count)
            let missing = try await h.rest("/v1/matches/auto1/shots/nope/frames", .get)
            #expect(errorCode(missing) == "match.no_frames")

            // 2. Then a shot the frames cannot settle: the cue ball rolls into open cloth while
            // an object ball vanishes where it stood (a player leaning over it).
            let last = try #require(brk.frames.last)
            let cue = try #require(last.balls.first { $0.ball == 0 })
            let hidden = try #require(last.balls.first { $0.ball != 0 })
            let others = last.balls.filter { $0.ball != 0 }
            // The direction with the most room.
            let direction = (0..<16).map { Double($0) * Double.pi / 8 }.max { a, b in
                func room(_ angle: Double) -> Double {
                    let end = (x: cue.x + 0.15 * cos(angle), y: cue.y + 0.15 * sin(angle))
                    guard end.x > 0.1, end.x < 1.9, end.y > 0.1, end.y < 0.9 else { return -1 }
                    return others.map { hypot($0.x - end.x, $0.y - end.y) }.min() ?? 1
                }
                return room(a) < room(b)
            }!
            var frames: [TableFrame] = []
            var t = last.t
            for step in 0..<30 {
                t += 33
                let moved = min(max(Double(step - 10), 0), 5) * 0.03
                var balls = last.balls.filter { step < 10 || $0.ball != hidden.ball }
                if let index = balls.firstIndex(where: { $0.ball == 0 }) {
                    balls[index].x = cue.x + moved * cos(direction)
                    balls[index].y = cue.y + moved * sin(direction)
                }
                frames.append(TableFrame(t: t, balls: balls))
            }
            try await Self.stream(frames, to: node)
            let opened = try await Self.event("match.review_opened", on: spectator)
            let review = try #require(((opened["event"] as? [String: Any])?["reviewOpened"] as? [String: Any])?["review"] as? [String: Any])
            #expect((review["reason"] as? String)?.isEmpty == false, "\(review)")
            let state = try await h.rest("/v1/matches/auto1", .get)
            let match = try #require(state["match"] as? [String: Any] ?? state["state"] as? [String: Any] ?? Optional(state))
            #expect(match["review"] != nil && match["mode"] as? String == "auto", "\(state)")

            // In a real browser, the match page shows the shot under review and replays the break
            // from the frames the server kept.
            if WatchPageTests.browserAvailable() {
                let (status, output) = try await WatchPageTests.run(
                    "/usr/bin/env",
                    ["python3", WatchPageTests.script(), "--url", "http://127.0.0.1:\(h.port)", "--replay", "auto1"]
                )
                #expect(status == 0, "\(output)")
            }

            // Play waits for the review: a declaration is refused.
            let refused = try await h.rest("/v1/matches/auto1/commands", as: "alice", #"{"type":"declare","safety":true}"#)
            #expect(errorCode(refused) == "match.under_review", "\(refused)")

            // 3. The scorer edits the shot in one command: it is judged, the review closes.
            let referee = try #require(match["referee"] as? [String: Any])
            let lowest = try #require((referee["onTable"] as? [Int])?.first)
            let resolved = try await h.rest(
                "/v1/matches/auto1/commands",
                as: "alice",
                #"{"type":"resolveReview","shot":{"firstContact":\#(lowest),"railAfterContact":true}}"#
            )
            #expect(resolved["duplicate"] as? Bool == false, "\(resolved)")
            _ = try await Self.event("match.review_resolved", on: spectator)
            let after = try await h.rest("/v1/matches/auto1", .get)
            let afterMatch = after["match"] as? [String: Any] ?? after
            #expect(afterMatch["review"] == nil, "\(after)")
            #expect(((afterMatch["referee"] as? [String: Any])?["shots"] as? Int) == 2, "\(after)")
        }
    }

    @Test("a camera that drops its connection in the middle of a shot and comes back: the shot is still read whole")
    func reconnect() async throws {
        let brk = try Self.cleanBreak()
        try await withGateway { h in
            try await h.venueWithTables()
            let camera = Camera()
            let id = try #require((try await h.register(camera).1["device"] as? [String: Any])?["id"] as? String)
            let token = try #require(try await h.deviceToken(camera, id: id).1["accessToken"] as? String)
            try await h.liveMatchAtTable("auto2", raceTo: 3, mode: "auto")
            let spectator = try await h.socket()
            _ = try await h.subscribe(spectator, "match:auto2", id: "m")

            // The first frames, into the break's motion; then the connection drops.
            let cut = (brk.frames.firstIndex { $0.t > brk.frames[0].t + 700 } ?? brk.frames.count / 3)
            let first = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token)")])
            _ = try await first.next()
            try await Self.stream(Array(brk.frames[..<cut]), to: first)
            try await first.close()
            // The same camera again, its clock going on: the rest of the shot.
            let second = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token)")])
            _ = try await second.next()
            try await Self.stream(Array(brk.frames[cut...]), to: second)
            let expected = brk.truth.pocketed.isEmpty && brk.truth.objectBallsToRail < 4 ? "match.foul" : "match.shot"
            let judged = try await Self.event(expected, on: spectator)
            let ruled = try #require((judged["event"] as? [String: Any])?["shotRuled"] as? [String: Any], "\(judged)")
            #expect((ruled["source"] as? String) == "vision:\(id)" && (ruled["shot"] as? [String: Any])?["firstContact"] as? Int == 1, "\(ruled)")
        }
    }
}
