import DojoDomain
import DojoGateway
import Foundation
import Hummingbird

/// `POST /v1/referee/rulings`: the referee without a match, for other services (a vision pipeline,
/// a scorer app checking a call, a training tool). Give a rack (the JSON a match state shows as
/// `referee`, or none for a fresh rack) and a shot or a decision; get the ruling and the rack
/// after it, which can be sent back with the next shot. Nothing is stored.
///
/// `POST /v1/referee/detections`: the shot detector without a table, so a camera vendor can check
/// its feed and anyone can audit the detector. Give a table's frames; get the shots read from
/// them, with a confidence per member. Nothing is stored.
struct RefereeRoutes: Sendable {
    let authentication: Authentication
    let detectorMetrics = DetectorMetrics(source: "rest")

    /// The largest detection request: about 100 s of frames of 16 balls at 60 fps.
    static let detectionBodyLimit = 2 * 1024 * 1024
    static let detectionFrameLimit = 12_000

    struct DetectionRequest: Decodable {
        struct Frame: Decodable {
            var t: Int64
            var balls: [[Double]]
        }
        var frames: [Frame]
        /// The ball's radius in table units (a 9-foot table's by default).
        var ballRadius: Double?
        /// The confidence at or above which a shot is judged without review (0.8).
        var threshold: Double?
    }

    struct RulingRequest: Decodable {
        var game: String
        var rack: Referee.Rack?
        /// Who breaks a fresh rack (when `rack` is absent); A when not given.
        var breaker: Referee.Player?
        var shot: Referee.Shot?
        var decision: Referee.Decision?
    }

    struct RulingResponse: Encodable {
        var ruling: Referee.Ruling
        var rack: Referee.Rack
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/referee/rulings") { request, context in
            _ = try await authentication.principal(request)
            let body = try await JSONBody.decode(RulingRequest.self, request, context)
            guard let game = Referee.Game(name: body.game) else {
                throw DomainError(.invalid, "referee.unknown_game", "game is 8ball, 9ball or 10ball")
            }
            let rack = body.rack ?? Referee.Rack(game: game, breaker: body.breaker ?? .a)
            guard rack.game == game else {
                throw DomainError(.invalid, "referee.invalid_rack", "the rack is a \(rack.game.rawValue) rack, not \(game.rawValue)")
            }
            try rack.validate()
            // A shot's id is checked as a match checks it, though nothing is kept here (the contract
            // says so; schemathesis found a long one accepted).
            if let shotID = body.shot?.shotId {
                do throws(DomainError) { try CommandID.validate(shotID) } catch { throw error }
            }
            let (ruling, after): (Referee.Ruling, Referee.Rack)
            switch (body.shot, body.decision) {
            case (let shot?, nil): (ruling, after) = try Referee.judge(rack, shot)
            case (nil, let decision?): (ruling, after) = try Referee.decide(rack, decision)
            default: throw DomainError(.invalid, "referee.invalid_request", "give either a shot or a decision")
            }
            return try Response.json(.ok, RulingResponse(ruling: ruling, rack: after))
        }
        router.post("/v1/referee/detections") { request, context in
            _ = try await authentication.principal(request)
            let body = try await JSONBody.decode(DetectionRequest.self, request, context, limit: Self.detectionBodyLimit)
            return try detections(body)
        }
    }

    /// Runs the detector over the request's frames. Frames the detector ignores live (time not
    /// moving forward, a ball twice or off the table, a jump no ball can make) are ignored here
    /// too and counted in the answer; a request of the wrong shape is refused.
    func detections(_ body: DetectionRequest) throws -> Response {
        guard body.frames.count <= Self.detectionFrameLimit else {
            throw DomainError(
                .invalid,
                "detections.too_many_frames",
                "at most \(Self.detectionFrameLimit) frames per request, got \(body.frames.count)"
            )
        }
        var settings = ShotDetector.Settings()
        if let radius = body.ballRadius {
            guard radius.isFinite, (0.005...0.1).contains(radius) else {
                throw DomainError(.invalid, "detections.invalid_radius", "ballRadius is in table units, from 0.005 to 0.1 (0.0225 on a 9-foot table)")
            }
            settings.geometry.ballRadius = radius
        }
        let threshold = body.threshold ?? 0.8
        guard threshold.isFinite, (0...1).contains(threshold) else {
            throw DomainError(.invalid, "detections.invalid_threshold", "threshold is a confidence from 0 to 1")
        }
        var frames: [TableFrame] = []
        frames.reserveCapacity(body.frames.count)
        for (index, frame) in body.frames.enumerated() {
            guard frame.balls.count <= 16, frame.balls.allSatisfy({ $0.count == 3 }) else {
                throw DomainError(.invalid, "detections.invalid_frame", "frame \(index): balls is a list of at most 16 [n, x, y]")
            }
            // A ball number that is not 0–15 makes the frame corrupt, as it does live.
            frames.append(TableFrame(t: frame.t, balls: frame.balls.map { .init(ball: Int(exactly: $0[0]) ?? -1, x: $0[1], y: $0[2]) }))
        }
        let (shots, counters) = ShotDetector.shots(in: frames, settings: settings)
        detectorMetrics.record(counters)
        var w = JSONWriter(capacity: 256 + shots.count * 512)
        w.beginObject()
        w.key("frames")
        w.beginObject()
        w.member("corrupt", counters.corrupt)
        w.member("jumps", counters.jumps)
        w.member("outOfOrder", counters.outOfOrder)
        w.member("read", counters.frames)
        w.endObject()
        w.key("shots")
        w.beginArray()
        for shot in shots { shot.writeJSON(to: &w, threshold: threshold) }
        w.endArray()
        w.endObject()
        return Response.json(.ok, bytes: w.bytes)
    }
}
