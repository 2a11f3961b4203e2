/// Derives the referee's observation from the frames of one shot, with a confidence per member.
///
/// - **First contact**: read from the cue ball's path — the first ball on the line it came in on,
///   up to where its path kinks; a thin hit on a straight piece; or, when the contact came before
///   its second sighting, the ball whose launch direction puts its contact point on the cue ball's
///   line out (see ``firstContact(_:doubts:)``). Onsets (when each object ball began to move,
///   fitted back to where it rested) confirm thin hits and name a ball when nothing else does.
/// - **Pocketed and off the table**: a ball unseen from some frame to the end. Its pocket is the
///   one it was in the mouth of, or heading for, when last seen; a ball that vanished far from
///   every pocket left the table; one that vanished while still is doubted (hidden, or lifted).
/// - **Rails**: a ball's centre within a radius (plus a little noise) of a cushion line outside
///   the pockets' mouths, or its motion towards a cushion reversed next to it between frames.
struct ShotAnalysis {
    let recording: ShotRecording
    let settings: ShotDetector.Settings
    /// The frames' usual interval, in milliseconds.
    let interval: Double

    private var radius: Double { settings.geometry.ballRadius }

    /// The distance from a cushion within which a ball touches it, beyond its radius (noise).
    static let railTolerance = 0.010
    /// Around a pocket's centre, no cushion: the mouth.
    static let mouthRadius = 0.075
    /// A ball last seen this close to a pocket went into it.
    static let pocketReach = 0.06

    init(recording: ShotRecording, settings: ShotDetector.Settings) {
        self.recording = recording
        self.settings = settings
        var gaps: [Int64] = []
        gaps.reserveCapacity(recording.count)
        for index in 1..<max(recording.count, 1) { gaps.append(recording.times[index] - recording.times[index - 1]) }
        gaps.sort()
        interval = gaps.isEmpty ? 33 : Double(gaps[gaps.count / 2])
    }

    func shot(settledAt: Int64, detectedAt: Int64) -> DetectedShot {
        var observation = Referee.Shot(firstContact: nil)
        var confidence = DetectedShot.Confidence()
        var doubts: [String] = []

        // Object balls set moving, and the first one the cue ball struck.
        var onsets: [Onset] = []
        for ball in 1..<16 where recording.followed & (1 << ball) != 0 {
            if let onset = onset(of: ball) { onsets.append(onset) }
        }
        let contact = firstContact(onsets, doubts: &doubts)
        observation.firstContact = contact.ball
        confidence.firstContact = contact.confidence

        // Balls gone: pocketed, or off the table.
        var pocketConfidence = 1.0
        var offTableConfidence = 1.0
        for ball in 0..<16 where recording.followed & (1 << ball) != 0 {
            guard let gone = departure(of: ball) else { continue }
            switch gone.pocket {
            case .some(let pocket):
                if ball == 0 {
                    observation.cueBallPocketed = true
                    confidence.cueBall = min(confidence.cueBall, gone.confidence)
                } else {
                    observation.pocketed.append(Referee.PocketedBall(ball: ball, pocket: pocket))
                    pocketConfidence = min(pocketConfidence, gone.confidence)
                }
            case .none:
                observation.offTable.append(ball)
                if ball == 0 { confidence.cueBall = min(confidence.cueBall, gone.confidence) }
                offTableConfidence = min(offTableConfidence, gone.confidence)
            }
            if let doubt = gone.doubt { doubts.append(doubt) }
        }
        confidence.pocketed = pocketConfidence
        confidence.offTable = offTableConfidence

        // Cushions: after the first contact for the rule, at any time for a break's count.
        let contactTime = contact.time ?? .infinity
        var railAfter = false
        var railMargin = Double.infinity
        var railConfidence = 0.0
        // Object balls to a rail: sure (a clear touch, or pocketed) and unsure (a touch at the
        // edge of the tolerance, a rebound inferred, or a near miss).
        var objectsToRail = 0
        var sureToRail = 0
        var unsureToRail = 0
        for ball in 0..<16 where recording.followed & (1 << ball) != 0 {
            let moving = ball == 0 ? 0 : onsets.first { $0.ball == ball }?.frame
            guard let moving else { continue }
            let rail = rails(of: ball, from: moving, after: ball == 0 ? contactTime : -.infinity)
            let pocketedOrGone = observation.pocketed.contains { $0.ball == ball } || observation.offTable.contains(ball)
            if ball != 0 {
                let best = rail.touches.map(\.confidence).max()
                if best != nil || pocketedOrGone { objectsToRail += 1 }
                if pocketedOrGone || (best ?? 0) >= 0.9 {
                    sureToRail += 1
                } else if best != nil || rail.closest < Self.railTolerance + 0.015 {
                    unsureToRail += 1
                }
            }
            if let after = rail.after(contactTime) {
                railAfter = true
                railConfidence = max(railConfidence, after.confidence)
            }
            railMargin = min(railMargin, rail.closestAfter(contactTime))
        }
        if contact.ball == nil {
            observation.railAfterContact = false
            confidence.railAfterContact = 1
        } else if railAfter || !observation.pocketed.isEmpty {
            // A pocketed object ball makes the shot legal whatever the cushions saw: no rule reads
            // the rail then, and it is reported as reached.
            observation.railAfterContact = true
            confidence.railAfterContact = railAfter ? railConfidence : 0.95
        } else {
            observation.railAfterContact = false
            confidence.railAfterContact = railMargin > 0.02 ? 0.95 : 0.7
            if railMargin <= 0.02 {
                doubts.append("no ball reached a cushion after the contact, but one came within \(Self.millimetres(railMargin))")
            }
        }
        observation.objectBallsToRail = objectsToRail
        // A break's ruling reads whether four or more reached a rail: sure when the unsure balls
        // cannot change that.
        confidence.objectBallsToRail = sureToRail >= 4 || sureToRail + unsureToRail < 4 ? 0.95 : 0.7
        observation.pocketed.sort { $0.ball < $1.ball }
        return DetectedShot(
            observation: observation,
            confidence: confidence,
            doubts: doubts,
            from: recording.startT,
            to: settledAt,
            detectedAt: detectedAt
        )
    }

    // MARK: - First contact

    /// When an object ball began to move, and the first frame that showed it.
    struct Onset {
        var ball: Int
        /// Milliseconds, on the frames' clock.
        var time: Double
        var frame: Int
        /// The ball was never seen moving: it was gone from one frame to the next.
        var vanished: Bool
    }

    func onset(of ball: Int) -> Onset? {
        let restX = recording.restX[ball]
        let restY = recording.restY[ball]
        func away(_ frame: Int) -> Double { norm2(recording.x(frame, ball) - restX, recording.y(frame, ball) - restY) }
        var first: Int?
        var frame = 0
        while frame < recording.count {
            defer { frame += 1 }
            guard recording.seen(frame, ball), away(frame) > settings.moveDistance else { continue }
            // Confirmed by the next sighting, or by the ball never being seen again.
            if let next = nextSeen(ball, after: frame) {
                if away(next) > settings.moveDistance {
                    first = frame
                    break
                }
            } else {
                first = frame
                break
            }
        }
        guard let first else {
            // Gone without a moving frame (a fast ball next to a pocket, at a low frame rate).
            guard let last = lastSeen(ball), last < recording.count - 1 else { return nil }
            let time = Double(recording.times[last] + recording.times[last + 1]) / 2
            return Onset(ball: ball, time: time, frame: last + 1, vanished: true)
        }
        // Fit distance = speed × (t − onset) over the first moving sightings (up to 120 ms).
        var points: [(t: Double, d: Double)] = []
        var index = first
        while index < recording.count, points.count < 4 {
            if recording.seen(index, ball) {
                let t = Double(recording.times[index])
                if t - Double(recording.times[first]) > 120, points.count >= 2 { break }
                points.append((t, away(index)))
            }
            index += 1
        }
        let firstTime = Double(recording.times[first])
        var time = firstTime - interval / 2
        if points.count >= 2 {
            let meanT = points.reduce(0) { $0 + $1.t } / Double(points.count)
            let meanD = points.reduce(0) { $0 + $1.d } / Double(points.count)
            var covariance = 0.0
            var variance = 0.0
            for point in points {
                covariance += (point.t - meanT) * (point.d - meanD)
                variance += (point.t - meanT) * (point.t - meanT)
            }
            if variance > 0, covariance > 0 {
                let speed = covariance / variance
                time = meanT - meanD / speed
            }
        }
        let floor = previousSeen(ball, before: first).map { Double(recording.times[$0]) } ?? firstTime - 2 * interval
        time = min(max(time, floor), firstTime)
        return Onset(ball: ball, time: time, frame: first, vanished: false)
    }

    /// The first object ball struck, when, and how sure.
    ///
    /// Read from the cue ball's path, piece by piece (a piece runs between two sightings):
    ///
    /// - A **kink**: the line the cue ball came in on and the line it left on differ in direction
    ///   or speed. The corner is rebuilt where the two lines meet (the chord between the sightings
    ///   around it cuts the corner); the ball whose rest position is two radii from that corner
    ///   was struck there. A corner one radius from a cushion is a kick off the rail: the search
    ///   goes on. A kink nothing explains (noise on a slow ball) is passed over.
    /// - A **thin hit**: the straight path came within two radii of a ball that began to move then.
    ///
    /// The earliest event wins; a ball hit in a frozen rack may hardly move, but the kink shows it.
    /// With nothing found although balls moved, the one that moved first is named, doubted.
    func firstContact(_ onsets: [Onset], doubts: inout [String]) -> (ball: Int?, time: Double?, confidence: Double) {
        guard let earliest = onsets.min(by: { $0.time < $1.time }) else {
            // Nothing moved. A slow cue ball that touched nothing may have been moved by hand.
            let speed = peakCueSpeed()
            if speed < 0.3 {
                doubts.append("no ball was struck and the cue ball never went faster than \(Self.rounded(speed)) table units/s: a hand?")
                return (nil, nil, 0.6)
            }
            return (nil, nil, 0.97)
        }
        let path = cuePath()
        let balls = (1..<16).filter { recording.followed & (1 << $0) != 0 }
        func direction(_ from: Int, _ to: Int) -> (x: Double, y: Double, speed: Double)? {
            guard from >= 0, to < path.count, path[to].t > path[from].t else { return nil }
            let dx = path[to].x - path[from].x
            let dy = path[to].y - path[from].y
            let length = norm2(dx, dy)
            return length > 0.004 ? (dx / length, dy / length, length / (path[to].t - path[from].t)) : nil
        }
        for piece in 0..<max(path.count - 1, 0) {
            let a = path[piece]
            let b = path[piece + 1]
            let chord = norm2(b.x - a.x, b.y - a.y)
            var events: [(ball: Int, time: Double, gap: Double, confidence: Double)] = []
            // Thin hits: reached on the straight chord, and moving soon after.
            for ball in balls {
                guard let onset = onsets.first(where: { $0.ball == ball }),
                    let hit = reach(from: a, to: b, ball: ball, within: 2 * radius + 0.006),
                    onset.time - hit.time <= 4 * interval + 100, onset.time >= hit.time - interval
                else { continue }
                // Timed where the centres were two radii apart, or closest: the slack that lets
                // noise in would otherwise date a graze before a full hit just behind it.
                let touch = reach(from: a, to: b, ball: ball, within: 2 * radius)?.time ?? hit.closest
                events.append((ball, touch, hit.gap, 0.9))
            }
            // A kink: the line in (to a) and the line out (from b) differ. The cue ball ran
            // straight along the line in until it struck something: the first ball on that line,
            // up to the rebuilt corner, is the one; else whatever sits at the corner.
            if let incoming = direction(piece - 1, piece), let outgoing = direction(piece + 1, piece + 2) {
                let cosine = incoming.x * outgoing.x + incoming.y * outgoing.y
                let cross = incoming.x * outgoing.y - incoming.y * outgoing.x
                if cosine < 0.995 || outgoing.speed < 0.6 * incoming.speed {
                    var cornerAlong = chord + 0.01
                    var corner: (x: Double, y: Double, t: Double)?
                    if abs(cross) > 0.1 {
                        // a + s·in = b − r·out
                        let wx = b.x - a.x
                        let wy = b.y - a.y
                        let s = (wx * outgoing.y - wy * outgoing.x) / cross
                        let r = (incoming.x * wy - incoming.y * wx) / cross
                        if s >= -0.01, r >= -0.01, s + r <= 2 * chord + 0.02 {
                            let share = s + r > 0 ? max(0, min(1, s / (s + r))) : 0.5
                            corner = (a.x + s * incoming.x, a.y + s * incoming.y, a.t + share * (b.t - a.t))
                            cornerAlong = s + 0.01
                        }
                    }
                    // Past the corner, up to where the next sighting projects on the line in, a
                    // ball that began to move then also counts: with a second contact between the
                    // sightings the line out, and so the corner, are not the first contact's.
                    let projected = (b.x - a.x) * incoming.x + (b.y - a.y) * incoming.y + 0.01
                    var inLine: [(ball: Int, entry: Double, offset: Double)] = []
                    for ball in balls {
                        let fx = recording.restX[ball] - a.x
                        let fy = recording.restY[ball] - a.y
                        let along = fx * incoming.x + fy * incoming.y
                        let offset = abs(incoming.x * fy - incoming.y * fx)
                        guard offset <= 2 * radius + 0.006 else { continue }
                        let entry = along - max(0, 4 * radius * radius - offset * offset).squareRoot()
                        guard entry >= -0.01 else { continue }
                        // A graze the ball never felt (it did not move) was a miss.
                        if offset > 2 * radius - 0.004, !onsets.contains(where: { $0.ball == ball }) { continue }
                        if entry <= cornerAlong {
                            inLine.append((ball, entry, offset))
                        } else if entry <= projected, let onset = onsets.first(where: { $0.ball == ball }),
                            onset.time >= a.t - interval, onset.time <= b.t + interval
                        {
                            inLine.append((ball, entry, offset))
                        }
                    }
                    inLine.sort { $0.entry < $1.entry }
                    // A graze (the line passes about two radii from the ball) dated at its closest
                    // approach is not a contact the line proves; a clear hit just behind it whose
                    // ball began to move earlier was struck first, and the grazed ball after the
                    // cue ball turned.
                    if inLine.count > 1, inLine[0].offset > 2 * radius - 0.002, inLine[1].offset <= 2 * radius - 0.004,
                        inLine[1].entry - inLine[0].entry < 2 * radius,
                        let grazed = onsets.first(where: { $0.ball == inLine[0].ball }),
                        let struck = onsets.first(where: { $0.ball == inLine[1].ball }),
                        struck.time + 0.25 * interval < grazed.time
                    {
                        inLine.swapAt(0, 1)
                    }
                    if let first = inLine.first {
                        let time = a.t + max(0, min(b.t - a.t, first.entry / incoming.speed))
                        var confidence = first.offset <= 2 * radius - 0.004 ? 0.97 : 0.75
                        if inLine.count > 1, inLine[1].entry - first.entry < 0.004 {
                            confidence = 0.6
                            doubts.append("the cue ball's line reached balls \(first.ball) and \(inLine[1].ball) together")
                        }
                        events.append((first.ball, time, first.offset - 2 * radius, confidence))
                    } else if let corner {
                        var ranked = balls.map { ball in
                            (ball: ball, gap: norm2(corner.x - recording.restX[ball], corner.y - recording.restY[ball]) - 2 * radius)
                        }
                        ranked.sort { abs($0.gap) < abs($1.gap) }
                        if let best = ranked.first, abs(best.gap) <= 0.008 {
                            let clear = ranked.count < 2 || abs(ranked[1].gap) - abs(best.gap) > 0.006
                            events.append((best.ball, corner.t, best.gap, clear ? 0.85 : 0.6))
                            if !clear {
                                doubts.append("the cue ball turned where it could have struck ball \(best.ball) or ball \(ranked[1].ball)")
                            }
                        }
                    }
                }
            }
            // No line in (the contact came before the second sighting, as at 15 fps): each
            // launched ball names its contact point, two radii behind the way it went; the cue
            // ball's line out (or where it stopped) must pass through it.
            if direction(piece - 1, piece) == nil, events.isEmpty {
                let outgoing = direction(piece + 1, piece + 2)
                var fits: [(ball: Int, miss: Double, time: Double)] = []
                for ball in balls {
                    // Struck then, it began to move then: not a ball another one set moving later.
                    guard let onset = onsets.first(where: { $0.ball == ball }), onset.time >= a.t - interval,
                        onset.time <= b.t + 2 * interval,
                        let launch = launch(of: ball, onsets: onsets)
                    else { continue }
                    let cx = recording.restX[ball] - 2 * radius * launch.x
                    let cy = recording.restY[ball] - 2 * radius * launch.y
                    let miss: Double
                    if let outgoing {
                        guard outgoing.x * (b.x - cx) + outgoing.y * (b.y - cy) >= -0.01 else { continue }
                        miss = abs(outgoing.x * (cy - b.y) - outgoing.y * (cx - b.x))
                    } else {
                        miss = norm2(cx - b.x, cy - b.y)
                    }
                    let travelled = norm2(cx - a.x, cy - a.y)
                    let share = chord > 0 ? min(1, travelled / (travelled + norm2(b.x - cx, b.y - cy))) : 0.5
                    if miss <= 0.012 { fits.append((ball, miss, a.t + share * (b.t - a.t))) }
                }
                fits.sort { $0.time < $1.time }
                if let first = fits.first {
                    let alone = fits.count == 1 || fits[1].time - first.time > 0.25 * interval
                    events.append((first.ball, first.time, first.miss, alone ? 0.85 : 0.6))
                    if !alone { doubts.append("the cue ball's path fits a contact with ball \(first.ball) or ball \(fits[1].ball)") }
                }
            }
            guard !events.isEmpty else { continue }
            events.sort { abs($0.time - $1.time) < 2 ? abs($0.gap) < abs($1.gap) : $0.time < $1.time }
            // A graze dated at its closest approach, then a clear hit within a frame whose ball
            // moved first: the clear hit came first (as for balls on the line in, above).
            if events[0].gap > -0.002, let grazed = onsets.first(where: { $0.ball == events[0].ball }),
                let clear = events.firstIndex(where: { event in
                    event.ball != events[0].ball && event.gap <= -0.004 && event.time - events[0].time < interval
                        && onsets.contains { $0.ball == event.ball && $0.time + 0.25 * interval < grazed.time }
                })
            {
                events.swapAt(0, clear)
            }
            let first = events[0]
            // No object ball moves before the first contact: one that did, well before this event,
            // was struck by something the path missed (a contact before the second sighting).
            if earliest.ball != first.ball, earliest.time < first.time - 2 * interval - 20 {
                doubts.append(
                    "ball \(earliest.ball) moved at \(Int(earliest.time)) ms, before the cue ball reached ball \(first.ball) at \(Int(first.time)) ms"
                )
                return (earliest.ball, earliest.time, 0.5)
            }
            var confidence = first.confidence
            if let onset = onsets.first(where: { $0.ball == first.ball }), onset.vanished { confidence = min(confidence, 0.85) }
            if events.count > 1, events[1].ball != first.ball, abs(events[1].time - first.time) < 2, abs(events[1].gap) - abs(first.gap) < 0.004 {
                confidence = min(confidence, 0.6)
                doubts.append("the cue ball reached balls \(first.ball) and \(events[1].ball) at the same moment")
            }
            return (first.ball, first.time, confidence)
        }
        let cue = cuePosition(at: earliest.time)
        let gap = norm2(cue.x - recording.restX[earliest.ball], cue.y - recording.restY[earliest.ball]) - 2 * radius
        doubts.append("ball \(earliest.ball) moved first, but the cue ball's path did not reach it (\(Self.millimetres(gap)) away)")
        return (earliest.ball, earliest.time, 0.5)
    }

    /// The direction a ball left its rest position in, once clearly on its way (2.5 cm), within
    /// 150 ms of its onset: a struck ball leaves along the line from the contact through its centre.
    func launch(of ball: Int, onsets: [Onset]) -> (x: Double, y: Double)? {
        guard let onset = onsets.first(where: { $0.ball == ball }), !onset.vanished else { return nil }
        let restX = recording.restX[ball]
        let restY = recording.restY[ball]
        var frame = onset.frame
        while frame < recording.count, Double(recording.times[frame]) - onset.time <= 150 {
            if recording.seen(frame, ball) {
                let dx = recording.x(frame, ball) - restX
                let dy = recording.y(frame, ball) - restY
                let length = norm2(dx, dy)
                if length >= 0.02 { return (dx / length, dy / length) }
            }
            frame += 1
        }
        return nil
    }

    /// When the straight piece a→b first came within `limit` of a ball's rest position, the
    /// piece's closest approach beyond two radii, and when it was closest.
    func reach(
        from a: (x: Double, y: Double, t: Double),
        to b: (x: Double, y: Double, t: Double),
        ball: Int,
        within limit: Double
    ) -> (time: Double, gap: Double, closest: Double)? {
        let dx = b.x - a.x
        let dy = b.y - a.y
        let fx = a.x - recording.restX[ball]
        let fy = a.y - recording.restY[ball]
        let q = dx * dx + dy * dy
        let along = q > 0 ? max(0, min(1, -(fx * dx + fy * dy) / q)) : 0
        let gap = norm2(fx + along * dx, fy + along * dy) - 2 * radius
        let closest = a.t + along * (b.t - a.t)
        let c = fx * fx + fy * fy - limit * limit
        if c <= 0 { return (a.t, gap, closest) }
        guard q > 0 else { return nil }
        let h = 2 * (fx * dx + fy * dy)
        let discriminant = h * h - 4 * q * c
        guard discriminant >= 0 else { return nil }
        let s = (-h - discriminant.squareRoot()) / (2 * q)
        return s >= 0 && s <= 1 ? (a.t + s * (b.t - a.t), gap, closest) : nil
    }

    /// The cue ball's sightings in the shot, from its rest position if the first frame missed it.
    func cuePath() -> [(x: Double, y: Double, t: Double)] {
        var path: [(x: Double, y: Double, t: Double)] = []
        if recording.count > 0, !recording.seen(0, 0) {
            path.append((recording.restX[0], recording.restY[0], Double(recording.startT) - interval))
        }
        for frame in 0..<recording.count where recording.seen(frame, 0) {
            path.append((recording.x(frame, 0), recording.y(frame, 0), Double(recording.times[frame])))
        }
        return path
    }

    /// The cue ball's position at a time, between the sightings around it.
    func cuePosition(at time: Double) -> (x: Double, y: Double) {
        let (before, after) = sightings(of: 0, around: time)
        guard let before else {
            return after.map { (recording.x($0, 0), recording.y($0, 0)) } ?? (recording.restX[0], recording.restY[0])
        }
        guard let after, after != before else { return (recording.x(before, 0), recording.y(before, 0)) }
        let t0 = Double(recording.times[before])
        let t1 = Double(recording.times[after])
        let f = t1 > t0 ? (time - t0) / (t1 - t0) : 0
        return (
            recording.x(before, 0) + (recording.x(after, 0) - recording.x(before, 0)) * f,
            recording.y(before, 0) + (recording.y(after, 0) - recording.y(before, 0)) * f
        )
    }

    func peakCueSpeed() -> Double {
        var peak = 0.0
        var previous: Int?
        for frame in 0..<recording.count where recording.seen(frame, 0) {
            if let previous {
                let dt = Double(recording.times[frame] - recording.times[previous]) / 1000
                let d = norm2(recording.x(frame, 0) - recording.x(previous, 0), recording.y(frame, 0) - recording.y(previous, 0))
                peak = max(peak, d / dt)
            }
            previous = frame
        }
        return peak
    }

    // MARK: - Gone balls

    struct Departure {
        /// The pocket, nil: off the table.
        var pocket: Int?
        var confidence: Double
        var doubt: String?
    }

    /// Where a ball went if it is gone at the end of the shot.
    func departure(of ball: Int) -> Departure? {
        guard let last = lastSeen(ball), last < recording.count - 1 else {
            if lastSeen(ball) == nil {
                // Never seen during the shot: it vanished as the shot began.
                return Departure(pocket: nil, confidence: 0.3, doubt: "ball \(ball) was not seen at all during the shot")
            }
            return nil
        }
        let x2 = recording.x(last, ball)
        let y2 = recording.y(last, ball)
        var x1 = recording.restX[ball]
        var y1 = recording.restY[ball]
        var t1 = Double(recording.startT) - interval
        if let before = previousSeen(ball, before: last) {
            (x1, y1, t1) = (recording.x(before, ball), recording.y(before, ball), Double(recording.times[before]))
        }
        let dt = max(Double(recording.times[last]) - t1, 1)
        let vx = (x2 - x1) / dt
        let vy = (y2 - y1) / dt
        let speed = norm2(vx, vy) * 1000
        var ranked: [(pocket: Int, metric: Double)] = []
        for (index, pocket) in TableGeometry.pockets.enumerated() {
            let dx = pocket.x - x2
            let dy = pocket.y - y2
            let now = norm2(dx, dy)
            var metric = Double.infinity
            if now <= Self.mouthRadius {
                metric = now / 2
            } else if speed > 0 {
                let ux = vx * 1000 / speed
                let uy = vy * 1000 / speed
                let along = dx * ux + dy * uy
                let across = abs(dx * uy - dy * ux)
                if along > 0, along <= speed * interval * 2 / 1000 + 0.08 { metric = across }
            }
            ranked.append((index + 1, metric))
        }
        ranked.sort { $0.metric < $1.metric }
        let best = ranked[0]
        let name = ball == 0 ? "the cue ball" : "ball \(ball)"
        if speed < 0.05 {
            // It was still when it vanished: hidden or lifted, or dropping from a pocket's lip.
            if best.metric <= Self.pocketReach / 2 {
                return Departure(pocket: best.pocket, confidence: 0.7, doubt: "\(name) dropped into pocket \(best.pocket) from a standstill")
            }
            return Departure(pocket: nil, confidence: 0.3, doubt: "\(name) vanished while still, far from a pocket (hidden or lifted?)")
        }
        guard best.metric <= Self.pocketReach else {
            return Departure(pocket: nil, confidence: 0.7, doubt: "\(name) vanished away from every pocket: off the table")
        }
        if ranked[1].metric - best.metric < 0.05 {
            return Departure(pocket: best.pocket, confidence: 0.65, doubt: "\(name) went into pocket \(best.pocket) or \(ranked[1].pocket)")
        }
        return Departure(pocket: best.pocket, confidence: 0.95, doubt: nil)
    }

    // MARK: - Cushions

    struct Rails {
        /// Times a cushion was reached, with how sure (a touch seen, or a rebound inferred).
        var touches: [(time: Double, confidence: Double)] = []
        /// The closest any moving frame came to a cushion, beyond the radius, and when.
        var approaches: [(time: Double, margin: Double)] = []

        var closest: Double { approaches.map(\.margin).min() ?? .infinity }

        func after(_ time: Double) -> (time: Double, confidence: Double)? {
            touches.filter { $0.time > time }.max { $0.confidence < $1.confidence }
        }

        func closestAfter(_ time: Double) -> Double {
            approaches.filter { $0.time > time }.map(\.margin).min() ?? .infinity
        }
    }

    /// The cushions a ball reached from a frame on.
    func rails(of ball: Int, from start: Int, after notBefore: Double) -> Rails {
        var rails = Rails()
        var window: [Int] = []
        for frame in max(start - 1, 0)..<recording.count where recording.seen(frame, ball) {
            window.append(frame)
            if window.count > 3 { window.removeFirst() }
            let x = recording.x(frame, ball)
            let y = recording.y(frame, ball)
            let time = Double(recording.times[frame])
            guard frame >= start, time > notBefore else { continue }
            let inMouth = settings.geometry.nearestPocket(x: x, y: y).distance <= Self.mouthRadius
            let margin = settings.geometry.cushionDistance(x: x, y: y) - radius
            if !inMouth {
                rails.approaches.append((time, max(margin, 0)))
                // Within 4 mm of touching it is a touch; farther, up to the tolerance, it may be a
                // near miss through noise or the cushion's give.
                if margin <= Self.railTolerance { rails.touches.append((time, margin <= 0.004 ? 0.97 : 0.75)) }
            }
            // A rebound: towards a cushion, then away from it, next to it.
            guard window.count == 3 else { continue }
            let (a, b) = (window[0], window[1])
            let bx = recording.x(b, ball)
            let by = recording.y(b, ball)
            guard settings.geometry.nearestPocket(x: bx, y: by).distance > Self.mouthRadius else { continue }
            let normals: [(Double, Double, Double)] = [
                (recording.x(a, ball), bx, x),
                (2 - recording.x(a, ball), 2 - bx, 2 - x),
                (recording.y(a, ball), by, y),
                (1 - recording.y(a, ball), 1 - by, 1 - y),
            ]
            for (na, nb, nc) in normals {
                let approach = na - nb
                let retreat = nc - nb
                if approach > 0.004, retreat > 0.004, nb - radius <= max(approach, retreat) + Self.railTolerance {
                    rails.touches.append((Double(recording.times[b]), 0.85))
                }
            }
        }
        rails.touches.sort { $0.time < $1.time }
        return rails
    }

    // MARK: - Sightings

    func nextSeen(_ ball: Int, after frame: Int) -> Int? {
        var index = frame + 1
        while index < recording.count {
            if recording.seen(index, ball) { return index }
            index += 1
        }
        return nil
    }

    func previousSeen(_ ball: Int, before frame: Int) -> Int? {
        var index = frame - 1
        while index >= 0 {
            if recording.seen(index, ball) { return index }
            index -= 1
        }
        return nil
    }

    func lastSeen(_ ball: Int) -> Int? { previousSeen(ball, before: recording.count) }

    /// The sightings of a ball at or before a time, and at or after it.
    func sightings(of ball: Int, around time: Double) -> (before: Int?, after: Int?) {
        var low = 0
        var high = recording.count
        while low < high {
            let middle = (low + high) / 2
            if Double(recording.times[middle]) <= time { low = middle + 1 } else { high = middle }
        }
        let before = low > 0 ? (recording.seen(low - 1, ball) ? low - 1 : previousSeen(ball, before: low - 1)) : nil
        let after = low < recording.count ? (recording.seen(low, ball) ? low : nextSeen(ball, after: low)) : nil
        return (before, after)
    }

    static func millimetres(_ units: Double) -> String {
        // In a 9-foot table's millimetres (1 unit = 1,270 mm), to the millimetre.
        "\(Int((units * 1270).rounded())) mm"
    }

    static func rounded(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}
