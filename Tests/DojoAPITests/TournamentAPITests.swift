import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

extension GatewayHarness {
    /// Venue v1 (alice's) with tables t1, t2, t3.
    func venueWithThreeTables() async throws {
        try await venueWithTables()
        _ = try await rest("/v1/venues/v1/tables", as: "alice", #"{"id":"t3","name":"Three"}"#)
    }

    /// The tournament's view.
    func tournament(_ id: String) async throws -> [String: Any] {
        await server.runtime.drainConsumers()
        let (status, body) = try await call(.get, "/v1/tournaments/\(id)", as: "alice")
        #expect(status == .ok, "\(body)")
        return body["tournament"] as? [String: Any] ?? [:]
    }

    /// Plays every live match of the tournament through the match's REST commands (as its scorer):
    /// start, then racks for `winner` (A when nil) up to the race. Returns how many were played.
    func playLiveMatches(_ id: String, scorer: String = "alice", winner: (String, String) -> String = { _, _ in "A" }) async throws -> Int {
        let view = try await tournament(id)
        let rounds = (view["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]] ?? []
        var played = 0
        for slot in rounds.flatMap({ $0["slots"] as? [[String: Any]] ?? [] }) where slot["status"] as? String == "live" {
            let match = try #require(slot["matchId"] as? String)
            let race = try #require(slot["raceTo"] as? Int)
            let side = winner(slot["playerA"] as? String ?? "", slot["playerB"] as? String ?? "")
            let (started, body) = try await call(.post, "/v1/matches/\(match)/commands", as: scorer, ["type": "start"])
            #expect(started == .ok, "\(body)")
            for _ in 0..<race {
                let (status, body) = try await call(.post, "/v1/matches/\(match)/commands", as: scorer, ["type": "recordRack", "winner": side])
                #expect(status == .ok, "\(body)")
            }
            played += 1
        }
        return played
    }
}

@Suite("Tournaments through the real server")
struct TournamentAPITests {
    @Test(
        "an 8-player double elimination at a venue with 3 tables: entry fees, the bracket advancing by itself, tables as they free up, spectators following every step in order, prizes paid"
    )
    func doubleElimination() async throws {
        try await withGateway { h in
            let players = (1...8).map { "p\($0)" }
            try await seedUsers(players, in: h.server.storage)
            try await h.venueWithThreeTables()
            for player in players { try await h.grant(player, 100) }
            let spectator = try await h.socket()
            let (created, body) = try await h.call(
                .post,
                "/v1/tournaments",
                as: "alice",
                [
                    "id": "fri", "name": "Friday 8-ball", "venueId": "v1", "format": "double_elimination", "raceTo": 2, "finalRaceTo": 3,
                    "maxParticipants": 8, "entryFee": 50, "prizeSplit": [6_000, 3_000, 1_000], "seeding": "manual",
                    "rewards": ["trophy": "Friday cup"],
                ]
            )
            #expect(created == .created, "\(body)")
            let view = body["tournament"] as? [String: Any]
            #expect(view?["status"] as? String == "UPCOMING" && view?["tables"] as? [String] == ["t1", "t2", "t3"])
            _ = try await h.subscribe(spectator, "tournament:fri")
            for player in players {
                let (status, body) = try await h.call(.post, "/v1/tournaments/fri/registrations", as: player, [:])
                #expect(status == .created, "\(body)")
            }
            // The fees are collected by the ledger's saga.
            var tournament = try await h.tournament("fri")
            #expect((tournament["participants"] as? [[String: Any]])?.allSatisfy { $0["paid"] as? Bool == true } == true, "\(tournament)")
            #expect(try await h.balance("p1").available == 50)
            // Only the director starts it.
            #expect(try await h.call(.post, "/v1/tournaments/fri/start", as: "p1", [:]).0 == .forbidden)
            let (started, startBody) = try await h.call(.post, "/v1/tournaments/fri/start", as: "alice", ["order": players])
            #expect(started == .ok, "\(startBody)")

            var matches = 0
            var rounds = 0
            while true {
                tournament = try await h.tournament("fri")
                if tournament["status"] as? String == "COMPLETED" { break }
                let slots = ((tournament["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]] ?? []).flatMap {
                    $0["slots"] as? [[String: Any]] ?? []
                }
                let live = slots.filter { $0["status"] as? String == "live" }
                #expect(live.count <= 3 && !live.isEmpty, "\(slots)")
                #expect(Set(live.compactMap { $0["tableId"] as? String }).isSubset(of: ["t1", "t2", "t3"]))
                // The lower-numbered player wins every match: p1 wins without a loss.
                matches += try await h.playLiveMatches("fri") { a, b in Int(a.dropFirst())! < Int(b.dropFirst())! ? "A" : "B" }
                rounds += 1
                try #require(rounds < 30)
            }
            #expect(matches == 14)
            #expect(tournament["champion"] as? String == "p1")
            let placings = tournament["placings"] as? [[String]]
            #expect(placings?.prefix(3) == [["p1"], ["p2"], ["p3"]])
            // Pot 400: 240, 120, 40; the house keeps nothing (the split sums to 100 %).
            #expect(try await h.balance("p1").available == 50 + 240)
            #expect(try await h.balance("p2").available == 50 + 120)
            #expect(try await h.balance("p3").available == 50 + 40)
            #expect(try await h.balance("p8").available == 50)

            // The spectator saw every event of the tournament, in order, without a gap.
            var seqs: [Int] = []
            var types: [String] = []
            while let message = try? await spectator.next(type: "event", timeout: .seconds(2)) {
                seqs.append(message["seq"] as? Int ?? -1)
                types.append(message["eventType"] as? String ?? "")
                if message["eventType"] as? String == "tournament.completed" { break }
            }
            #expect(!seqs.isEmpty && zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(seqs) \(types)")
            #expect(types.filter { $0 == "tournament.result_recorded" }.count == 14)
            #expect(types.last == "tournament.completed")

            // The records: the tournament, its participants with their seeds, its matches.
            let (status, seeds, count) = try await h.server.storage.withSQL { db in
                let status = try await db.select().column("status").from("tournaments").where("id", .equal, "fri").first()?
                    .decode(column: "status", as: String.self)
                let seeds = try await db.select().column("seed").from("tournament_participants").where("tournament_id", .equal, "fri").all()
                    .map { try $0.decode(column: "seed", as: Int?.self) }
                let count = try await db.select().column("id").from("matches").where("tournament_id", .equal, "fri").all().count
                return (status, seeds, count)
            }
            #expect(status == "COMPLETED" && seeds.compactMap { $0 }.sorted() == Array(1...8) && count == 14)
            let (listed, list) = try await h.call(.get, "/v1/tournaments?venueId=v1&status=COMPLETED", as: "bob")
            #expect(listed == .ok && (list["tournaments"] as? [[String: Any]])?.first?["id"] as? String == "fri")
        }
    }

    @Test("a walk-in match on a table keeps the tournament off it until it ends; then the waiting match takes it")
    func walkInTable() async throws {
        try await withGateway { h in
            try await seedUsers(["p1", "p2", "p3", "p4"], in: h.server.storage)
            try await h.venueWithTables()
            // A walk-in match live on t1.
            _ = try await h.rest(
                "/v1/matches",
                as: "alice",
                #"{"id":"walkin","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":1,"venueId":"v1","tableId":"t1"}"#
            )
            _ = try await h.rest("/v1/matches/walkin/start", as: "alice")
            let (created, body) = try await h.call(
                .post,
                "/v1/tournaments",
                as: "alice",
                ["id": "wk", "name": "Walk-ins", "venueId": "v1", "format": "single_elimination", "raceTo": 1, "seeding": "manual"]
            )
            #expect(created == .created, "\(body)")
            for player in ["p1", "p2", "p3", "p4"] { _ = try await h.call(.post, "/v1/tournaments/wk/registrations", as: player, [:]) }
            await h.server.runtime.drainConsumers()
            #expect(try await h.call(.post, "/v1/tournaments/wk/start", as: "alice", [:]).0 == .ok)
            var tournament = try await h.tournament("wk")
            var slots = ((tournament["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]])?.first?["slots"] as? [[String: Any]] ?? []
            #expect(slots.map { $0["status"] as? String ?? "" } == ["live", "queued"], "\(slots)")
            #expect(slots.first?["tableId"] as? String == "t2" && tournament["unavailableTables"] as? [String] == ["t1"])
            // The walk-in ends: t1 is released, the venue tells the tournament, the queued match goes there.
            _ = try await h.rest("/v1/matches/walkin/racks", as: "alice", #"{"winner":"A"}"#)
            await h.server.runtime.drainConsumers()
            tournament = try await h.tournament("wk")
            slots = ((tournament["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]])?.first?["slots"] as? [[String: Any]] ?? []
            #expect(slots.map { $0["status"] as? String ?? "" } == ["live", "live"], "\(slots)")
            #expect(slots.last?["tableId"] as? String == "t1")
        }
    }

    @Test("a start time starts it by itself; a cancellation refunds the fees and stops its matches")
    func timerAndCancel() async throws {
        try await withGateway { h in
            try await seedUsers(["p1", "p2", "p3"], in: h.server.storage)
            try await h.venueWithThreeTables()
            for player in ["p1", "p2", "p3"] { try await h.grant(player, 100) }
            let startsAt = Int(Date().timeIntervalSince1970 * 1000) + 60_000
            let (created, body) = try await h.call(
                .post,
                "/v1/tournaments",
                as: "alice",
                ["id": "sat", "name": "Saturday", "venueId": "v1", "format": "round_robin", "entryFee": 10, "startsAt": startsAt, "tables": ["t1"]]
            )
            #expect(created == .created, "\(body)")
            for player in ["p1", "p2", "p3"] { _ = try await h.call(.post, "/v1/tournaments/sat/registrations", as: player, [:]) }
            await h.server.runtime.drainConsumers()
            #expect(await h.server.runtime.fireDueTimers(now: Date().addingTimeInterval(120)) == 1)
            var tournament = try await h.tournament("sat")
            #expect(tournament["status"] as? String == "LIVE")
            let live = try await h.server.storage.withSQL { db in
                try await db.select().column("id").from("matches").where("tournament_id", .equal, "sat").all().count
            }
            #expect(live == 1)  // one table: one match at a time
            let (cancelled, cancelBody) = try await h.call(.post, "/v1/tournaments/sat/cancel", as: "alice", ["reason": "flooded"])
            #expect(cancelled == .ok, "\(cancelBody)")
            tournament = try await h.tournament("sat")
            #expect(tournament["status"] as? String == "CANCELLED")
            for player in ["p1", "p2", "p3"] { #expect(try await h.balance(player).available == 100) }
            let match = try #require(((tournament["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]])?.first?["slots"] as? [[String: Any]])
            let matchID = try #require(match.first?["matchId"] as? String)
            let (_, matchBody) = try await h.call(.get, "/v1/matches/\(matchID)", as: "alice")
            #expect((matchBody["match"] as? [String: Any])?["status"] as? String == "CANCELLED")
        }
    }

    @Test("permissions and bad input: who creates, who directs, unknown venues and tables, malformed bodies")
    func refusals() async throws {
        try await withGateway { h in
            try await h.venueWithThreeTables()
            let base: [String: Any] = ["name": "Cup", "venueId": "v1", "format": "single_elimination"]
            #expect(code(try await h.call(.post, "/v1/tournaments", as: "bob", base).1) == "forbidden")
            #expect(
                code(try await h.call(.post, "/v1/tournaments", as: "bob", base.merging(["venueId": "nowhere"]) { $1 }).1)
                    == "tournament.unknown_venue"
            )
            #expect(
                code(try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["tables": ["t9"]]) { $1 }).1) == "tournament.unknown_table"
            )
            #expect(try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["format": "swiss"]) { $1 }).0 == .badRequest)
            #expect(
                code(try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["maxParticipants": 10_000]) { $1 }).1)
                    == "tournament.invalid_max_participants"
            )
            #expect(code(try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["name": ""]) { $1 }).1) == "tournament.invalid_name")
            #expect(code(try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["id": "bad id"]) { $1 }).1) == "tournament.invalid_id")
            let (created, _) = try await h.call(.post, "/v1/tournaments", as: "alice", base.merging(["id": "cup"]) { $1 })
            #expect(created == .created)
            #expect(code(try await h.call(.post, "/v1/tournaments/cup/registrations", as: "bob", ["userId": "carol"]).1) == "forbidden")
            #expect(
                code(try await h.call(.post, "/v1/tournaments/cup/registrations", as: "alice", ["userId": "ghost"]).1) == "tournament.unknown_user"
            )
            #expect(try await h.call(.post, "/v1/tournaments/cup/registrations", as: "bob", [:]).0 == .created)
            #expect(code(try await h.call(.post, "/v1/tournaments/cup/start", as: "alice", [:]).1) == "tournament.too_few_players")
            #expect(code(try await h.call(.post, "/v1/tournaments/cup/cancel", as: "bob", [:]).1) == "forbidden")
            #expect(code(try await h.call(.post, "/v1/tournaments/nope/start", as: "alice", [:]).1) == "tournament.not_found")
            #expect(try await h.call(.delete, "/v1/tournaments/cup/registrations/bob", as: "bob").0 == .ok)
            // The generic command route and the socket take the same bodies.
            let (unknown, body) = try await h.call(.post, "/v1/tournaments/cup/commands", as: "alice", ["type": "explode"])
            #expect(unknown.code == 422 && code(body) == "invalid_command")
        }
    }
}
