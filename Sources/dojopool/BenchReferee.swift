import ArgumentParser
import DojoDomain
import Foundation

/// `dojopool bench-referee`: what judging a shot costs, on one core, with no I/O: the pure
/// referee, the match aggregate's decision around it (events and commentary included), and the
/// encoding of the event it records. Medians of several rounds.
struct BenchReferee: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-referee",
        abstract: "Benchmark the referee: rulings per second on one core, the match's shot decision, the event's encoding."
    )

    @Option(help: "Rounds per measurement (the median is reported).") var rounds = 5
    @Option(help: "Seconds per round.") var seconds = 1.0
    @Flag(help: "Print JSON.") var json = false

    struct Result: Codable {
        var operation: String
        var perSecond: Double
        var nanosecondsEach: Double
        var rounds: [Double]
    }

    /// A mix of (rack, shot) situations per game: breaks (legal, made, foul), legal misses, made
    /// balls, scratches, wrong balls, push-outs, slops, called shots.
    static func situations(_ game: Referee.Game) -> [(Referee.Rack, Referee.Shot)] {
        let fresh = Referee.Rack(game: game, breaker: .a)
        var mid = fresh
        mid.breakShot = false
        mid.ballInHand = nil
        mid.onTable.removeFirst(2)
        let lowest = mid.onTable[0]
        var pushable = mid
        pushable.pushOutAvailable = game != .eightBall
        var grouped = mid
        if game == .eightBall {
            grouped.groups = .init(a: .stripes, b: .solids)
        }
        let own = game == .eightBall ? 9 : lowest
        let call = game.callsShots ? Referee.PocketedBall(ball: own, pocket: 2) : nil
        var list: [(Referee.Rack, Referee.Shot)] = [
            (fresh, Referee.Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 5)),
            (fresh, Referee.Shot(firstContact: 1, pocketed: [.init(ball: 4, pocket: 1)], railAfterContact: true)),
            (fresh, Referee.Shot(firstContact: 1, cueBallPocketed: true, objectBallsToRail: 4)),
            (grouped, Referee.Shot(firstContact: own, railAfterContact: true, called: call)),
            (grouped, Referee.Shot(firstContact: own, pocketed: [.init(ball: own, pocket: 2)], railAfterContact: true, called: call)),
            (grouped, Referee.Shot(firstContact: own, cueBallPocketed: true, railAfterContact: true, called: call)),
            (grouped, Referee.Shot(firstContact: mid.onTable.last!, railAfterContact: true, called: call)),
            (grouped, Referee.Shot(firstContact: own, railAfterContact: false, called: call)),
        ]
        if game != .eightBall {
            list.append((pushable, Referee.Shot(firstContact: mid.onTable[2], pushOut: true)))
        }
        if game == .tenBall {
            list.append((mid, Referee.Shot(firstContact: lowest, pocketed: [.init(ball: lowest, pocket: 5)], railAfterContact: true, called: call)))
        }
        return list
    }

    func run() async throws {
        var results: [Result] = []
        for game in Referee.Game.allCases {
            let situations = Self.situations(game)
            results.append(
                try measure("judge \(game.rawValue)", count: situations.count) { i in
                    _ = try Referee.judge(situations[i].0, situations[i].1)
                }
            )
        }
        // The match aggregate: a live 9-ball match mid-rack, a legal miss (the events, no I/O).
        var match = Match.initialState(id: "bench")
        let context = CommandContext(principal: .user("a"), now: Timestamp(millisecondsSince1970: 1_800_000_000_000))
        for command in [Match.Command.create(.init(playerA: "a", playerB: "b", gameType: .nineBall, raceTo: 9)), .start] {
            for event in try Match.decide(match, command, context) { Match.apply(&match, event) }
        }
        let breakShot = Referee.Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 5)
        for event in try Match.decide(match, .shot(breakShot, source: .scorer), context) { Match.apply(&match, event) }
        let miss = Referee.Shot(shotId: "s-1", firstContact: 1, railAfterContact: true)
        let live = match
        results.append(
            try measure("match decide (shot)", count: 1) { _ in
                _ = try Match.decide(live, .shot(miss, source: .scorer), context)
            }
        )
        let event = try Match.decide(live, .shot(miss, source: .scorer), context)[0]
        results.append(
            try measure("encode shot event", count: 1) { _ in
                var writer = JSONWriter(capacity: 2_048)
                event.writeJSON(to: &writer)
            }
        )
        var size = JSONWriter()
        event.writeJSON(to: &size)

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for result in results { print(String(decoding: try encoder.encode(result), as: UTF8.self)) }
            return
        }
        print("operation                 rulings/s     ns each   (median of \(rounds) rounds of \(seconds) s, one task)")
        for result in results {
            print(
                result.operation.padding(toLength: 22, withPad: " ", startingAt: 0),
                String(format: "%12.0f %11.0f", result.perSecond, result.nanosecondsEach)
            )
        }
        print("shot event: \(size.bytes.count) bytes of JSON")
    }

    /// Runs `body` over indices 0..<count, round after round, and reports the median rate.
    private func measure(_ operation: String, count: Int, _ body: (Int) throws -> Void) throws -> Result {
        let clock = ContinuousClock()
        var rates: [Double] = []
        for _ in 0..<rounds {
            var done = 0
            let start = clock.now
            let end = start + .seconds(seconds)
            while clock.now < end {
                for _ in 0..<64 {
                    try body(done % count)
                    done += 1
                }
            }
            let elapsed = clock.now - start
            rates.append(Double(done) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        }
        let median = rates.sorted()[rates.count / 2]
        return Result(operation: operation, perSecond: median, nanosecondsEach: 1e9 / median, rounds: rates)
    }
}
