public import Foundation

/// Shots with their known truth, to measure the detector: the format of
/// `Tests/Fixtures/referee-corpus.ndjson.gz` (made by `scripts/referee-corpus.py` from a physics
/// simulator) and of any corpus a camera vendor records the same way. One shot per line:
///
/// ```json
/// {"id": "pot-0042", "kind": "pot", "fps": 60,
///  "truth": {"firstContact": 3, "pocketed": [{"ball": 3, "pocket": 2}], "cueBallPocketed": false,
///            "offTable": [], "railAfterContact": true, "objectBallsToRail": 1},
///  "frames": [[[0, 412, 500], [3, 900, 520]], [[0, 419, 500]], [[3]], …]}
/// ```
///
/// Frames come at `fps`, each listing only what changed: `[n, x, y]` for a ball seen somewhere new
/// (thousandths of the table's width), `[n]` for a ball no longer seen; the first lists every ball.
public struct ShotCorpus: Sendable {
    public struct Shot: Sendable {
        public var id: String
        public var kind: String
        public var fps: Int
        public var truth: Referee.Shot
        public var frames: [TableFrame]

        /// When the table came to rest: the first frame after which every ball stays within 1 cm
        /// (on a 9-foot table) of where it ends, and no ball comes or goes.
        public var restAt: Int64
        /// When the balls stopped: the first frame after which no ball moves by even the frames'
        /// resolution (a thousandth of the table's width, 1.27 mm), and none comes or goes.
        public var stoppedAt: Int64

        public init(id: String, kind: String, fps: Int, truth: Referee.Shot, frames: [TableFrame]) {
            self.id = id
            self.kind = kind
            self.fps = fps
            self.truth = truth
            self.frames = frames
            restAt = ShotCorpus.restAt(frames)
            stoppedAt = ShotCorpus.stoppedAt(frames)
        }
    }

    public var shots: [Shot]

    /// Reads a corpus from its NDJSON bytes.
    public init(ndjson: Data) throws {
        shots = []
        for line in ndjson.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            shots.append(try Self.shot(Data(line)))
        }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    static func shot(_ line: Data) throws -> Shot {
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
            let id = object["id"] as? String, let fps = object["fps"] as? Int, fps > 0, fps <= 1_000,
            let truthObject = object["truth"], let deltas = object["frames"] as? [[[Double]]]
        else { throw Malformed(description: "a corpus line needs id, fps, truth and frames") }
        let truth = try JSONDecoder().decode(Referee.Shot.self, from: JSONSerialization.data(withJSONObject: truthObject))
        var positions: [Int: (x: Double, y: Double)] = [:]
        var frames: [TableFrame] = []
        frames.reserveCapacity(deltas.count)
        for (index, delta) in deltas.enumerated() {
            for entry in delta {
                guard let number = entry.first.flatMap({ Int(exactly: $0) }), (0...15).contains(number) else {
                    throw Malformed(description: "\(id): frame \(index) has a ball that is not 0–15")
                }
                switch entry.count {
                case 1: positions[number] = nil
                case 3: positions[number] = (entry[1] / 1000, entry[2] / 1000)
                default: throw Malformed(description: "\(id): frame \(index) has an entry that is neither [n, x, y] nor [n]")
                }
            }
            let t = Int64((Double(index) * 1000 / Double(fps)).rounded())
            frames.append(
                TableFrame(t: t, balls: positions.sorted { $0.key < $1.key }.map { .init(ball: $0.key, x: $0.value.x, y: $0.value.y) })
            )
        }
        return Shot(id: id, kind: object["kind"] as? String ?? "", fps: fps, truth: truth, frames: frames)
    }

    static func stoppedAt(_ frames: [TableFrame]) -> Int64 {
        var index = frames.count - 1
        while index > 0, frames[index - 1].balls == frames[index].balls { index -= 1 }
        return frames.isEmpty ? 0 : frames[index].t
    }

    static func restAt(_ frames: [TableFrame]) -> Int64 {
        guard let final = frames.last else { return 0 }
        let end = Dictionary(uniqueKeysWithValues: final.balls.map { ($0.ball, $0) })
        var index = frames.count - 1
        while index > 0 {
            let frame = frames[index - 1]
            let settled =
                frame.balls.count == end.count
                && frame.balls.allSatisfy { sighting in
                    guard let last = end[sighting.ball] else { return false }
                    return norm2(sighting.x - last.x, sighting.y - last.y) <= 0.008
                }
            if !settled { break }
            index -= 1
        }
        return frames[index].t
    }
}

extension ShotCorpus.Shot {
    /// The same shot seen at a lower frame rate (every n-th frame).
    public func every(_ step: Int) -> ShotCorpus.Shot {
        var copy = self
        copy.fps = fps / step
        copy.frames = stride(from: 0, to: frames.count, by: step).map { frames[$0] }
        return copy
    }

    /// The same shot through the noisy camera the published figures use (docs/referee.md): 2.5 mm
    /// of noise on a 9-foot table, 2 % missed detections, 1 % bad frames; `index` seeds it.
    public func throughNoisyCamera(index: Int) -> ShotCorpus.Shot {
        noisy(sigma: 0.002, missRate: 0.02, badFrameRate: 0.01, seed: UInt64(index) &* 7919 &+ 17)
    }

    /// The same shot through a worse camera, the same for the same seed: each coordinate off by
    /// Gaussian noise of `sigma` table units; each ball missed for one or two frames with
    /// probability `missRate` per frame; and with probability `badFrameRate` per frame, a frame
    /// swapped with the next (out of order) or one that names a ball twice (corrupt).
    public func noisy(sigma: Double, missRate: Double, badFrameRate: Double, seed: UInt64) -> ShotCorpus.Shot {
        var random = SplitMix64(seed: seed)
        func unit() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        func gaussian() -> Double {
            // Box–Muller.
            let u = max(unit(), 1e-12)
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * unit())
        }
        var missing = [Int](repeating: 0, count: 16)
        var frames: [TableFrame] = []
        frames.reserveCapacity(self.frames.count)
        for frame in self.frames {
            var balls: [TableFrame.Sighting] = []
            for sighting in frame.balls {
                if missing[sighting.ball] == 0, unit() < missRate { missing[sighting.ball] = unit() < 0.5 ? 1 : 2 }
                if missing[sighting.ball] > 0 {
                    missing[sighting.ball] -= 1
                    continue
                }
                balls.append(.init(ball: sighting.ball, x: sighting.x + sigma * gaussian(), y: sighting.y + sigma * gaussian()))
            }
            var noisy = TableFrame(t: frame.t, balls: balls)
            if unit() < badFrameRate / 2, let first = balls.first {
                noisy.balls.append(first)  // a ball twice: the whole frame is corrupt
            }
            frames.append(noisy)
            if unit() < badFrameRate / 2, frames.count >= 2 {
                frames.swapAt(frames.count - 1, frames.count - 2)
            }
        }
        var copy = self
        copy.frames = frames
        return copy
    }
}
