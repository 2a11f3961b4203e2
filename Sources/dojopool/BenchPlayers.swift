import ArgumentParser
import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import SQLKit
import Synchronization

/// `dojopool bench-players`: the players' consumers under play. Ratings, statistics, achievements
/// and notifications follow the match events. `--drivers` matches are played at once, each a race
/// to `--race` with every rack recorded by its scorer (a rack start and a rack end per command),
/// for `--seconds`. Reported: match events/s appended, and each completed match's lag from its
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

    func run() async throws {
        try await Bench.withRuntime(options, name: "bench-players") { runtime, storage, run in
            let players = (0..<(drivers * 2)).map { "bp\(run)-\($0)" }
            try await BenchClans.seedUsers(players, storage)
            let tally = Tally()
            let race = race
            let stop = ContinuousClock.now + .seconds(seconds)
            let began = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for driver in 0..<drivers {
                    group.addTask {
                        let (a, b) = (players[driver * 2], players[driver * 2 + 1])
                        let scorer = CommandContext(principal: .user(a), now: Timestamp(Date()))
                        var game = 0
                        while ContinuousClock.now < stop {
                            let id = "bpm\(run)-\(driver)-\(game)"
                            game += 1
                            let terms = Match.Terms(playerA: a, playerB: b, gameType: .nineBall, raceTo: race)
                            _ = try await runtime.matches.send(id, .create(terms), context: scorer)
                            _ = try await runtime.matches.send(id, .start, context: scorer)
                            var scores = (0, 0)
                            var rack = 0
                            while scores.0 < race && scores.1 < race {
                                let winner: Match.Side = (driver + game + rack).isMultiple(of: 3) ? .b : .a
                                rack += 1
                                let result = try await runtime.matches.send(id, .recordRack(winner: winner, breaker: nil), context: scorer)
                                tally.events.add(result.events.count, ordering: .relaxed)
                                if winner == .a { scores.0 += 1 } else { scores.1 += 1 }
                            }
                            let done = ContinuousClock.now
                            tally.completed.withLock { $0[id] = done }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let played = ContinuousClock.now - began
            // Lags: poll the stored ratings and statistics until every completed match is in both.
            var lags: [Double] = []
            var pending = tally.completed.withLock { $0 }
            let deadline = ContinuousClock.now + .seconds(120)
            while !pending.isEmpty, ContinuousClock.now < deadline {
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
            lags.sort()
            let total = tally.events.load(ordering: .relaxed)
            let secondsPlayed = Double(played.components.seconds) + Double(played.components.attoseconds) / 1e18
            print(
                "bench-players (\(storage.backend.rawValue)): \(tally.completed.withLock { $0.count }) matches, \(total) match events in "
                    + String(format: "%.1f", secondsPlayed) + " s = " + String(format: "%.0f", Double(total) / secondsPlayed)
                    + " match events/s; rating+statistics lag p50 " + String(format: "%.0f", Bench.percentile(lags, 0.5)) + " ms, p99 "
                    + String(format: "%.0f", Bench.percentile(lags, 0.99)) + " ms, max " + String(format: "%.0f", lags.last ?? 0) + " ms"
                    + (pending.isEmpty ? "" : "; \(pending.count) not stored after 120 s")
            )
        }
    }

    /// What the drivers count.
    final class Tally: Sendable {
        let completed = Mutex<[String: ContinuousClock.Instant]>([:])
        let events = Atomic<Int>(0)
    }
}
