/// Reads shots from a table's frames, one frame at a time: all balls at rest, the cue ball moves,
/// every ball at rest again. Each shot found is analysed into the observation the referee judges
/// (``ShotAnalysis``).
///
/// A value with no clock and no I/O: the same frames give the same shots. Bad frames change nothing
/// and are counted — a frame whose time does not move forward or is outside 0…10^15 ms, a frame
/// with a ball twice or a ball off the table, and a single detection that jumped farther than a ball can travel (that ball is
/// treated as unseen in that frame).
///
/// ```swift
/// var detector = ShotDetector()
/// for frame in frames {
///     if let shot = detector.feed(frame) { judge(shot.observation) }
/// }
/// ```
public struct ShotDetector: Sendable {
    /// The thresholds, in table units and milliseconds. The defaults suit a 9-foot table seen with
    /// a few millimetres of noise at 15–60 frames per second.
    public struct Settings: Sendable, Equatable {
        public var geometry: TableGeometry = .nineFoot
        /// The cue ball away from its rest position by this much in two frames running is moving;
        /// twice this far, fast enough, it starts a shot.
        public var startDistance = 0.012
        /// How far an object ball must leave its rest position, in two frames running, to count as
        /// moved by the shot.
        public var moveDistance = 0.012
        /// A ball that stays this close to where it settled counts as still.
        public var stillRadius = 0.008
        /// How long every ball must be still (or gone) before the shot is over.
        public var restMilliseconds: Int64 = 200
        /// A ball settling this close to a pocket's centre must be still twice as long: a ball
        /// creeping towards the jaws may still drop.
        public var pocketWatch = 0.12
        /// A longer shot is cut here and never judged automatically.
        public var maxShotMilliseconds: Int64 = 60_000
        /// The fastest a ball can travel, in table units per second (12.7 m/s on a 9-foot table):
        /// a detection farther than this from the ball's last one is a misdetection.
        public var maxSpeed = 10.0
        /// A ball unseen this long while the table is at rest has left the table (or the hand holds it).
        public var forgetMilliseconds: Int64 = 1_000
        /// The cue ball must leave its rest position at least this fast (table units per second,
        /// 19 cm/s) to start a shot: a ball creeping to a stop, or nudged, does not.
        public var minStrokeSpeed = 0.15

        public init() {}
    }

    /// What the detector saw and refused, for metrics.
    public struct Counters: Sendable, Equatable {
        public var frames = 0
        /// Frames whose time did not move forward.
        public var outOfOrder = 0
        /// Frames with a ball twice, a ball number outside 0–15, a ball off the table, or a time
        /// outside 0…``ShotDetector/latestFrameTime``.
        public var corrupt = 0
        /// Single detections farther from the ball's last one than it can travel.
        public var jumps = 0
        /// Object balls moved while the cue ball was at rest (by hand), taken at their new place.
        public var disturbed = 0
        public var shots = 0
        /// Shots cut at `maxShotMilliseconds`.
        public var truncated = 0

        public init() {}
    }

    /// What the detector follows of one ball.
    struct Track: Sendable {
        /// Where the ball rests (a running mean) and over how many frames; 0: no rest position.
        var restX = 0.0
        var restY = 0.0
        var restCount = 0
        /// Frames running in which the ball was away from its rest position.
        var displaced = 0
        /// The last time the ball was seen still at its rest position.
        var nearT: Int64 = 0
        /// The last accepted detection.
        var lastX = 0.0
        var lastY = 0.0
        var lastT: Int64?
        /// Detections running that were refused as jumps (three in a row are believed).
        var jumps = 0
        /// While a shot runs: where the ball settled (a running mean), since when, over how many frames.
        var anchorX = 0.0
        var anchorY = 0.0
        var anchorT: Int64 = 0
        var anchorCount = 0
        /// The last sighting was away from the settling point.
        var strayed = false
        /// The settling point is within ``Settings/pocketWatch`` of a pocket.
        var byPocket = false
    }

    public let settings: Settings
    public private(set) var counters = Counters()
    private var tracks = [Track](repeating: Track(), count: 16)
    private var lastT: Int64?
    /// This frame's accepted positions (NaN: not seen), reused from frame to frame.
    private var seenX = [Double](repeating: .nan, count: 16)
    private var seenY = [Double](repeating: .nan, count: 16)
    /// The last frames while the table is at rest: the shot's frames start with those since the
    /// cue ball was last still.
    private var preroll = FrameRing(capacity: 8)
    /// The shot being followed.
    private var recording: ShotRecording?

    /// The latest frame time taken, in milliseconds (10^15).
    public static let latestFrameTime: Int64 = 1_000_000_000_000_000

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The time of the last frame taken, if any.
    public var lastFrameTime: Int64? { lastT }

    /// Takes one frame; returns the shot that this frame showed to be over, if any.
    public mutating func feed(_ frame: TableFrame) -> DetectedShot? {
        // Times past ~31,700 years are corrupt: every difference of two times then fits an Int64.
        guard (0...Self.latestFrameTime).contains(frame.t) else {
            counters.corrupt += 1
            return nil
        }
        if let lastT, frame.t <= lastT {
            counters.outOfOrder += 1
            return nil
        }
        guard accept(frame) else {
            counters.corrupt += 1
            return nil
        }
        lastT = frame.t
        counters.frames += 1
        if recording == nil {
            watchAtRest(t: frame.t)
            return nil
        }
        return follow(t: frame.t)
    }

    /// Ends the input: a shot still running is analysed as far as it went, if every ball stopped
    /// (nil otherwise: the balls were still moving when the frames ended).
    public mutating func finish() -> DetectedShot? {
        guard let recording, let lastT else { return nil }
        let settled = (0..<16).allSatisfy { ball in
            guard recording.followed & (1 << ball) != 0 else { return true }
            let track = tracks[ball]
            return track.lastT != lastT || track.anchorCount > 1
        }
        guard settled else { return nil }
        return end(recording, at: lastT, truncated: false)
    }

    /// Checks the frame and fills `seenX`/`seenY`; false for a corrupt frame (nothing changed).
    private mutating func accept(_ frame: TableFrame) -> Bool {
        var seen: UInt16 = 0
        for sighting in frame.balls {
            guard (0...15).contains(sighting.ball), sighting.x.isFinite, sighting.y.isFinite,
                settings.geometry.accepts(x: sighting.x, y: sighting.y), seen & (1 << sighting.ball) == 0
            else { return false }
            seen |= 1 << sighting.ball
        }
        for ball in 0..<16 {
            seenX[ball] = .nan
            seenY[ball] = .nan
        }
        for sighting in frame.balls {
            var track = tracks[sighting.ball]
            if let last = track.lastT {
                let reach = settings.maxSpeed * Double(frame.t - last) / 1000 + 3 * settings.geometry.ballRadius
                if norm2(sighting.x - track.lastX, sighting.y - track.lastY) > reach, track.jumps < 2 {
                    track.jumps += 1
                    tracks[sighting.ball] = track
                    counters.jumps += 1
                    continue
                }
            }
            track.jumps = 0
            track.lastX = sighting.x
            track.lastY = sighting.y
            track.lastT = frame.t
            tracks[sighting.ball] = track
            seenX[sighting.ball] = sighting.x
            seenY[sighting.ball] = sighting.y
        }
        return true
    }

    /// At rest: keeps each ball's rest position, and starts a shot when the cue ball leaves its own.
    private mutating func watchAtRest(t: Int64) {
        for ball in 0..<16 {
            var track = tracks[ball]
            let x = seenX[ball]
            let y = seenY[ball]
            if x.isNaN {
                if let last = track.lastT, t - last >= settings.forgetMilliseconds {
                    track.restCount = 0
                    track.displaced = 0
                }
            } else if track.restCount == 0 {
                (track.restX, track.restY, track.restCount, track.displaced, track.nearT) = (x, y, 1, 0, t)
            } else if norm2(x - track.restX, y - track.restY) > (ball == 0 ? settings.startDistance : settings.moveDistance) {
                track.displaced += 1
            } else {
                track.displaced = 0
                if norm2(x - track.restX, y - track.restY) <= settings.stillRadius { track.nearT = t }
                track.restCount = min(track.restCount + 1, 32)
                track.restX += (x - track.restX) / Double(track.restCount)
                track.restY += (y - track.restY) / Double(track.restCount)
            }
            tracks[ball] = track
        }
        // The cue ball starts a shot when it is clearly away (twice `startDistance`) and left fast
        // enough; slower, it is creeping to a stop or being placed.
        let cue = tracks[0]
        if strokeIntoPocket(t: t) { return startShot(t: t) }
        var creeping = false
        if cue.restCount >= 3, cue.displaced >= 2, !seenX[0].isNaN {
            let away = norm2(seenX[0] - cue.restX, seenY[0] - cue.restY)
            let speed = (away - settings.stillRadius) / (Double(max(t - cue.nearT, 1)) / 1000)
            if speed >= settings.minStrokeSpeed {
                if away >= 2 * settings.startDistance { return startShot(t: t) }
            } else {
                creeping = true
            }
        }
        // An object ball moved while the cue ball rests (a hand), or the cue ball creeps: take
        // the ball's new place.
        for ball in 0..<16 where tracks[ball].displaced >= 3 && !seenX[ball].isNaN && (ball != 0 || creeping) {
            (tracks[ball].restX, tracks[ball].restY, tracks[ball].restCount) = (seenX[ball], seenY[ball], 1)
            (tracks[ball].displaced, tracks[ball].nearT) = (0, t)
            counters.disturbed += 1
        }
        preroll.push(t: t, x: seenX, y: seenY)
    }

    /// True when the cue ball, seen once clearly away from its rest position and fast, is gone in
    /// this frame next to a pocket it could have reached since: a stroke straight into a pocket,
    /// over before a second sighting could show it moving (a hard scratch at 30 fps).
    private func strokeIntoPocket(t: Int64) -> Bool {
        let cue = tracks[0]
        guard cue.restCount >= 3, cue.displaced == 1, seenX[0].isNaN, let last = cue.lastT, last > cue.nearT,
            preroll.count > 0, preroll.time(preroll.count - 1) == last
        else { return false }
        let away = norm2(cue.lastX - cue.restX, cue.lastY - cue.restY)
        let speed = (away - settings.stillRadius) / (Double(last - cue.nearT) / 1000)
        guard away >= 2 * settings.startDistance, speed >= settings.minStrokeSpeed else { return false }
        let reach = speed * Double(t - last) / 1000 + ShotAnalysis.pocketReach
        return settings.geometry.nearestPocket(x: cue.lastX, y: cue.lastY).distance <= reach
    }

    private mutating func startShot(t: Int64) {
        var recording = ShotRecording(capacity: 256)
        for ball in 0..<16 where tracks[ball].restCount > 0 {
            recording.rest(ball, x: tracks[ball].restX, y: tracks[ball].restY)
        }
        let still = tracks[0].nearT
        for index in 0..<preroll.count where preroll.time(index) >= still || index == preroll.count - 1 {
            recording.append(t: preroll.time(index), x: preroll.xs(index), y: preroll.ys(index))
        }
        recording.append(t: t, x: seenX, y: seenY)
        for ball in 0..<16 {
            tracks[ball].anchorCount = 0
            anchor(ball, t: t)
        }
        self.recording = recording
        preroll.clear()
    }

    /// Follows where the ball settles: still near its settling point, or settling anew from here.
    private mutating func anchor(_ ball: Int, t: Int64) {
        let x = seenX[ball]
        let y = seenY[ball]
        guard !x.isNaN else { return }
        var track = tracks[ball]
        let near = track.anchorCount > 0 && norm2(x - track.anchorX, y - track.anchorY) <= settings.stillRadius
        if near || (track.anchorCount > 0 && !track.strayed) {
            // One sighting away from the settling point is noise until the next one agrees.
            track.strayed = !near
            guard near else {
                tracks[ball] = track
                return
            }
            // The settling point is the mean of the first four sightings, then stays put: a
            // point that followed the ball would let a slow roll pass for stillness.
            track.anchorCount += 1
            if track.anchorCount <= 4 {
                track.anchorX += (x - track.anchorX) / Double(track.anchorCount)
                track.anchorY += (y - track.anchorY) / Double(track.anchorCount)
                track.byPocket = settings.geometry.nearestPocket(x: track.anchorX, y: track.anchorY).distance <= settings.pocketWatch
            }
        } else {
            track.strayed = false
            (track.anchorX, track.anchorY, track.anchorT, track.anchorCount) = (x, y, t, 1)
            track.byPocket = settings.geometry.nearestPocket(x: x, y: y).distance <= settings.pocketWatch
        }
        tracks[ball] = track
    }

    /// During a shot: records the frame and ends the shot once every ball is still or gone.
    private mutating func follow(t: Int64) -> DetectedShot? {
        guard var recording else { return nil }
        self.recording = nil
        recording.append(t: t, x: seenX, y: seenY)
        var settled = true
        for ball in 0..<16 {
            anchor(ball, t: t)
            let track = tracks[ball]
            guard recording.followed & (1 << ball) != 0, let last = track.lastT else { continue }
            if last == t {
                // A sighting away from the settling point may be the ball moving on: not yet. Next
                // to a pocket, a ball still creeping may yet drop: it waits twice as long.
                let wait = track.byPocket ? settings.restMilliseconds * 3 / 2 : settings.restMilliseconds
                if t - track.anchorT < wait || track.strayed { settled = false }
            } else if t - last < settings.restMilliseconds {
                settled = false
            }
        }
        if settled, t - recording.startT >= settings.restMilliseconds {
            return end(recording, at: t, truncated: false)
        }
        if t - recording.startT > settings.maxShotMilliseconds {
            return end(recording, at: t, truncated: true)
        }
        self.recording = recording
        return nil
    }

    private mutating func end(_ recording: ShotRecording, at t: Int64, truncated: Bool) -> DetectedShot {
        var settledAt = recording.startT
        for ball in 0..<16 where recording.followed & (1 << ball) != 0 {
            let track = tracks[ball]
            guard let last = track.lastT else { continue }
            settledAt = max(settledAt, last == t ? track.anchorT : last)
        }
        var shot = ShotAnalysis(recording: recording, settings: settings).shot(settledAt: settledAt, detectedAt: t)
        shot.truncated = truncated
        shot.frames = ShotFrames.bounded(recording.frames())
        counters.shots += 1
        if truncated {
            counters.truncated += 1
            shot.doubts.append("the shot ran longer than \(settings.maxShotMilliseconds) ms and was cut")
        }
        // The balls rest where they settled; the gone ones have no rest position until seen again.
        for ball in 0..<16 {
            var track = tracks[ball]
            if let last = track.lastT, last == t, track.anchorCount > 0 {
                (track.restX, track.restY, track.restCount) = (track.anchorX, track.anchorY, min(track.anchorCount, 32))
                track.nearT = t
            } else {
                track.restCount = 0
            }
            track.displaced = 0
            tracks[ball] = track
        }
        self.recording = nil
        preroll.push(t: t, x: seenX, y: seenY)
        return shot
    }
}

/// The frames of one shot, as the detector keeps them: one time and 16 positions per frame (NaN
/// when a ball was not seen), and where each ball rested before the shot.
struct ShotRecording: Sendable {
    var times: [Int64] = []
    var xs: [Double] = []
    var ys: [Double] = []
    /// The balls at rest on the table when the shot began (bit n: ball n).
    var followed: UInt16 = 0
    var restX = [Double](repeating: .nan, count: 16)
    var restY = [Double](repeating: .nan, count: 16)

    init(capacity: Int) {
        times.reserveCapacity(capacity)
        xs.reserveCapacity(capacity * 16)
        ys.reserveCapacity(capacity * 16)
    }

    var startT: Int64 { times.first ?? 0 }
    var count: Int { times.count }

    mutating func rest(_ ball: Int, x: Double, y: Double) {
        followed |= 1 << ball
        restX[ball] = x
        restY[ball] = y
    }

    mutating func append(t: Int64, x: some Collection<Double>, y: some Collection<Double>) {
        times.append(t)
        xs.append(contentsOf: x)
        ys.append(contentsOf: y)
    }

    /// The recorded frames as the camera's, the balls not seen left out.
    func frames() -> [TableFrame] {
        (0..<count).map { frame in
            TableFrame(
                t: times[frame],
                balls: (0..<16).compactMap { ball in seen(frame, ball) ? .init(ball: ball, x: x(frame, ball), y: y(frame, ball)) : nil }
            )
        }
    }

    func x(_ frame: Int, _ ball: Int) -> Double { xs[frame &* 16 &+ ball] }
    func y(_ frame: Int, _ ball: Int) -> Double { ys[frame &* 16 &+ ball] }
    func seen(_ frame: Int, _ ball: Int) -> Bool { !xs[frame &* 16 &+ ball].isNaN }
}

/// The last few frames, oldest first, in storage reused from frame to frame.
struct FrameRing: Sendable {
    private var times: [Int64]
    private var x: [Double]
    private var y: [Double]
    private var start = 0
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        times = [Int64](repeating: 0, count: capacity)
        x = [Double](repeating: .nan, count: capacity * 16)
        y = [Double](repeating: .nan, count: capacity * 16)
    }

    mutating func push(t: Int64, x newX: [Double], y newY: [Double]) {
        let slot = (start + count) % capacity
        if count == capacity { start = (start + 1) % capacity } else { count += 1 }
        times[slot] = t
        for ball in 0..<16 {
            x[slot * 16 + ball] = newX[ball]
            y[slot * 16 + ball] = newY[ball]
        }
    }

    mutating func clear() {
        start = 0
        count = 0
    }

    func time(_ index: Int) -> Int64 { times[(start + index) % capacity] }
    func xs(_ index: Int) -> ArraySlice<Double> { x[((start + index) % capacity) * 16..<((start + index) % capacity) * 16 + 16] }
    func ys(_ index: Int) -> ArraySlice<Double> { y[((start + index) % capacity) * 16..<((start + index) % capacity) * 16 + 16] }
}
