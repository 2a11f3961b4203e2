public import DojoDomain
import Metrics

/// What the shot detector read and refused, and what became of the shots it found, by where the
/// frames came from (`rest`: the stateless endpoint; `live`: a table's camera). The counters are
/// made once, with the gateway or the routes: recording runs for every camera frame.
public struct DetectorMetrics: Sendable {
    private let read: Counter
    private let outOfOrder: Counter
    private let corrupt: Counter
    private let jumps: Counter
    private let shots: Counter

    public init(source: String) {
        func frames(_ outcome: String) -> Counter {
            Counter(label: "dojo_detector_frames_total", dimensions: [("source", source), ("outcome", outcome)])
        }
        read = frames("read")
        outOfOrder = frames("out_of_order")
        corrupt = frames("corrupt")
        jumps = frames("jump")
        shots = Counter(label: "dojo_detector_shots_total", dimensions: [("source", source)])
    }

    /// Adds what the detector counted between `before` and `after`.
    public func record(_ after: ShotDetector.Counters, since before: ShotDetector.Counters = .init()) {
        for (counter, count) in [
            (read, after.frames - before.frames), (outOfOrder, after.outOfOrder - before.outOfOrder),
            (corrupt, after.corrupt - before.corrupt), (jumps, after.jumps - before.jumps), (shots, after.shots - before.shots),
        ] where count > 0 {
            counter.increment(by: count)
        }
    }

    /// What became of a shot read from a live table's frames: `judged`, `review`, `duplicate`,
    /// `no_live_match`, `manual` (the match is not in auto mode) or `refused` (once per shot).
    static func outcome(_ outcome: String) {
        Counter(label: "dojo_detector_live_shots_total", dimensions: [("outcome", outcome)]).increment()
    }
}
