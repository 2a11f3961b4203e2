public import DojoDomain
import Metrics

/// What the shot detector read and refused, and what became of the shots it found, by where the
/// frames came from (`rest`: the stateless endpoint; `live`: a table's camera).
public enum DetectorMetrics {
    /// Adds what the detector counted between `before` and `after`.
    public static func record(_ after: ShotDetector.Counters, since before: ShotDetector.Counters = .init(), source: String) {
        for (outcome, count) in [
            ("read", after.frames - before.frames), ("out_of_order", after.outOfOrder - before.outOfOrder),
            ("corrupt", after.corrupt - before.corrupt), ("jump", after.jumps - before.jumps),
        ] where count > 0 {
            Counter(label: "dojo_detector_frames_total", dimensions: [("source", source), ("outcome", outcome)]).increment(by: count)
        }
        if after.shots > before.shots {
            Counter(label: "dojo_detector_shots_total", dimensions: [("source", source)]).increment(by: after.shots - before.shots)
        }
    }

    /// What became of a shot read from a live table's frames: `judged`, `review`, `no_live_match`,
    /// `manual` (the match is not in auto mode) or `refused`.
    static func outcome(_ outcome: String) {
        Counter(label: "dojo_detector_live_shots_total", dimensions: [("outcome", outcome)]).increment()
    }
}
