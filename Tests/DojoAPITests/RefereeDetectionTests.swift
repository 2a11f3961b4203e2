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

@Suite("POST /v1/referee/detections: the shot detector without a table")
struct RefereeDetectionTests {
    /// A shot's frames as the endpoint takes them.
    static func frames(_ frames: [TableFrame]) -> [[String: Any]] {
        frames.map { frame in ["t": frame.t, "balls": frame.balls.map { [Double($0.ball), $0.x, $0.y] }] }
    }

    /// Corpus shots at 30 fps that the detector reads right: one of each kind that pots, scratches
    /// or misses everything.
    static func agreeing() -> [ShotCorpus.Shot] {
        var picked: [String: ShotCorpus.Shot] = [:]
        for shot in RefereeCorpus.shots.map({ $0.every(2) }) {
            let kind =
                shot.truth.cueBallPocketed ? "scratch" : shot.truth.firstContact == nil ? "miss" : shot.truth.pocketed.isEmpty ? shot.kind : "pot"
            guard picked[kind] == nil else { continue }
            let found = ShotDetector.shots(in: shot.frames).shots
            if ShotVerdict(shot: shot, detections: found, threshold: 0.8).whole { picked[kind] = shot }
        }
        return picked.keys.sorted().compactMap { picked[$0] }
    }

    @Test("the simulator's shots come back as their true observations, with confidences and times")
    func corpusShots() async throws {
        let shots = Self.agreeing()
        #expect(shots.count >= 4)
        try await withGateway { h in
            for shot in shots {
                let (status, answer) = try await h.post(
                    "/v1/referee/detections",
                    ["frames": Self.frames(shot.frames)],
                    headers: h.serviceHeaders("alice")
                )
                #expect(status == .ok, "\(shot.id): \(answer)")
                let found = try #require(answer["shots"] as? [[String: Any]], "\(shot.id): \(answer)")
                #expect(found.count == 1, "\(shot.id): \(found)")
                let detected = try #require(found.first)
                let truth = shot.truth
                #expect(detected["firstContact"] as? Int == truth.firstContact, "\(shot.id)")
                let pocketed = (detected["pocketed"] as? [[String: Int]])?.map {
                    Referee.PocketedBall(ball: $0["ball"] ?? -1, pocket: $0["pocket"] ?? -1)
                }
                #expect(pocketed.map(Set.init) == Set(truth.pocketed), "\(shot.id)")
                #expect(detected["cueBallPocketed"] as? Bool == truth.cueBallPocketed, "\(shot.id)")
                if truth.pocketed.isEmpty { #expect(detected["railAfterContact"] as? Bool == truth.railAfterContact, "\(shot.id)") }
                let confidence = try #require(detected["confidence"] as? [String: Double])
                #expect(Set(confidence.keys) == ["cueBall", "firstContact", "objectBallsToRail", "offTable", "pocketed", "railAfterContact", "shot"])
                #expect(detected["judgeable"] as? Bool == ((confidence["shot"] ?? 0) >= 0.8))
                let from = try #require(detected["from"] as? Int)
                let to = try #require(detected["to"] as? Int)
                let at = try #require(detected["detectedAt"] as? Int)
                #expect(from < to && to < at && at <= Int(shot.frames.last?.t ?? 0), "\(shot.id): \(from) \(to) \(at)")
                #expect((answer["frames"] as? [String: Int])?["read"] == shot.frames.count)
            }
        }
    }

    @Test("bad frames are ignored and counted, the shot still read; bad requests are refused with clear codes")
    func badInput() async throws {
        let shot = try #require(Self.agreeing().first { $0.truth.firstContact != nil })
        let clean = ShotDetector.shots(in: shot.frames).shots
        try await withGateway { h in
            let headers = h.serviceHeaders("alice")
            // A frame back in time, a ball twice, a ball off the table, a ball leaping across the table.
            var frames = Self.frames(shot.frames)
            let middle = frames.count / 2
            var backwards = frames[middle]
            backwards["t"] = (backwards["t"] as? Int64 ?? 0) - 50
            frames.insert(backwards, at: middle + 1)
            let first = shot.frames[3]
            let ball = first.balls[0]
            frames[3] = ["t": first.t, "balls": [[Double(ball.ball), ball.x, ball.y], [Double(ball.ball), ball.x, ball.y]]]
            frames[4]["balls"] = [[0.0, 7.5, 0.5]]
            var leap = shot.frames[6].balls.map { [Double($0.ball), $0.x, $0.y] }
            let moved = leap.indices.last ?? 0
            leap[moved][1] = leap[moved][1] > 1 ? 0.05 : 1.95
            frames[6]["balls"] = leap
            let (status, answer) = try await h.post("/v1/referee/detections", ["frames": frames], headers: headers)
            #expect(status == .ok, "\(answer)")
            let counts = try #require(answer["frames"] as? [String: Int])
            #expect(counts["outOfOrder"] == 1 && counts["corrupt"] == 2 && counts["jumps"] == 1, "\(counts)")
            let found = try #require(answer["shots"] as? [[String: Any]])
            #expect(found.count == 1 && found.first?["firstContact"] as? Int == clean.first?.observation.firstContact, "\(found)")

            // Times at the ends of Int64 (their difference would overflow): corrupt, no trap.
            let extreme = [Int64.min, Int64.max, 0, Int64.max - 1].map { ["t": $0, "balls": [[0.0, 0.5, 0.5]]] as [String: Any] }
            let (extremeStatus, extremeAnswer) = try await h.post("/v1/referee/detections", ["frames": extreme], headers: headers)
            #expect(extremeStatus == .ok && (extremeAnswer["frames"] as? [String: Int])?["corrupt"] == 3, "\(extremeAnswer)")

            let manyFrames = (0...RefereeRoutes.detectionFrameLimit).map { ["t": $0, "balls": [[Double]]()] as [String: Any] }
            let bad: [([String: Any], Int, String)] = [
                (["frames": [["t": 0, "balls": [[0.0, 0.5]]]]], 422, "detections.invalid_frame"),
                (["frames": [["t": 0, "balls": (0..<17).map { [Double($0 % 16), 0.5, 0.5] }]]], 422, "detections.invalid_frame"),
                (["frames": manyFrames], 422, "detections.too_many_frames"),
                (["frames": [[String: Any]](), "ballRadius": 5], 422, "detections.invalid_radius"),
                (["frames": [[String: Any]](), "threshold": 1.5], 422, "detections.invalid_threshold"),
                (["frames": [["t": "soon", "balls": [[Double]]()]]], 400, "invalid_json"),
                (["shots": [Int]()], 400, "invalid_json"),
            ]
            for (body, status, code) in bad {
                let (got, answer) = try await h.post("/v1/referee/detections", body, headers: headers)
                #expect(got.code == status && errorCode(answer) == code, "\(String(describing: body).prefix(80)) → \(got) \(answer)")
            }
            // Past the detections' own upload limit (2 MiB), and without a signed-in identity.
            let huge = "{\"frames\":[" + Array(repeating: #"{"t":1,"balls":[[0,0.5,0.5]]}"#, count: 80_000).joined(separator: ",") + "]}"
            var fields = headers
            fields[.contentType] = "application/json"
            let (got, refusal) = try await h.client.execute(
                uri: "/v1/referee/detections",
                method: .post,
                headers: fields,
                body: ByteBuffer(string: huge)
            ) {
                ($0.status.code, try jsonObject($0.body.readableBytesView))
            }
            #expect(got == 413 && errorCode(refusal) == "payload_too_large", "\(got) \(refusal)")
            let (anonymous, _) = try await h.post("/v1/referee/detections", ["frames": [[String: Any]]()])
            #expect(anonymous == .unauthorized)
        }
    }
}
