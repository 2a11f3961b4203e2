import Foundation

/// The frames of one shot as they are kept with it, for a replay of a disputed ruling: compact
/// JSON, each frame listing only what changed since the one before.
///
/// ```json
/// {"frames": [[500, [[0, 1400, 600], [1, 1800, 200]], []], [533, [[0, 1436, 564]], []], [966, [], [1]], …]}
/// ```
///
/// Each frame is `[t, [[n, x, y], …], [gone, …]]`: its time, the balls seen somewhere new (in
/// thousandths of the table's width, 1.27 mm on a 9-foot table), and the balls no longer seen.
/// The first frame lists every ball.
public enum ShotFrames {
    /// The most frames kept for one shot: a longer shot keeps every n-th frame (and its last).
    public static let maximumFrames = 600

    /// The frames, thinned to ``maximumFrames``.
    public static func bounded(_ frames: [TableFrame]) -> [TableFrame] {
        guard frames.count > maximumFrames else { return frames }
        let step = (frames.count + maximumFrames - 2) / (maximumFrames - 1)
        var kept = stride(from: 0, to: frames.count - 1, by: step).map { frames[$0] }
        kept.append(frames[frames.count - 1])
        return kept
    }

    public static func encode(_ frames: [TableFrame]) -> [UInt8] {
        func milli(_ value: Double) -> Int { Int((value * 1000).rounded()) }
        var w = JSONWriter(capacity: 64 + frames.count * 24)
        w.beginObject()
        w.key("frames")
        w.beginArray()
        var previous: [Int: (Int, Int)] = [:]
        for frame in bounded(frames) {
            var current: [Int: (Int, Int)] = [:]
            for ball in frame.balls { current[ball.ball] = (milli(ball.x), milli(ball.y)) }
            w.beginArray()
            w.int(frame.t)
            w.beginArray()
            for (ball, position) in current.sorted(by: { $0.key < $1.key }) where previous[ball].map({ $0 != position }) ?? true {
                w.beginArray()
                w.int(ball)
                w.int(position.0)
                w.int(position.1)
                w.endArray()
            }
            w.endArray()
            w.beginArray()
            for ball in previous.keys.sorted() where current[ball] == nil { w.int(ball) }
            w.endArray()
            w.endArray()
            previous = current
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// The frames back from `encode`'s JSON; nil when it is not that.
    public static func decode(_ bytes: [UInt8]) -> [TableFrame]? {
        guard let encoded = try? JSONDecoder().decode(Encoded.self, from: Data(bytes)) else { return nil }
        var positions: [Int: (x: Double, y: Double)] = [:]
        var decoded: [TableFrame] = []
        decoded.reserveCapacity(encoded.frames.count)
        for frame in encoded.frames {
            for entry in frame.seen {
                guard entry.count == 3 else { return nil }
                positions[entry[0]] = (Double(entry[1]) / 1000, Double(entry[2]) / 1000)
            }
            for ball in frame.gone { positions[ball] = nil }
            decoded.append(
                TableFrame(t: frame.t, balls: positions.sorted { $0.key < $1.key }.map { .init(ball: $0.key, x: $0.value.x, y: $0.value.y) })
            )
        }
        return decoded
    }

    struct Encoded: Decodable {
        struct Frame: Decodable {
            var t: Int64
            var seen: [[Int]]
            var gone: [Int]

            init(from decoder: any Decoder) throws {
                var c = try decoder.unkeyedContainer()
                t = try c.decode(Int64.self)
                seen = try c.decode([[Int]].self)
                gone = try c.decode([Int].self)
            }
        }
        var frames: [Frame]
    }
}
