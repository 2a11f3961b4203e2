import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Tournament runtime", .serialized)
struct TournamentRuntimeTests {
    @Test(
        "a 6-player single elimination with entry fees, played through the runtime: matches created once, the bracket advanced by the match reactions, prizes paid, the records follow; the same after every consumer position and snapshot is lost",
        arguments: Backend.allCases
    )
    func playedThroughExactlyOnce(_ backend: Backend) async throws {
        let players = (1...6).map { "p\($0)" }
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(players + ["boss"], in: storage)
            let boss = Principal.user("boss", role: .admin)
            try await withRuntime(storage, projections: true) { runtime in
                for player in players {
                    _ = try await runtime.grant(userID: player, amount: 100, key: "welcome-\(player)", reference: "grant:welcome")
                }
                let terms = Tournament.Terms(
                    name: "Cup",
                    format: .singleElimination,
                    raceTo: 2,
                    entryFee: 30,
                    prizeSplit: [7_000, 3_000],
                    seeding: .manual
                )
                _ = try await runtime.sendTournament("cup", .create(terms, staff: false), context: ctx(boss), commandID: nil)
                for player in players {
                    _ = try await runtime.sendTournament("cup", .register(userID: player, staff: false), context: ctx(.user(player)), commandID: nil)
                }
                await runtime.drainConsumers()
                _ = try await runtime.sendTournament(
                    "cup",
                    .start(order: players, ratings: [:], randomSeed: 0, staff: false),
                    context: ctx(boss),
                    commandID: nil
                )
                // Play every match as it comes: the better seed wins 2–0.
                var rounds = 0
                while try await runtime.tournaments.read("cup").state.status == .live {
                    await runtime.drainConsumers()
                    for assignment in try await runtime.tournaments.read("cup").state.assignments where assignment.live {
                        let match = try await runtime.matches.read(assignment.matchID).state
                        #expect(match.exists && match.tournamentID == "cup" && match.scorer == "boss" && match.raceTo == 2)
                        let winner: Match.Side = Int(assignment.playerA.dropFirst())! < Int(assignment.playerB.dropFirst())! ? .a : .b
                        _ = try await runtime.matches.send(assignment.matchID, .start, context: ctx(boss))
                        for _ in 0..<2 {
                            _ = try await runtime.matches.send(assignment.matchID, .recordRack(winner: winner, breaker: nil), context: ctx(boss))
                        }
                    }
                    await runtime.drainConsumers()
                    rounds += 1
                    try #require(rounds < 10)
                }
                let state = try await runtime.tournaments.read("cup").state
                #expect(state.status == .completed && state.placings?.first == ["p1"] && state.assignments.count == 5)
            }
            let before = try await storage.withSQL { db in try await db.select().column("id").from("matches").all().count }
            try await storage.withSQL { db in
                try await db.delete(from: "consumer_positions").run()
                try await db.delete(from: "snapshots").run()
            }
            try await withRuntime(storage, projections: true) { runtime in
                await runtime.drainConsumers()
                let (state, _) = try await runtime.tournaments.read("cup")
                #expect(state.status == .completed && state.assignments.count == 5)
                // Pot 180: 126 and 54, once each.
                #expect(try await runtime.accounts.read(Account.user("p1")).state.balance == 70 + 126)
                #expect(try await runtime.accounts.read(Account.user("p2")).state.balance == 70 + 54)
                #expect(try await runtime.accounts.read(Tournament.poolAccount("cup")).state.balance == 0)
            }
            let (after, status, seeds) = try await storage.withSQL { db in
                let after = try await db.select().column("id").from("matches").all().count
                let status = try await db.select().column("status").from("tournaments").where("id", .equal, "cup").first()?.decode(
                    column: "status",
                    as: String.self
                )
                let seeds = try await db.select().column("seed").from("tournament_participants").where("tournament_id", .equal, "cup").all()
                    .map { try $0.decode(column: "seed", as: Int?.self) }
                return (after, status, seeds)
            }
            #expect(before == 5 && after == 5 && status == "COMPLETED" && seeds.compactMap { $0 }.sorted() == Array(1...6))
        }
    }
}
