import DojoDomain
import DojoTesting
import Foundation
import Testing

/// The detector against 300 shots simulated by pooltool-billiards (`scripts/referee-corpus.py`),
/// clean and through a noisy camera, at 60, 30 and 15 frames per second.
@Suite("Shot detection: the simulator's corpus")
struct ShotCorpusTests {
    static func report(fps: Int, noisy: Bool) -> AgreementReport {
        var report = AgreementReport()
        for (index, original) in RefereeCorpus.shots.enumerated() {
            var shot = original.every(60 / fps)
            if noisy { shot = shot.throughNoisyCamera(index: index) }
            let found = ShotDetector.shots(in: shot.frames).shots
            // DOJO_SHOT_DETAIL=pot-0040 prints what the detector made of one shot.
            if ProcessInfo.processInfo.environment["DOJO_SHOT_DETAIL"] == shot.id {
                print("\(shot.id) at \(fps) fps\(noisy ? ", noisy" : ""): truth \(shot.truth)")
                for detected in found { print("  detected \(detected.observation) \(detected.confidence) \(detected.doubts)") }
            }
            report.add(ShotVerdict(shot: shot, detections: found, threshold: 0.8), id: shot.id)
        }
        return report
    }

    /// The figures measured when the detector was tuned (docs/referee.md), less half a point to a
    /// point: a change that reads the corpus worse fails here. The aims (98 % clean, 95 % noisy)
    /// are met at 60 and 30 fps; the table in docs/referee.md gives every rate.
    static let floors: [Int: (clean: Double, noisy: Double, automatic: Double)] = [
        60: (0.985, 0.98, 0.985),
        30: (0.98, 0.975, 0.97),
        15: (0.93, 0.90, 0.965),
    ]

    /// The aim: a shot is known within 300 ms after its balls stopped (99th percentile).
    static let latencyAim: Int64 = 300

    @Test("whole-shot agreement on clean and noisy frames at 60, 30 and 15 fps", arguments: [60, 30, 15])
    func agreement(fps: Int) throws {
        #expect(RefereeCorpus.shots.count >= 300)
        let floor = try #require(Self.floors[fps])
        for noisy in [false, true] {
            let report = Self.report(fps: fps, noisy: noisy)
            print("shot detection, \(fps) fps, \(noisy ? "noisy" : "clean"): \(report.summary)")
            #expect(report.wholeAgreement >= (noisy ? floor.noisy : floor.clean), "\(fps) fps \(noisy ? "noisy" : "clean")")
            #expect(report.automaticAgreement >= floor.automatic, "\(fps) fps \(noisy ? "noisy" : "clean"): wrong without review")
            #expect(report.latency(0.99) <= Self.latencyAim, "\(fps) fps \(noisy ? "noisy" : "clean"): detection after the balls stopped")
        }
    }
}
