import ArgumentParser
import DojoDomain
import Foundation

/// `dojopool bench-detector`: the automatic referee's shot detector against a corpus of shots with
/// known truth: how often it agrees, and what a frame costs on one core. Medians of several rounds.
///
///     gzip -dc Tests/Fixtures/referee-corpus.ndjson.gz | dojopool bench-detector
struct BenchDetector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-detector",
        abstract: "Benchmark the shot detector: agreement with a corpus's truth, and nanoseconds per frame on one core."
    )

    @Option(help: "The corpus, NDJSON (docs/referee.md); - reads standard input.")
    var corpus = "-"
    @Option(help: "Frame rates to measure at, comma-separated (the corpus's rate divided by a whole number).")
    var fps = "60,30,15"
    @Option(help: "Rounds per cost measurement (the median is reported).") var rounds = 5
    @Option(help: "The confidence at or above which a shot is judged without review.") var threshold = 0.8
    @Flag(help: "List every shot read wrong, by id and member, and the slowest detections.") var list = false
    @Option(help: "Show one shot: its truth, when the table came to rest, and what the detector read at each rate.")
    var show: String?

    func run() async throws {
        let data = corpus == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: corpus))
        let shots = try ShotCorpus(ndjson: data).shots
        guard let native = shots.first?.fps else { throw ValidationError("the corpus has no shots") }
        let rates = try fps.split(separator: ",").map { text -> Int in
            guard let rate = Int(text.trimmingCharacters(in: .whitespaces)), rate > 0, native % rate == 0 else {
                throw ValidationError("--fps: each rate must divide the corpus's \(native) fps")
            }
            return rate
        }
        print("corpus: \(shots.count) shots at \(native) fps")
        if let show {
            guard let index = shots.firstIndex(where: { $0.id == show }) else { throw ValidationError("--show: no shot \(show) in the corpus") }
            return Self.show(shots[index], index: index, rates: rates, native: native, threshold: threshold)
        }
        for rate in rates {
            for noisy in [false, true] {
                let prepared = shots.enumerated().map { index, shot in
                    let slower = shot.every(native / rate)
                    return noisy ? slower.throughNoisyCamera(index: index) : slower
                }
                var report = AgreementReport()
                for shot in prepared {
                    report.add(ShotVerdict(shot: shot, detections: ShotDetector.shots(in: shot.frames).shots, threshold: threshold), id: shot.id)
                }
                let frames = prepared.reduce(0) { $0 + $1.frames.count }
                let cost = measure(rounds: rounds) { for shot in prepared { _ = ShotDetector.shots(in: shot.frames) } } / Double(frames)
                print("")
                print("\(rate) fps, \(noisy ? "noisy (2.5 mm, 2 % missed, 1 % bad frames)" : "clean"):")
                print(report.summary.split(separator: "\n").prefix(list ? 7 : 4).joined(separator: "\n"))
                print(String(format: "cost: %.0f ns per frame over %d frames (%.0f frames/s on one core)", cost, frames, 1e9 / cost))
            }
        }
        // The common case: a table at rest, 16 balls seen with noise, no shot.
        var idle: [TableFrame] = []
        var random = SplitMix64(seed: 3)
        for index in 0..<3_000 {
            idle.append(
                TableFrame(
                    t: Int64(index) * 33,
                    balls: (0..<16).map { ball in
                        let jitter = { Double(random.next() % 1_000) / 1_000 * 0.004 - 0.002 }
                        return .init(ball: ball, x: 0.1 + Double(ball) * 0.11 + jitter(), y: 0.5 + jitter())
                    }
                )
            )
        }
        let idleCost = measure(rounds: rounds) { _ = ShotDetector.shots(in: idle) } / Double(idle.count)
        print("")
        print(
            String(
                format: "a table at rest, 16 balls: %.0f ns per frame; 400 tables at 30 fps: %.1f %% of a core",
                idleCost,
                idleCost * 400 * 30 / 1e7
            )
        )
    }

    /// One shot as the detector reads it at each rate, clean and noisy, beside its truth.
    private static func show(_ shot: ShotCorpus.Shot, index: Int, rates: [Int], native: Int, threshold: Double) {
        let truth = shot.truth
        print(
            "\(shot.id): truth firstContact \(truth.firstContact.map(String.init) ?? "none"), pocketed \(truth.pocketed.map { "\($0.ball)→\($0.pocket)" }), "
                + "cueBallPocketed \(truth.cueBallPocketed), offTable \(truth.offTable), railAfterContact \(truth.railAfterContact), "
                + "objectBallsToRail \(truth.objectBallsToRail); stopped at \(shot.stoppedAt) ms (within 1 cm from \(shot.restAt) ms)"
        )
        for rate in rates {
            for noisy in [false, true] {
                let slower = shot.every(native / rate)
                let frames = (noisy ? slower.throughNoisyCamera(index: index) : slower).frames
                let (detected, counters) = ShotDetector.shots(in: frames)
                print("")
                print(
                    "\(rate) fps, \(noisy ? "noisy" : "clean"): \(detected.count) shot(s); "
                        + "frames \(counters.frames) read, \(counters.jumps) jumps, \(counters.corrupt) corrupt"
                )
                for found in detected {
                    var writer = JSONWriter()
                    var copy = found
                    copy.frames = []
                    copy.writeJSON(to: &writer, threshold: threshold)
                    print(String(decoding: writer.bytes, as: UTF8.self))
                }
            }
        }
    }

    /// The median over rounds of one run of `body`, in nanoseconds.
    private func measure(rounds: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<max(rounds, 1) {
            let start = clock.now
            body()
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
