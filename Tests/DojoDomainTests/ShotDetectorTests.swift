import DojoDomain
import Testing

/// A scripted table: each ball follows straight lines between key positions and may leave the
/// table at a time; frames are sampled from it at a frame rate.
struct ScriptedTable {
    struct Path {
        var keys: [(t: Int64, x: Double, y: Double)]
        var goneAt: Int64?
    }

    var paths: [Int: Path] = [:]

    mutating func ball(_ number: Int, _ keys: [(t: Int64, x: Double, y: Double)], goneAt: Int64? = nil) {
        paths[number] = Path(keys: keys, goneAt: goneAt)
    }

    func position(_ path: Path, at t: Int64) -> (x: Double, y: Double)? {
        if let gone = path.goneAt, t >= gone { return nil }
        guard var previous = path.keys.first else { return nil }
        if t <= previous.t { return (previous.x, previous.y) }
        for key in path.keys.dropFirst() {
            if t <= key.t {
                let f = Double(t - previous.t) / Double(key.t - previous.t)
                return (previous.x + (key.x - previous.x) * f, previous.y + (key.y - previous.y) * f)
            }
            previous = key
        }
        return (previous.x, previous.y)
    }

    func frames(fps: Int, until end: Int64) -> [TableFrame] {
        stride(from: 0, through: Double(end), by: 1000 / Double(fps)).map { time in
            let t = Int64(time.rounded())
            return TableFrame(
                t: t,
                balls: paths.keys.sorted().compactMap { number in
                    position(paths[number]!, at: t).map { TableFrame.Sighting(ball: number, x: $0.x, y: $0.y) }
                }
            )
        }
    }
}

@Suite("Shot detection: scripted shots and bad frames")
struct ShotDetectorTests {
    static let radius = TableGeometry.nineFoot.ballRadius

    /// The cue ball from (1.4, 0.6) cuts ball 1 at (1.8, 0.2) into pocket 3; ball 5 sits still.
    static func pot() -> ScriptedTable {
        var table = ScriptedTable()
        let unit = 0.5.squareRoot()
        let contact = (x: 1.8 - 2 * radius * unit, y: 0.2 + 2 * radius * unit)
        table.ball(0, [(500, 1.4, 0.6), (800, contact.x, contact.y), (900, contact.x - 0.02, contact.y - 0.04)])
        table.ball(1, [(800, 1.8, 0.2), (950, 1.99, 0.01)], goneAt: 960)
        table.ball(5, [(0, 0.4, 0.3)])
        return table
    }

    @Test("a cut into a corner pocket, at 15, 30 and 60 fps", arguments: [15, 30, 60])
    func pot(fps: Int) throws {
        let (shots, counters) = ShotDetector.shots(in: Self.pot().frames(fps: fps, until: 2_500))
        let shot = try #require(shots.first)
        #expect(shots.count == 1 && counters.shots == 1)
        #expect(shot.observation.firstContact == 1)
        #expect(shot.observation.pocketed == [Referee.PocketedBall(ball: 1, pocket: 3)])
        #expect(!shot.observation.cueBallPocketed && shot.observation.offTable.isEmpty)
        #expect(shot.observation.railAfterContact, "a pocketed ball counts as the rail reached")
        #expect(shot.judgeable(threshold: 0.8, onBreak: false), "\(shot.confidence) \(shot.doubts)")
        #expect(shot.from <= 500 && shot.to >= 900 && shot.detectedAt - shot.to <= 300, "\(shot.from) \(shot.to) \(shot.detectedAt)")
        // The frames it was read from go with it, from the last still one to the one that ended it.
        #expect(shot.frames.first?.t == shot.from && shot.frames.last?.t == shot.detectedAt)
        let kept = try #require(ShotFrames.decode(ShotFrames.encode(shot.frames)))
        #expect(kept.map(\.t) == shot.frames.map(\.t))
        for (original, back) in zip(shot.frames, kept) {
            #expect(original.balls.map(\.ball) == back.balls.map(\.ball))
            for (a, b) in zip(original.balls, back.balls) { #expect(abs(a.x - b.x) <= 0.0005 && abs(a.y - b.y) <= 0.0005) }
        }
    }

    @Test("a long shot's frames are thinned to the bound, its last frame kept")
    func framesBound() throws {
        let frames = (0..<2_000).map { TableFrame(t: Int64($0) * 16, balls: [.init(ball: 0, x: 0.5, y: 0.5)]) }
        let kept = ShotFrames.bounded(frames)
        #expect(kept.count <= ShotFrames.maximumFrames && kept.count > ShotFrames.maximumFrames / 2)
        #expect(kept.first?.t == 0 && kept.last?.t == frames.last?.t)
        #expect(ShotFrames.decode(Array("not json".utf8)) == nil)
    }

    @Test("straight into a cushion and back: the first contact and the rail, nothing pocketed")
    func rail() throws {
        var table = ScriptedTable()
        table.ball(0, [(500, 0.5, 0.5), (800, 1.5 - 2 * Self.radius, 0.5)])
        table.ball(1, [(800, 1.5, 0.5), (950, 2 - Self.radius, 0.5), (1_500, 1.7, 0.5)])
        let shot = try #require(ShotDetector.shots(in: table.frames(fps: 30, until: 2_500)).shots.first)
        #expect(shot.observation.firstContact == 1 && shot.observation.pocketed.isEmpty)
        #expect(shot.observation.railAfterContact && shot.observation.objectBallsToRail == 1)
    }

    @Test("no contact: the cue ball runs into pocket 1 and ball 1 never moves")
    func scratch() throws {
        var table = ScriptedTable()
        table.ball(0, [(500, 0.5, 0.5), (900, 0.01, 0.01)], goneAt: 920)
        table.ball(1, [(0, 1.5, 0.5)])
        let shot = try #require(ShotDetector.shots(in: table.frames(fps: 30, until: 2_000)).shots.first)
        #expect(shot.observation.firstContact == nil && shot.observation.cueBallPocketed && !shot.observation.railAfterContact)
        #expect(shot.judgeable(threshold: 0.8, onBreak: false))
    }

    @Test("a frame back in time, a ball twice, a ball off the table, a leap across it: ignored, counted, the same shot")
    func badFrames() throws {
        var frames = Self.pot().frames(fps: 30, until: 2_500)
        let clean = try #require(ShotDetector.shots(in: frames).shots.first)
        frames.insert(TableFrame(t: frames[20].t - 10, balls: frames[20].balls), at: 21)
        frames[5].balls.append(frames[5].balls[0])
        frames[7].balls[0].x = 3.5
        frames[30].balls[frames[30].balls.count - 1].x = 1.95  // ball 5 "seen" at the far end, once
        frames[12].balls.append(.init(ball: 16, x: 0.5, y: 0.5))
        let (shots, counters) = ShotDetector.shots(in: frames)
        #expect(shots.count == 1 && shots.first?.observation == clean.observation)
        #expect(counters.outOfOrder == 1 && counters.corrupt == 3 && counters.jumps == 1, "\(counters)")
    }

    @Test("times outside 0…10^15 ms are corrupt frames, so no difference of two times overflows")
    func extremeTimes() {
        var detector = ShotDetector()
        for t in [Int64.min, -1, Int64.max, ShotDetector.latestFrameTime + 1] {
            #expect(detector.feed(TableFrame(t: t, balls: [.init(ball: 0, x: 0.5, y: 0.5)])) == nil)
        }
        #expect(detector.counters.corrupt == 4 && detector.counters.frames == 0)
        // The earliest and the latest times taken, one after the other.
        _ = detector.feed(TableFrame(t: 0, balls: [.init(ball: 0, x: 0.5, y: 0.5)]))
        _ = detector.feed(TableFrame(t: ShotDetector.latestFrameTime, balls: [.init(ball: 0, x: 1.5, y: 0.5)]))
        #expect(detector.counters.frames == 2)
    }

    @Test("noise, missed detections and misplaced frames change nothing on a clear shot")
    func noisyCamera() throws {
        let table = Self.pot()
        let truth = try #require(ShotDetector.shots(in: table.frames(fps: 60, until: 2_500)).shots.first).observation
        for seed in 0..<20 {
            let shot = ShotCorpus.Shot(
                id: "pot",
                kind: "pot",
                fps: 60,
                truth: truth,
                frames: table.frames(fps: 60, until: 2_500)
            )
            .throughNoisyCamera(index: seed)
            let found = ShotDetector.shots(in: shot.frames).shots
            #expect(found.count == 1 && found.first?.observation == truth, "seed \(seed): \(found.map(\.observation))")
        }
    }

    @Test("a hand moves an object ball, or lifts the cue ball and puts it down elsewhere: no shot")
    func hands() {
        var table = ScriptedTable()
        table.ball(0, [(0, 0.5, 0.5)], goneAt: 1_000)
        table.ball(1, [(0, 1.5, 0.5), (2_000, 1.5, 0.5), (2_600, 1.6, 0.6)])
        var frames = table.frames(fps: 30, until: 4_000)
        // The cue ball comes back in hand, somewhere else, at 2 s.
        for index in frames.indices where frames[index].t >= 2_000 {
            frames[index].balls.append(.init(ball: 0, x: 0.3, y: 0.2))
        }
        let (shots, counters) = ShotDetector.shots(in: frames)
        #expect(shots.isEmpty && counters.disturbed >= 1, "\(shots) \(counters)")
    }

    @Test("a ball that vanishes while still is doubted, never judged automatically")
    func vanishedWhileStill() throws {
        var table = Self.pot()
        table.ball(5, [(0, 0.4, 0.3)], goneAt: 1_000)  // hidden by a player leaning over the table
        let shot = try #require(ShotDetector.shots(in: table.frames(fps: 30, until: 2_500)).shots.first)
        #expect(shot.observation.offTable == [5])
        #expect(!shot.judgeable(threshold: 0.8, onBreak: false) && !shot.doubts.isEmpty)
    }

    @Test("a shot that never settles is cut at the limit and not judged; a flood of still frames is no shot")
    func limits() throws {
        var table = ScriptedTable()
        var keys: [(t: Int64, x: Double, y: Double)] = [(500, 0.5, 0.5)]
        for index in 1...80 { keys.append((500 + Int64(index) * 1_000, index % 2 == 0 ? 0.5 : 1.5, 0.5)) }
        table.ball(0, keys)
        var settings = ShotDetector.Settings()
        settings.maxShotMilliseconds = 10_000
        let (shots, counters) = ShotDetector.shots(in: table.frames(fps: 15, until: 20_000), settings: settings)
        let first = try #require(shots.first)
        #expect(first.truncated && !first.judgeable(threshold: 0.8, onBreak: false) && counters.truncated >= 1)

        var still = ScriptedTable()
        for ball in 0..<16 { still.ball(ball, [(0, 0.1 + Double(ball) * 0.11, 0.5)]) }
        let idle = ShotDetector.shots(in: still.frames(fps: 60, until: 600_000))
        #expect(idle.shots.isEmpty && idle.counters.frames == 36_001)
    }

    @Test("a hard scratch: the cue ball seen once on its way, then gone into the side pocket, is a shot at 30 fps")
    func strokeIntoPocket() throws {
        var table = ScriptedTable()
        table.ball(0, [(500, 1.03, 0.2), (540, 1.0, 0.0)], goneAt: 535)
        table.ball(5, [(0, 0.5, 0.7)])
        let (shots, _) = ShotDetector.shots(in: table.frames(fps: 30, until: 1_500))
        let shot = try #require(shots.first, "the stroke was seen once before the cue ball was gone")
        #expect(shots.count == 1)
        #expect(shot.observation.cueBallPocketed && shot.observation.firstContact == nil && !shot.observation.railAfterContact)

        // The same single sighting far from every pocket, then a missed frame: the shot starts at
        // the next sighting, as any other.
        var missed = ScriptedTable()
        missed.ball(0, [(500, 0.6, 0.5), (1_500, 1.4, 0.5)])
        missed.ball(5, [(0, 0.5, 0.9)])
        var frames = missed.frames(fps: 30, until: 2_500)
        let gap = try #require(frames.firstIndex { $0.t > 540 })
        frames[gap].balls.removeAll { $0.ball == 0 }
        #expect(ShotDetector.shots(in: frames).shots.count == 1)
    }

    @Test("a ball creeping along the cushion into a pocket after the others stopped: the shot waits for its drop")
    func creepIntoPocket() throws {
        var table = ScriptedTable()
        // The cue ball stuns into ball 1, which runs up the table and creeps the last 6 cm to pocket 5.
        let direction = (x: -0.4 / 0.617, y: 0.47 / 0.617)
        let contact = (x: 1.5 - 2 * Self.radius * direction.x, y: 0.5 - 2 * Self.radius * direction.y)
        table.ball(0, [(500, contact.x - 0.4 * direction.x, contact.y - 0.4 * direction.y), (800, contact.x, contact.y)])
        table.ball(1, [(800, 1.5, 0.5), (1_100, 1.1, 0.97), (2_300, 1.04, 0.97)], goneAt: 2_300)
        table.ball(5, [(0, 0.4, 0.3)])
        for fps in [30, 60] {
            let (shots, _) = ShotDetector.shots(in: table.frames(fps: fps, until: 3_500))
            let shot = try #require(shots.first)
            #expect(shots.count == 1, "\(fps) fps")
            #expect(shot.observation.pocketed == [Referee.PocketedBall(ball: 1, pocket: 5)], "\(fps) fps: \(shot.observation)")
            #expect(shot.detectedAt >= 2_300, "\(fps) fps")
        }
    }

    @Test("a graze dated before a full hit just behind it: the ball that moved first was struck first")
    func grazeAfterFullHit() throws {
        // The cue ball runs left along y = 0.5 at 4 units/s. Ball 2 sits 2 radii + 1 mm below the
        // line; ball 1 1.3 cm further on, squarely in it (both within one frame's travel). Ball 1
        // moves at 800 ms; ball 2 only 10 ms later, struck by the cue ball on its way out.
        var table = ScriptedTable()
        let contact = (x: 1.2 + 2 * Self.radius, y: 0.5)
        table.ball(0, [(650, contact.x + 0.6, 0.5), (800, contact.x, 0.5), (1_100, contact.x - 0.1, 0.35)])
        table.ball(1, [(800, 1.2, 0.5), (1_300, 0.6, 0.5)])
        table.ball(2, [(810, contact.x + 0.013, 0.5 - 2 * Self.radius - 0.001), (1_300, contact.x + 0.1, 0.1)])
        table.ball(5, [(0, 0.4, 0.9)])
        let shot = try #require(ShotDetector.shots(in: table.frames(fps: 60, until: 2_500)).shots.first)
        #expect(shot.observation.firstContact == 1, "\(shot.observation) \(shot.doubts)")

        // A graze of a ball that never moves was a miss: the full hit behind it is the contact.
        var missed = table
        missed.ball(2, [(0, contact.x + 0.013, 0.5 - 2 * Self.radius - 0.002)])
        let read = try #require(ShotDetector.shots(in: missed.frames(fps: 60, until: 2_500)).shots.first)
        #expect(read.observation.firstContact == 1 && read.judgeable(threshold: 0.8, onBreak: false), "\(read.observation) \(read.doubts)")
    }

    @Test("a ball set moving well before the contact the cue ball's path shows: named, and doubted")
    func movedBeforeThePath() throws {
        // Ball 3 is struck between the first two sightings, where the path cannot show it (its
        // launch is not recorded here); the path shows a later full hit on ball 1.
        var table = ScriptedTable()
        table.ball(0, [(500, 1.6, 0.5), (1_000, 1.2 + 2 * Self.radius, 0.5), (1_200, 1.1, 0.3)])
        table.ball(1, [(1_000, 1.2, 0.5), (1_400, 0.7, 0.5)])
        table.ball(3, [(520, 1.7, 0.8), (900, 1.9, 0.98)])
        let shot = try #require(ShotDetector.shots(in: table.frames(fps: 30, until: 2_500)).shots.first)
        #expect(shot.observation.firstContact == 3, "\(shot.observation)")
        #expect(!shot.judgeable(threshold: 0.8, onBreak: false), "\(shot.confidence)")
        #expect(shot.doubts.contains { $0.contains("before the cue ball reached ball 1") }, "\(shot.doubts)")
    }
}
