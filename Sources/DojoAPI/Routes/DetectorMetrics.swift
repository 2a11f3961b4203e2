import DojoDomain
import Metrics

/// What the shot detector read and refused, by where its frames came from (`rest`: the stateless
/// endpoint; `live`: a table's camera).
enum DetectorMetrics {
    static func record(_ counters: ShotDetector.Counters, source: String) {
        for (outcome, count) in [
            ("read", counters.frames), ("out_of_order", counters.outOfOrder), ("corrupt", counters.corrupt), ("jump", counters.jumps),
        ] where count > 0 {
            Counter(label: "dojo_detector_frames_total", dimensions: [("source", source), ("outcome", outcome)]).increment(by: count)
        }
        if counters.shots > 0 {
            Counter(label: "dojo_detector_shots_total", dimensions: [("source", source)]).increment(by: counters.shots)
        }
    }
}
