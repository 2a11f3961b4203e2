import ArgumentParser
import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation

/// `dojopool bench-tournaments`: the bracket alone (pure: generation and advancement for 512
/// players, in µs), then tournaments played through the whole runtime as fast as the reactions go:
/// every match created by the tournament's reaction, started and decided by the scorer, and the
/// result advancing the bracket through the match reaction. Figures in docs/benchmarks.md.
struct BenchTournaments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tournaments",
        abstract: "Benchmark bracket generation and advancement, and tournaments played through the runtime."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Players of the pure bracket measurement.")
    var bracketPlayers = 512
    @Option(help: "Repetitions of the pure bracket measurement.")
    var repetitions = 20
    @Option(help: "Players of the tournament played through the runtime.")
    var players = 128
    @Option(help: "Tournaments played at once through the runtime.")
    var tournaments = 4

    func run() async throws {
        measureBrackets()
        try await Bench.withRuntime(options, name: "bench-tournaments") { runtime, storage, run in
            try await playThrough(runtime, storage, run)
        }
    }

    private func measureBrackets() {
        let seeds = (1...bracketPlayers).map { "p\($0)" }
        let clock = ContinuousClock()
        for format in [Bracket.Format.singleElimination, .doubleElimination, .groupsThenSingleElimination] {
            var builds: [Double] = []
            var advances: [Double] = []
            for repetition in 0..<repetitions {
                var bracket = Bracket(format: format, options: .init(), seeds: seeds)
                builds.append(microseconds(clock.measure { bracket = Bracket(format: format, options: .init(), seeds: seeds) }))
                // Advancement: a result recorded and the bracket resolved again, until the end.
                var random = SplitMix64(seed: UInt64(repetition))
                var resolved = bracket.resolve()
                var perResult: [Double] = []
                while let slot = resolved.indices.first(where: { resolved[$0].isReady }) {
                    let elapsed = clock.measure {
                        bracket.results[slot] = Bracket.Result(winner: random.next().isMultiple(of: 2) ? .a : .b, scoreA: 3, scoreB: 1)
                        resolved = bracket.resolve()
                    }
                    perResult.append(microseconds(elapsed))
                }
                advances.append(Bench.percentile(perResult.sorted(), 0.5))
            }
            builds.sort()
            advances.sort()
            let slots = Bracket(format: format, options: .init(), seeds: seeds).slots.count
            print(
                "bracket \(format.rawValue) \(bracketPlayers) players, \(slots) slots: build median \(format2(Bench.percentile(builds, 0.5))) µs, "
                    + "one result + resolve median \(format2(Bench.percentile(advances, 0.5))) µs"
            )
        }
    }

    private func playThrough(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let names = (1...players).map { "tp\(run)-\($0)" }
        let director = "td\(run)"
        try await BenchClans.seedUsers(names + [director], storage)
        let boss = Principal.user(director, role: .admin)
        func context(_ principal: Principal) -> CommandContext { CommandContext(principal: principal, now: Timestamp(Date())) }
        let ids = (0..<tournaments).map { "bt\(run)-\($0)" }
        for id in ids {
            let terms = Tournament.Terms(name: "Bench \(id)", format: .doubleElimination, raceTo: 1, maxParticipants: players, seeding: .manual)
            _ = try await runtime.sendTournament(id, .create(terms, staff: false), context: context(boss), commandID: nil)
            for name in names {
                _ = try await runtime.sendTournament(id, .register(userID: name, staff: false), context: context(.user(name)), commandID: nil)
            }
        }
        let start = ContinuousClock.now
        var played = 0
        var latencies: [Double] = []
        for id in ids {
            _ = try await runtime.sendTournament(
                id,
                .start(order: names, ratings: [:], randomSeed: 1, staff: false),
                context: context(boss),
                commandID: nil
            )
        }
        // Each tournament by a driver of its own: play whatever is live, until it completes.
        try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for id in ids {
                group.addTask {
                    var count = 0
                    var times: [Double] = []
                    var done = Set<String>()
                    while try await runtime.tournaments.read(id).state.status == .live {
                        let live = try await runtime.tournaments.read(id).state.assignments.filter { $0.live && !done.contains($0.matchID) }
                        var progressed = false
                        for assignment in live where try await runtime.matches.read(assignment.matchID).state.exists {
                            let began = ContinuousClock.now
                            _ = try await runtime.matches.send(assignment.matchID, .start, context: context(boss))
                            _ = try await runtime.matches.send(assignment.matchID, .recordRack(winner: .a, breaker: nil), context: context(boss))
                            times.append(microseconds(ContinuousClock.now - began) / 1_000)
                            done.insert(assignment.matchID)
                            count += 1
                            progressed = true
                        }
                        if !progressed { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return (count, times)
                }
            }
            for try await (count, times) in group {
                played += count
                latencies += times
            }
        }
        let seconds = microseconds(ContinuousClock.now - start) / 1_000_000
        latencies.sort()
        print(
            "\(tournaments) double eliminations of \(players) players through the runtime (\(storage.backend.rawValue)): \(played) matches in "
                + "\(format2(seconds)) s = \(format2(Double(played) / seconds)) matches/s; start + deciding rack p50 "
                + "\(format2(Bench.percentile(latencies, 0.5))) ms, p99 \(format2(Bench.percentile(latencies, 0.99))) ms"
        )
    }

    private func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    }

    private func format2(_ value: Double) -> String { String(format: "%.2f", value) }
}
