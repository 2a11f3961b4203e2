import ArgumentParser
import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import SQLKit
import Synchronization

/// `dojopool bench-players`: the players' consumers under play. Ratings, statistics, achievements
/// and notifications follow the match events. `--drivers` matches are played at once, each a race
/// to `--race`, for `--seconds`. Each rack is `--shots-per-rack` shots judged by the referee (a
/// break, then legal misses) ended by the scorer, or with 0 (the default) recorded whole in one
/// command: a completion every few events, the consumers' worst case. `--rate` paces the drivers
/// to that many commands a second in all (0: as fast as they go). Reported: match events/s appended, and each completed match's lag from its
/// completing command's answer to its rating and its statistics being stored (p50, p99, max).
/// Figures in docs/benchmarks.md.
struct BenchPlayers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-players",
        abstract: "Benchmark the players' consumers (ratings, statistics, achievements, notifications): throughput and lag under play."
    )

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "Matches played at once.") var drivers = 64
    @Option(help: "The race of each match.") var race = 3
    @Option(help: "Seconds of play.") var seconds = 10.0
    @Option(help: "Shots judged per rack before the scorer ends it (0: each rack recorded whole).") var shotsPerRack = 0
    @Option(help: "Commands per second of all drivers together (0: unpaced).") var rate = 0.0

    func run() async throws {
        try await Bench.withRuntime(options, name: "bench-players") { runtime, storage, run in
            let players = (0..<(drivers * 2)).map { "bp\(run)-\($0)" }
            try await BenchClans.seedUsers(players, storage)
            let tally = Tally()
            let race = race
            let shotsPerRack = shotsPerRack
            let pause: Duration = rate > 0 ? .nanoseconds(Int64(Double(drivers) / rate * 1e9)) : .zero
            let stop = ContinuousClock.now + .seconds(seconds)
            let began = ContinuousClock.now
            // Lags, measured while playing: the stored ratings and statistics are polled every 20 ms
            // for the matches completed and not found yet, until play ends and all are found.
            let poller = Task { try await Self.pollLags(tally, storage) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for driver in 0..<drivers {
                    group.addTask {
                        let (a, b) = (players[driver * 2], players[driver * 2 + 1])
                        let scorer = CommandContext(principal: .user(a), now: Timestamp(Date()))
                        // Paced: each command waits for its slot (slots are not skipped when one runs late).
                        var slot = ContinuousClock.now + pause * Double(driver) / Double(max(drivers, 1))
                        func send(_ id: String, _ command: Match.Command) async throws {
                            if pause > .zero {
                                slot += pause
                                try await Task.sleep(until: slot, clock: .continuous)
                            }
                            let result = try await runtime.matches.send(id, command, context: scorer)
                            tally.events.add(result.events.count, ordering: .relaxed)
                        }
                        var game = 0
                        while ContinuousClock.now < stop {
                            let id = "bpm\(run)-\(driver)-\(game)"
                            game += 1
                            let terms = Match.Terms(playerA: a, playerB: b, gameType: .nineBall, raceTo: race)
                            try await send(id, .create(terms))
                            try await send(id, .start)
                            var scores = (0, 0)
                            var rack = 0
                            while scores.0 < race && scores.1 < race {
                                let winner: Match.Side = (driver + game + rack).isMultiple(of: 3) ? .b : .a
                                rack += 1
                                for shot in 0..<shotsPerRack {
                                    let observation =
                                        shot == 0
                                        ? Referee.Shot(shotId: "r\(rack)s0", firstContact: 1, railAfterContact: true, objectBallsToRail: 5)
                                        : Referee.Shot(shotId: "r\(rack)s\(shot)", firstContact: 1, railAfterContact: true)
                                    try await send(id, .shot(observation, source: .scorer))
                                }
                                try await send(id, .recordRack(winner: winner, breaker: nil))
                                if winner == .a { scores.0 += 1 } else { scores.1 += 1 }
                            }
                            let done = ContinuousClock.now
                            tally.completed.withLock { $0[id] = done }
                            tally.matches.add(1, ordering: .relaxed)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let played = ContinuousClock.now - began
            tally.playing.store(false, ordering: .relaxed)
            var (lags, unfound) = try await poller.value
            lags.sort()
            let total = tally.events.load(ordering: .relaxed)
            let secondsPlayed = Double(played.components.seconds) + Double(played.components.attoseconds) / 1e18
            print(
                "bench-players (\(storage.backend.rawValue)): \(tally.matches.load(ordering: .relaxed)) matches, \(total) match events in "
                    + String(format: "%.1f", secondsPlayed) + " s = " + String(format: "%.0f", Double(total) / secondsPlayed)
                    + " match events/s; rating+statistics lag p50 " + String(format: "%.0f", Bench.percentile(lags, 0.5)) + " ms, p99 "
                    + String(format: "%.0f", Bench.percentile(lags, 0.99)) + " ms, max " + String(format: "%.0f", lags.last ?? 0) + " ms"
                    + (unfound == 0 ? "" : "; \(unfound) not stored 120 s after play")
            )
        }
    }

    /// Each completed match's lag (ms) to its rating and statistics being stored, and how many
    /// were not found 120 s after play ended.
    static func pollLags(_ tally: Tally, _ storage: any Storage) async throws -> (lags: [Double], unfound: Int) {
        var lags: [Double] = []
        var pending: [String: ContinuousClock.Instant] = [:]
        var deadline: ContinuousClock.Instant?
        while true {
            pending.merge(
                tally.completed.withLock { taken in
                    defer { taken = [:] }
                    return taken
                }
            ) { $1 }
            if deadline == nil, !tally.playing.load(ordering: .relaxed) { deadline = .now + .seconds(120) }
            if let deadline, pending.isEmpty || ContinuousClock.now > deadline { break }
            let ids = Array(pending.keys)
            var found = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let rated = try await storage.withSQL { db in
                    try await db.raw(
                        """
                        SELECT r.match_id AS id FROM rating_history r JOIN match_player_stats s ON s.match_id = r.match_id
                        WHERE r.match_id IN (\(unsafeRaw: chunk.map { "'\($0)'" }.joined(separator: ",")))
                        """
                    ).all().map { try $0.decode(column: "id", as: String.self) }
                }
                found.formUnion(rated)
            }
            let now = ContinuousClock.now
            for id in found {
                if let at = pending.removeValue(forKey: id) {
                    lags.append(Double((now - at).components.attoseconds) / 1e15 + Double((now - at).components.seconds) * 1_000)
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (lags, pending.count)
    }

    /// What the drivers count.
    final class Tally: Sendable {
        /// Completed matches not taken by the poller yet, with when their last command was answered.
        let completed = Mutex<[String: ContinuousClock.Instant]>([:])
        let matches = Atomic<Int>(0)
        let events = Atomic<Int>(0)
        let playing = Atomic<Bool>(true)
    }
}
