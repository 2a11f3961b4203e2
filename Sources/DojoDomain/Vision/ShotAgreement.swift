/// How a detection of one corpus shot compares with the truth, member by member.
///
/// Members are compared where a ruling reads them: `railAfterContact` when no object ball was
/// pocketed (a pocketed ball makes the shot legal whatever the cushions saw, and the detector then
/// reports the rail as reached); on a break with nothing pocketed, whether four or more object
/// balls reached a rail (`breakRails`: all the referee reads of the count). The whole shot agrees
/// when the detector found exactly one shot and every compared member is right; `exact` also asks
/// for the exact count of `objectBallsToRail` on every break.
public struct ShotVerdict: Sendable {
    public enum Member: String, Sendable, CaseIterable {
        case firstContact, pocketed, cueBallPocketed, offTable, railAfterContact, breakRails, objectBallsToRail
    }

    /// The shots the detector found in the frames (1 is right).
    public var found: Int
    /// Each compared member: right or wrong.
    public var members: [Member: Bool] = [:]
    public var whole: Bool
    /// Every member exact, `objectBallsToRail` included.
    public var exact: Bool
    /// The detector would judge the shot without review.
    public var judgeable: Bool
    /// From the balls' stopping (``ShotCorpus/Shot/stoppedAt``) to the detector's knowing, in
    /// milliseconds.
    public var latency: Int64?
    /// From every ball's being within 1 cm of where it stops (``ShotCorpus/Shot/restAt``).
    public var latencyFromSettling: Int64?
    public var detected: DetectedShot?

    public init(shot: ShotCorpus.Shot, detections: [DetectedShot], threshold: Double) {
        found = detections.count
        let onBreak = shot.kind.hasPrefix("break")
        guard detections.count == 1, let detected = detections.first else {
            whole = false
            exact = false
            judgeable = detections.contains { $0.judgeable(threshold: threshold, onBreak: onBreak) }
            self.detected = detections.first
            return
        }
        self.detected = detected
        let truth = shot.truth
        let seen = detected.observation
        members[.firstContact] = seen.firstContact == truth.firstContact
        members[.pocketed] = Set(seen.pocketed) == Set(truth.pocketed)
        members[.cueBallPocketed] = seen.cueBallPocketed == truth.cueBallPocketed
        members[.offTable] = Set(seen.offTable) == Set(truth.offTable)
        if truth.pocketed.isEmpty { members[.railAfterContact] = seen.railAfterContact == truth.railAfterContact }
        if onBreak, truth.pocketed.isEmpty { members[.breakRails] = (seen.objectBallsToRail >= 4) == (truth.objectBallsToRail >= 4) }
        whole = members.values.allSatisfy { $0 }
        if onBreak { members[.objectBallsToRail] = seen.objectBallsToRail == truth.objectBallsToRail }
        exact = members.values.allSatisfy { $0 }
        judgeable = detected.judgeable(threshold: threshold, onBreak: onBreak)
        latency = detected.detectedAt - shot.stoppedAt
        latencyFromSettling = detected.detectedAt - shot.restAt
    }

    /// The members that were wrong (the exact count only where it changes a ruling).
    public var wrong: [Member] { Member.allCases.filter { members[$0] == false && ($0 != .objectBallsToRail || !whole) } }
}

/// The tally of many verdicts: per-member and whole-shot agreement, what went to review, and
/// every shot judged wrong without review, by name.
public struct AgreementReport: Sendable {
    public var shots = 0
    public var whole = 0
    public var exact = 0
    public var compared: [ShotVerdict.Member: Int] = [:]
    public var agreed: [ShotVerdict.Member: Int] = [:]
    /// Shots that would go to review.
    public var reviewed = 0
    /// Shots judged automatically and wrong: the ones that matter.
    public var wrongUnreviewed: [String] = []
    /// Shots wrong but sent to review.
    public var wrongReviewed: [String] = []
    public var latencies: [Int64] = []
    public var latenciesFromSettling: [Int64] = []
    /// Each shot's latency with its id, to name the slowest.
    public var latencyByShot: [(id: String, milliseconds: Int64)] = []

    public init() {}

    public mutating func add(_ verdict: ShotVerdict, id: String) {
        shots += 1
        if verdict.whole { whole += 1 }
        if verdict.exact { exact += 1 }
        if !verdict.judgeable { reviewed += 1 }
        for (member, right) in verdict.members {
            compared[member, default: 0] += 1
            if right { agreed[member, default: 0] += 1 }
        }
        if !verdict.whole {
            let why = verdict.found == 1 ? verdict.wrong.map(\.rawValue).joined(separator: ",") : "\(verdict.found) shots found"
            if verdict.judgeable { wrongUnreviewed.append("\(id) (\(why))") } else { wrongReviewed.append("\(id) (\(why))") }
        }
        if let latency = verdict.latency {
            latencies.append(latency)
            latencyByShot.append((id, latency))
        }
        if let latency = verdict.latencyFromSettling { latenciesFromSettling.append(latency) }
    }

    public var wholeAgreement: Double { shots == 0 ? 0 : Double(whole) / Double(shots) }

    /// Whole-shot agreement among the shots judged without review.
    public var automaticAgreement: Double {
        let automatic = shots - reviewed
        return automatic == 0 ? 1 : Double(automatic - wrongUnreviewed.count) / Double(automatic)
    }

    public func agreement(_ member: ShotVerdict.Member) -> Double {
        let total = compared[member] ?? 0
        return total == 0 ? 1 : Double(agreed[member] ?? 0) / Double(total)
    }

    /// The latency from the balls' stopping at a quantile (0–1), in milliseconds.
    public func latency(_ quantile: Double) -> Int64 { Self.quantile(quantile, of: latencies) }

    /// The latency from every ball's being within 1 cm of where it stops, at a quantile.
    public func latencyFromSettling(_ quantile: Double) -> Int64 { Self.quantile(quantile, of: latenciesFromSettling) }

    private static func quantile(_ quantile: Double, of values: [Int64]) -> Int64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * quantile))]
    }

    /// A few lines for a log or a document.
    public var summary: String {
        func percent(_ value: Double) -> String {
            let tenths = Int((value * 1000).rounded())
            return "\(tenths / 10).\(tenths % 10) %"
        }
        var lines = [
            "\(shots) shots: whole-shot agreement \(percent(wholeAgreement)) (\(whole)/\(shots)) as rulings read them; every member exact \(percent(shots == 0 ? 0 : Double(exact) / Double(shots)))"
        ]
        lines.append(
            ShotVerdict.Member.allCases.map { "\($0.rawValue) \(percent(agreement($0))) of \(compared[$0] ?? 0)" }.joined(separator: ", ")
        )
        lines.append(
            "sent to review: \(reviewed); wrong and judged without review: \(wrongUnreviewed.count) (agreement of the automatic rulings \(percent(automaticAgreement)))"
        )
        lines.append(
            "detection after the balls stopped: p50 \(latency(0.5)) ms, p99 \(latency(0.99)) ms, max \(latency(1)) ms "
                + "(after every ball was within 1 cm of where it stopped: p50 \(latencyFromSettling(0.5)) ms, p99 \(latencyFromSettling(0.99)) ms)"
        )
        if !wrongUnreviewed.isEmpty { lines.append("wrong without review: " + wrongUnreviewed.joined(separator: "; ")) }
        if !wrongReviewed.isEmpty { lines.append("wrong, sent to review: " + wrongReviewed.joined(separator: "; ")) }
        let slowest = latencyByShot.sorted { $0.milliseconds > $1.milliseconds }.prefix(5)
        if !slowest.isEmpty { lines.append("slowest detections: " + slowest.map { "\($0.id) (\($0.milliseconds) ms)" }.joined(separator: "; ")) }
        return lines.joined(separator: "\n")
    }
}

extension ShotDetector {
    /// Every shot in a sequence of frames, the last one included if the balls had stopped.
    public static func shots(in frames: [TableFrame], settings: Settings = Settings()) -> (shots: [DetectedShot], counters: Counters) {
        var detector = ShotDetector(settings: settings)
        var shots: [DetectedShot] = []
        for frame in frames {
            if let shot = detector.feed(frame) { shots.append(shot) }
        }
        if let last = detector.finish() { shots.append(last) }
        return (shots, detector.counters)
    }
}
