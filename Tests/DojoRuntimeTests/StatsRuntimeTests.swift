import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Player statistics", .serialized)
struct StatsRuntimeTests {
    typealias Shot = Referee.Shot

    static func made(_ ball: Int, hit: Int) -> Shot {
        Shot(firstContact: hit, pocketed: [.init(ball: ball, pocket: 1)], railAfterContact: true, objectBallsToRail: 0)
    }

    @Test(
        "a 9-ball match played shot by shot through the runtime: golden breaks, a break-and-run, a foul; the same totals after a rebuild from the log; head-to-head",
        arguments: Backend.allCases
    )
    func playedAndRebuilt(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["sa", "sb"], in: storage)
            let scorer = Principal.user("sa")
            try await withRuntime(storage, projections: true) { runtime in
                let terms = Match.Terms(playerA: "sa", playerB: "sb", gameType: .nineBall, raceTo: 2)
                _ = try await runtime.matches.send("sm", .create(terms), context: ctx(scorer))
                _ = try await runtime.matches.send("sm", .start, context: ctx(scorer))
                for shot in [
                    Self.made(9, hit: 1),  // rack 1: sa's golden break
                    Self.made(1, hit: 1), Self.made(9, hit: 2),  // rack 2: sb breaks and runs out
                    Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4),  // rack 3: sa breaks dry
                    Shot(firstContact: 3, railAfterContact: true),  // sb fouls
                    Self.made(9, hit: 1),  // sa wins: 2–1
                ] {
                    _ = try await runtime.matches.send("sm", .shot(shot, source: .scorer), context: ctx(scorer))
                }
                #expect(try await runtime.matches.read("sm").state.status == .completed)
                await runtime.drainConsumers()
            }
            let expected = [
                StatsTotals(
                    gameType: "9-ball",
                    matches: 1,
                    wins: 1,
                    racksWon: 2,
                    racksLost: 1,
                    breaks: 2,
                    goldenBreaks: 1,
                    visits: 3,
                    ballsInVisits: 2
                )
            ]
            #expect(try await storage.statsTotals(of: "sa") == expected)
            let b = try await storage.statsTotals(of: "sb")
            #expect(b.first?.breakAndRuns == 1 && b.first?.fouls == 1 && b.first?.wins == 0 && b.first?.racksWon == 1)
            #expect(try await storage.statsTotals(of: "sa", against: "sb").first?.matches == 1)
            #expect(try await storage.statsTotals(of: "sa", against: "nobody").first?.matches == 0)
            // Achievements: sa's first win and golden break, sb's break-and-run.
            let earned = try await storage.achievements(of: "sa")
            #expect(earned.map(\.achievement) == [.firstWin, .goldenBreak] || earned.map(\.achievement) == [.goldenBreak, .firstWin])
            #expect(try await storage.achievements(of: "sb").map(\.achievement) == [.breakAndRun])
            // Each achievement is its own notification (two for sa, from one match).
            let told = try await storage.notifications(of: "sa", offset: 0, limit: 10).page.filter { $0.type == "achievement.earned" }
            #expect(Set(told.compactMap { $0.payload["achievement"] }) == ["first_win", "golden_break"])
            // A tournament's champion.
            try await withRuntime(storage, projections: true) { runtime in
                let boss = Principal.user("sa", role: .admin)
                _ = try await runtime.sendTournament(
                    "cup",
                    .create(Tournament.Terms(name: "Cup", format: .singleElimination, raceTo: 1), staff: false),
                    context: ctx(boss),
                    commandID: nil
                )
                for player in ["sa", "sb"] {
                    _ = try await runtime.sendTournament("cup", .register(userID: player, staff: false), context: ctx(.user(player)), commandID: nil)
                }
                _ = try await runtime.sendTournament(
                    "cup",
                    .start(order: ["sa", "sb"], ratings: [:], randomSeed: 0, staff: false),
                    context: ctx(boss),
                    commandID: nil
                )
                await runtime.drainConsumers()
                _ = try await runtime.matches.send("cup-m0", .start, context: ctx(boss))
                _ = try await runtime.matches.send("cup-m0", .recordRack(winner: .b, breaker: nil), context: ctx(boss))
                await runtime.drainConsumers()
                await runtime.drainConsumers()
            }
            #expect(try await storage.achievements(of: "sb").map(\.achievement).contains(.tournamentWon))
            let before = try await storage.achievements(of: "sb")
            let totalsA = try await storage.statsTotals(of: "sa")
            let totalsB = try await storage.statsTotals(of: "sb")
            #expect(totalsA.count == 2 && totalsA.first?.gameType == "8-ball")
            try await storage.withSQL { db in
                try await db.delete(from: "match_player_stats").run()
                try await db.delete(from: "consumer_positions").where("consumer", .in, ["projection.stats", "projection.achievements"]).run()
            }
            try await withRuntime(storage, projections: true) { runtime in await runtime.drainConsumers() }
            #expect(try await storage.statsTotals(of: "sa") == totalsA)
            #expect(try await storage.statsTotals(of: "sb") == totalsB)
            // Redelivered from the log: every achievement still once, earned when it was.
            #expect(try await storage.achievements(of: "sb") == before)
            let rows = try await storage.withSQL { db in
                try await db.raw("SELECT COUNT(*) AS n FROM user_achievements").first()?.decode(column: "n", as: Int.self) ?? -1
            }
            #expect(rows == 5)  // sa: first win, golden break; sb: break-and-run, first win, the tournament
        }
    }
}
