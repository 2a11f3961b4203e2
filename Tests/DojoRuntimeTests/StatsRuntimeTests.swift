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
            try await storage.withSQL { db in
                try await db.delete(from: "match_player_stats").run()
                try await db.delete(from: "consumer_positions").where("consumer", .equal, "projection.stats").run()
            }
            try await withRuntime(storage, projections: true) { runtime in await runtime.drainConsumers() }
            #expect(try await storage.statsTotals(of: "sa") == expected)
            #expect(try await storage.statsTotals(of: "sb") == b)
        }
    }
}
