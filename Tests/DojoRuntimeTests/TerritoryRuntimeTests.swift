import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Territories and clans in the runtime", .serialized)
struct TerritoryRuntimeTests {
    @Test(
        "a territory match's result claims, then defends the territory exactly once, also after every consumer position is lost; the records follow",
        arguments: Backend.allCases
    )
    func resultsExactlyOnce(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "bob", "carol", "owner"], in: storage)
            let bob = Principal.user("bob")
            let carol = Principal.user("carol")
            try await withRuntime(storage, projections: true) { runtime in
                _ = try await runtime.venues.send(
                    "hall",
                    .register(name: "Hall", location: .init(lat: 51.5, lng: -0.1), address: nil, ownerID: nil),
                    context: ctx(owner)
                )
                _ = try await runtime.sendClan("k1", .create(name: "Breakers", description: nil), context: ctx(bob), commandID: nil)
                let created = try await runtime.createTerritory("tr1", venueID: "hall", name: nil, context: ctx(owner), commandID: nil)
                #expect(created.state.name == "Hall" && created.state.location.lat == 51.5)
                await #expect(throws: DomainError.self) {
                    try await runtime.createTerritory("tr2", venueID: "hall", name: nil, context: ctx(owner), commandID: nil)
                }
                // Bob (clan k1) challenges carol for the unclaimed territory; carol accepts; bob wins.
                _ = try await runtime.sendTerritory("tr1", .challenge(opponentID: "carol", clanID: nil), context: ctx(bob), commandID: nil)
                let accepted = try await runtime.sendTerritory(
                    "tr1",
                    .respond(accept: true, matchID: "m1", gameType: .nineBall, raceTo: 1),
                    context: ctx(carol),
                    commandID: nil
                )
                #expect(accepted.state.contest?.matchID == "m1")
                let match = try await runtime.matches.read("m1").state
                #expect(match.territoryID == "tr1" && match.venueID == "hall" && match.playerA == "carol" && match.playerB == "bob")
                _ = try await runtime.matches.send("m1", .start, context: ctx(carol))
                _ = try await runtime.matches.send("m1", .recordRack(winner: .b, breaker: nil), context: ctx(carol))
                await runtime.drainConsumers()
                let won = try await runtime.territories.read("tr1").state
                #expect(won.ownerID == "bob" && won.clanID == "k1" && won.contest == nil)
                // Carol challenges bob and loses: a defence.
                _ = try await runtime.sendTerritory("tr1", .challenge(opponentID: nil, clanID: nil), context: ctx(carol), commandID: nil)
                _ = try await runtime.sendTerritory(
                    "tr1",
                    .respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 1),
                    context: ctx(bob),
                    commandID: nil
                )
                _ = try await runtime.matches.send("m2", .start, context: ctx(bob))
                _ = try await runtime.matches.send("m2", .recordRack(winner: .a, breaker: nil), context: ctx(bob))
                await runtime.drainConsumers()
                let (defended, sequence) = try await runtime.territories.read("tr1")
                #expect(defended.ownerID == "bob" && defended.defenseScore == 1 && sequence == 7)
            }
            // Every consumer position and snapshot lost: the reactions are redelivered from the log and
            // the territory (rebuilt from its log) recognises each cause.
            try await storage.withSQL { db in
                try await db.delete(from: "consumer_positions").run()
                try await db.delete(from: "snapshots").run()
            }
            try await withRuntime(storage, projections: true) { runtime in
                await runtime.drainConsumers()
                let (territory, sequence) = try await runtime.territories.read("tr1")
                #expect(territory.ownerID == "bob" && territory.defenseScore == 1 && sequence == 7)
            }
            let row = try await storage.listTerritories(in: GeoBox(south: 51, west: -1, north: 52, east: 0), after: nil, limit: 10)
            #expect(row.count == 1 && row.first?.id == "tr1" && row.first?.name == "Hall" && row.first?.venueId == "hall")
            #expect(row.first?.lat == 51.5 && row.first?.lng == -0.1 && row.first?.ownerId == "bob" && row.first?.clanId == "k1")
            #expect(row.first?.level == 1 && row.first?.defenseScore == 1)
            #expect(try await storage.listTerritories(in: GeoBox(south: 10, west: 10, north: 11, east: 11), after: nil, limit: 10).isEmpty)
            let types = try await storage.withSQL { db in
                try await db.select().column("type").from("territory_events").where("territory_id", .equal, "tr1").orderBy("created_at").all()
                    .map { try $0.decode(column: "type", as: String.self) }
            }
            #expect(types == ["CLAIM", "DEFEND"])
            let clans = try await storage.territoryLeaderboard(byClan: true, offset: 0, limit: 10)
            #expect(clans.map { "\($0.rank) \($0.id) \($0.territories ?? -1)" } == ["1 k1 1"])
            let players = try await storage.territoryLeaderboard(byClan: false, offset: 0, limit: 10)
            #expect(players.map { "\($0.rank) \($0.id) \($0.territories ?? -1)" } == ["1 bob 1"])
        }
    }

    @Test(
        "a clan war: the declared-upon clan hears of it, matches between members count on both sides, the deadline is a durable timer delivered after a restart, once",
        arguments: Backend.allCases
    )
    func war(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "bob", "carol", "dave"], in: storage)
            // Timers fire only when the test says so (the runtime's own loop would race it).
            var quiet = RuntimeConfiguration()
            quiet.timerInterval = .seconds(3_600)
            let (alice, bob, carol, dave) = (Principal.user("alice"), Principal.user("bob"), Principal.user("carol"), Principal.user("dave"))
            try await withRuntime(storage, quiet, projections: true) { runtime in
                _ = try await runtime.sendClan("k1", .create(name: "Breakers", description: nil), context: ctx(alice), commandID: nil)
                _ = try await runtime.sendClan("k1", .invite(userID: "bob"), context: ctx(alice), commandID: nil)
                _ = try await runtime.sendClan("k1", .accept(userID: "bob"), context: ctx(bob), commandID: nil)
                _ = try await runtime.sendClan("k2", .create(name: "Sharks", description: nil), context: ctx(carol), commandID: nil)
                _ = try await runtime.sendClan("k2", .requestToJoin, context: ctx(dave), commandID: nil)
                _ = try await runtime.sendClan("k2", .accept(userID: "dave"), context: ctx(carol), commandID: nil)
                await #expect(throws: DomainError.self) {
                    try await runtime.sendClan(
                        "k1",
                        .declareWar(warID: "w0", opponentID: "nobody", target: 3, hours: 24),
                        context: ctx(alice),
                        commandID: nil
                    )
                }
                _ = try await runtime.sendClan(
                    "k1",
                    .declareWar(warID: "w1", opponentID: "k2", target: 3, hours: 24),
                    context: ctx(alice),
                    commandID: nil
                )
                #expect(try await storage.timers(of: "clan:k1").map(\.id) == ["war-w1-k1"])
                #expect(try await storage.timers(of: "clan:k2").map(\.id) == ["war-w1-k2"])
                await runtime.drainConsumers()
                #expect(try await runtime.clans.read("k2").state.activeWar(against: "k1") != nil)
                // Bob (k1) beats dave (k2); carol (k2) beats alice (k1); a match within one clan counts nothing.
                for (id, a, b, winner) in [("m1", "bob", "dave", Match.Side.a), ("m2", "alice", "carol", .b), ("m3", "alice", "bob", .a)] {
                    _ = try await runtime.matches.send(
                        id,
                        .create(.init(playerA: a, playerB: b, gameType: .eightBall, raceTo: 1)),
                        context: ctx(.user(a))
                    )
                    _ = try await runtime.matches.send(id, .start, context: ctx(.user(a)))
                    _ = try await runtime.matches.send(id, .recordRack(winner: winner, breaker: nil), context: ctx(.user(a)))
                }
                await runtime.drainConsumers()
                let k1 = try await runtime.clans.read("k1").state.activeWar(against: "k2")
                let k2 = try await runtime.clans.read("k2").state.activeWar(against: "k1")
                #expect(k1?.ours == 1 && k1?.theirs == 1 && k2?.ours == 1 && k2?.theirs == 1)
                // Not due yet.
                #expect(await runtime.fireDueTimers(now: Date()) == 0)
            }
            // A new runtime (a restart) delivers the deadline, once per clan.
            try await withRuntime(storage, quiet, projections: true) { runtime in
                #expect(await runtime.fireDueTimers(now: Date().addingTimeInterval(25 * 3_600)) == 2)
                #expect(await runtime.fireDueTimers(now: Date().addingTimeInterval(26 * 3_600)) == 0)
                for clan in ["k1", "k2"] {
                    let war = try await runtime.clans.read(clan).state.wars.first
                    #expect(war?.status == .drawn && war?.endedAt != nil, "\(clan): \(String(describing: war))")
                }
                // A redelivered deadline (a timer scheduled again) changes nothing.
                try await runtime.scheduleTimer(
                    id: "again",
                    for: EntityKey(kind: .clan, id: "k1")!,
                    command: #"{"type":"endWar","warId":"w1"}"#,
                    at: Date()
                )
                let before = try await runtime.clans.read("k1").sequence
                #expect(await runtime.fireDueTimers(now: Date().addingTimeInterval(1)) == 1)
                #expect(try await runtime.clans.read("k1").sequence == before)
                // A cancelled timer is never delivered.
                try await runtime.scheduleTimer(
                    id: "cancelled",
                    for: EntityKey(kind: .clan, id: "k1")!,
                    command: #"{"type":"endWar","warId":"w1"}"#,
                    at: Date()
                )
                #expect(try await runtime.cancelTimer(id: "cancelled") == true)
                #expect(try await runtime.cancelTimer(id: "cancelled") == false)
                #expect(await runtime.fireDueTimers(now: Date().addingTimeInterval(1)) == 0)
            }
            #expect(try await storage.timers(of: "clan:k1").isEmpty)
        }
    }

    @Test("a war won at its target: the winner's war wins in the records and on the leaderboard", arguments: Backend.allCases)
    func warWon(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "carol"], in: storage)
            try await withRuntime(storage, projections: true) { runtime in
                _ = try await runtime.sendClan("k1", .create(name: "Breakers", description: nil), context: ctx(.user("alice")), commandID: nil)
                _ = try await runtime.sendClan("k2", .create(name: "Sharks", description: nil), context: ctx(.user("carol")), commandID: nil)
                _ = try await runtime.sendClan(
                    "k2",
                    .declareWar(warID: "w1", opponentID: "k1", target: 2, hours: 1),
                    context: ctx(.user("carol")),
                    commandID: nil
                )
                for id in ["m1", "m2"] {
                    _ = try await runtime.matches.send(
                        id,
                        .create(.init(playerA: "alice", playerB: "carol", gameType: .nineBall, raceTo: 1)),
                        context: ctx(.user("alice"))
                    )
                    _ = try await runtime.matches.send(id, .start, context: ctx(.user("alice")))
                    _ = try await runtime.matches.send(id, .recordRack(winner: .a, breaker: nil), context: ctx(.user("alice")))
                    await runtime.drainConsumers()
                }
                await runtime.drainConsumers()
                #expect(try await runtime.clans.read("k1").state.warWins == 1)
                #expect(try await runtime.clans.read("k2").state.wars.first?.status == .lost)
                let board = try await storage.warLeaderboard(offset: 0, limit: 10)
                #expect(board.map(\.id) == ["k1"] && board.first?.wars == 1)
            }
        }
    }
}
