import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Ratings", .serialized)
struct RatingRuntimeTests {
    private static func ratings(_ storage: any Storage, _ users: [String]) async throws -> [String: Glicko2.Rating] {
        var result: [String: Glicko2.Rating] = [:]
        for user in users { result[user] = try await storage.rating(of: user)?.rating }
        return result
    }

    @Test("games arriving out of order are rated as if in order; a repeat rates nothing twice", arguments: Backend.allCases)
    func outOfOrder(_ backend: Backend) async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let games = (0..<6).map { index in
            RatedGame(
                matchID: "g\(index)",
                recordedAt: base.addingTimeInterval(Double(index)),
                stream: "match:g\(index)",
                playerA: ["u1", "u2", "u3"][index % 3],
                playerB: ["u2", "u3", "u1"][index % 3],
                winnerIsA: index % 2 == 0
            )
        }
        let first = Locked<[String: Glicko2.Rating]>([:])
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["u1", "u2", "u3"], in: storage)
            try await storage.rate(games)
            let rated = try await Self.ratings(storage, ["u1", "u2", "u3"])
            first.withLock { $0 = rated }
        }
        let inOrder = first.withLock { $0 }
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["u1", "u2", "u3"], in: storage)
            // Late rounds: the last games first, then the first ones, then everything again.
            try await storage.rate(Array(games[3...]))
            try await storage.rate([games[1], games[0]])
            try await storage.rate([games[2]])
            try await storage.rate(games)
            #expect(try await Self.ratings(storage, ["u1", "u2", "u3"]) == inOrder)
            #expect(try await storage.rating(of: "u1")?.games == 4)
            #expect(try await storage.ratingHistory(of: "u1", limit: 100).map(\.matchID) == ["g5", "g3", "g2", "g0"])
            let skill = try await storage.skillRatings(of: ["u1"])["u1"]
            #expect(skill == Int(inOrder["u1"]!.rating.rounded()))
        }
    }

    @Test(
        "every completed match rates both players; a rebuild from the log (positions and ratings deleted) gives the same ratings; a tournament seeds by them",
        arguments: Backend.allCases
    )
    func rebuild(_ backend: Backend) async throws {
        let players = ["r1", "r2", "r3", "r4"]
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(players + ["boss"], in: storage)
            let liveBox = Locked<[String: Glicko2.Rating]>([:])
            try await withRuntime(storage, projections: true) { runtime in
                var random = SplitMix64(seed: 9)
                for index in 0..<12 {
                    let a = players[Int(random.next() % 4)]
                    let b = players.filter { $0 != a }[Int(random.next() % 3)]
                    let id = "rm\(index)"
                    _ = try await runtime.matches.send(
                        id,
                        .create(Match.Terms(playerA: a, playerB: b, gameType: .eightBall, raceTo: 1)),
                        context: ctx(.user(a))
                    )
                    _ = try await runtime.matches.send(id, .start, context: ctx(.user(a)))
                    // r1 wins whenever it plays; otherwise the coin decides.
                    let winner: Match.Side = a == "r1" ? .a : b == "r1" ? .b : (random.next().isMultiple(of: 2) ? .a : .b)
                    _ = try await runtime.matches.send(id, .recordRack(winner: winner, breaker: nil), context: ctx(.user(a)))
                    if index % 4 == 0 { await runtime.drainConsumers() }  // rounds of different sizes
                }
                await runtime.drainConsumers()
                let live = try await Self.ratings(storage, players)
                liveBox.withLock { $0 = live }
                #expect(live.count == 4 && live["r1"]!.rating > 1_500)
                // Seeding by rating: r1 first.
                let boss = Principal.user("boss", role: .admin)
                _ = try await runtime.sendTournament(
                    "rated",
                    .create(Tournament.Terms(name: "Rated", format: .singleElimination), staff: false),
                    context: ctx(boss),
                    commandID: nil
                )
                for player in players.reversed() {
                    _ = try await runtime.sendTournament(
                        "rated",
                        .register(userID: player, staff: false),
                        context: ctx(.user(player)),
                        commandID: nil
                    )
                }
                let started = try await runtime.sendTournament(
                    "rated",
                    .start(order: nil, ratings: [:], randomSeed: 0, staff: false),
                    context: ctx(boss),
                    commandID: nil
                )
                // Best first (ties: registration order, here r4, r3, r2, r1).
                let registration = Array(players.reversed())
                let expected = registration.sorted { x, y in
                    (live[x]!.rating.rounded(), registration.firstIndex(of: y)!) > (live[y]!.rating.rounded(), registration.firstIndex(of: x)!)
                }
                #expect(started.state.bracket?.seeds == expected)
                #expect(started.state.bracket?.seeds.first == "r1")
            }
            try await storage.withSQL { db in
                try await db.delete(from: "rating_history").run()
                try await db.delete(from: "ratings").run()
                try await db.update("profiles").set("skill_rating", to: 0).run()
                try await db.delete(from: "consumer_positions").where("consumer", .equal, "projection.ratings").run()
            }
            try await withRuntime(storage, projections: true) { runtime in
                await runtime.drainConsumers()
                let rebuilt = try await Self.ratings(storage, players)
                #expect(rebuilt == liveBox.withLock { $0 })
            }
        }
    }
}
