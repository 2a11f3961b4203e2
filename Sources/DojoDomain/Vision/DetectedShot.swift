/// A shot read from a table's frames: the observation the referee judges, how sure the detector is
/// of each part of it, and the frames' time range.
public struct DetectedShot: Sendable, Equatable {
    /// How sure the detector is of each derived member, from 0 to 1.
    public struct Confidence: Sendable, Equatable {
        public var firstContact: Double
        public var pocketed: Double
        public var cueBall: Double
        public var offTable: Double
        public var railAfterContact: Double
        public var objectBallsToRail: Double

        public init(
            firstContact: Double = 1,
            pocketed: Double = 1,
            cueBall: Double = 1,
            offTable: Double = 1,
            railAfterContact: Double = 1,
            objectBallsToRail: Double = 1
        ) {
            self.firstContact = firstContact
            self.pocketed = pocketed
            self.cueBall = cueBall
            self.offTable = offTable
            self.railAfterContact = railAfterContact
            self.objectBallsToRail = objectBallsToRail
        }

        /// The least sure member, but `objectBallsToRail`, which only a break reads: see
        /// ``DetectedShot/confidence(onBreak:)``.
        public var shot: Double { min(firstContact, pocketed, cueBall, offTable, railAfterContact) }
    }

    /// The observation (no `shotId`, no call, no safety or push-out: frames cannot know those).
    public var observation: Referee.Shot
    public var confidence: Confidence
    /// Why a confidence is below 1, in words, for the reviewer.
    public var doubts: [String]
    /// The time of the last still frame before the cue ball moved, and of the moment every ball
    /// was at rest again (the frames' clock, milliseconds).
    public var from: Int64
    public var to: Int64
    /// The frame at which the detector knew the shot was over (`to` plus the rest it waits for).
    public var detectedAt: Int64
    /// The shot ran past the longest shot the detector follows and was cut there.
    public var truncated: Bool
    /// The frames the shot was read from (from the last still one), at most
    /// ``ShotFrames/maximumFrames``: kept with the shot for a replay.
    public var frames: [TableFrame] = []

    public init(
        observation: Referee.Shot,
        confidence: Confidence,
        doubts: [String] = [],
        from: Int64,
        to: Int64,
        detectedAt: Int64,
        truncated: Bool = false
    ) {
        self.observation = observation
        self.confidence = confidence
        self.doubts = doubts
        self.from = from
        self.to = to
        self.detectedAt = detectedAt
        self.truncated = truncated
    }

    /// The confidence of the whole shot: a break also reads `objectBallsToRail`.
    public func confidence(onBreak: Bool) -> Double {
        truncated ? 0 : onBreak ? min(confidence.shot, confidence.objectBallsToRail) : confidence.shot
    }

    /// True when the shot may be judged without a person looking at it.
    public func judgeable(threshold: Double, onBreak: Bool) -> Bool {
        confidence(onBreak: onBreak) >= threshold
    }
}

extension DetectedShot.Confidence: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        w.beginObject()
        w.member("cueBall", rounded(cueBall))
        w.member("firstContact", rounded(firstContact))
        w.member("objectBallsToRail", rounded(objectBallsToRail))
        w.member("offTable", rounded(offTable))
        w.member("pocketed", rounded(pocketed))
        w.member("railAfterContact", rounded(railAfterContact))
        w.member("shot", rounded(shot))
        w.endObject()
    }
}

extension DetectedShot: JSONWritable {
    /// The observation's members (those frames can know), the confidences, the time range and the
    /// doubts, keys sorted.
    public func writeJSON(to w: inout JSONWriter) { writeJSON(to: &w, threshold: nil) }

    /// The same, and with a threshold whether the shot would be judged without review:
    /// `judgeable`, and `judgeableOnBreak` (a break reads `objectBallsToRail` too).
    public func writeJSON(to w: inout JSONWriter, threshold: Double?) {
        w.beginObject()
        w.member("confidence", confidence)
        w.member("cueBallPocketed", observation.cueBallPocketed)
        w.member("detectedAt", detectedAt)
        w.member("doubts", doubts)
        w.key("firstContact")
        if let firstContact = observation.firstContact { w.int(firstContact) } else { w.null() }
        w.member("from", from)
        if let threshold {
            w.member("judgeable", judgeable(threshold: threshold, onBreak: false))
            w.member("judgeableOnBreak", judgeable(threshold: threshold, onBreak: true))
        }
        w.member("objectBallsToRail", observation.objectBallsToRail)
        w.member("offTable", observation.offTable)
        w.member("pocketed", observation.pocketed)
        w.member("railAfterContact", observation.railAfterContact)
        w.member("to", to)
        w.member("truncated", truncated)
        w.endObject()
    }
}
