import DojoDomain
import Foundation
import Testing

private let director = Principal.user("boss")
private let admin = Principal.user("root", role: .admin)
private let system = Principal.system
private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

private struct Run {
    var state = Tournament.initialState(id: "t1")
    var events: [Tournament.Event] = []

    @discardableResult
    mutating func send(_ command: Tournament.Command, as principal: Principal = director, at: Timestamp = now) throws -> [Tournament.Event] {
        let events = try Tournament.decide(state, command, CommandContext(principal: principal, now: at))
        for event in events { Tournament.apply(&state, event) }
        self.events += events
        return events
    }

    func refusal(_ command: Tournament.Command, as principal: Principal = director, at: Timestamp = now) -> String? {
        do {
            _ = try Tournament.decide(state, command, CommandContext(principal: principal, now: at))
            return nil
        } catch {
            return error.code
        }
    }

    /// Completes every live match with side A winning 3–1 (or `winner` deciding), until none is left.
    mutating func playAll(winner: (Tournament.Assignment) -> String = { $0.playerA }) throws {
        while let assignment = state.assignments.first(where: \.live) {
            let won = winner(assignment)
            try send(
                .matchEnded(
                    matchID: assignment.matchID,
                    winnerID: won,
                    scoreA: won == assignment.playerA ? 3 : 1,
                    scoreB: won == assignment.playerA ? 1 : 3
                ),
                as: system
            )
        }
    }
}

private func terms(
    _ format: Bracket.Format = .doubleElimination,
    tables: [String] = ["t-1", "t-2", "t-3"],
    fee: Int64 = 0,
    split: [Int] = [],
    checkIn: Int = 0,
    seeding: Tournament.Seeding = .manual
) -> Tournament.Terms {
    Tournament.Terms(
        name: "Friday 8-ball",
        venueID: "v1",
        format: format,
        raceTo: 3,
        finalRaceTo: 5,
        maxParticipants: 8,
        entryFee: fee,
        prizeSplit: split,
        checkInMinutes: checkIn,
        seeding: seeding,
        tables: tables
    )
}

private func started(_ terms: Tournament.Terms = terms(), players: Int = 8) throws -> Run {
    var run = Run()
    try run.send(.create(terms, staff: true))
    for index in 1...players { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
    try run.send(.start(order: nil, ratings: [:], randomSeed: 42, staff: false))
    return run
}

@Suite("Tournament")
struct TournamentTests {
    @Test("an 8-player double elimination on 3 tables runs to its champion: tables reused as they free up")
    func doubleEliminationOnThreeTables() throws {
        var run = try started()
        #expect(run.state.status == .live)
        // 4 first-round matches, 3 tables: three go on, one waits.
        #expect(run.state.assignments.filter(\.live).map(\.tableID) == ["t-1", "t-2", "t-3"])
        let first = run.state.assignments[0]
        #expect(first.matchID == "t1-m0" && first.raceTo == 3 && first.playerA == "p1" && first.playerB == "p8")
        // The first result frees t-1; the waiting match takes it in the same decision.
        let events = try run.send(.matchEnded(matchID: "t1-m0", winnerID: "p1", scoreA: 3, scoreB: 0), as: system)
        #expect(events.count == 2)
        guard case .matchAssigned(let next, _) = events[1] else {
            Issue.record("no next match")
            return
        }
        #expect(next.tableID == "t-1" && next.slot == 3)
        // A repeated report of the same match changes nothing.
        #expect(try run.send(.matchEnded(matchID: "t1-m0", winnerID: "p1", scoreA: 3, scoreB: 0), as: system).isEmpty)
        try run.playAll()
        #expect(run.state.status == .completed)
        #expect(run.state.placings?.first == ["p1"])
        // Never more live matches than tables, and every slot's match created once.
        let matchIDs = run.state.assignments.map(\.matchID)
        #expect(Set(matchIDs).count == matchIDs.count)
        #expect(matchIDs.count == 14)  // 2n - 2: the winners' champion won the grand final
        let final = try #require(run.state.assignments.last)
        #expect(final.raceTo == 5)
    }

    @Test("replaying the events gives the live state")
    func replay() throws {
        var run = try started()
        try run.playAll { $0.playerB }
        #expect(Tournament.replay(run.events, from: Tournament.initialState(id: "t1")) == run.state)
    }

    @Test("every format, 2–24 players, random results and prize splits: one champion, prizes within the pot, replay equals live")
    func property() throws {
        var random = SplitMix64(seed: 17)
        for format in Bracket.Format.allCases {
            for n in 2...24 {
                let places = Int(random.next() % 17)
                let split = (0..<places).map { _ in Int(random.next() % UInt64(10_000 / max(places, 1) + 1)) }
                var t = terms(format, tables: n % 3 == 0 ? [] : ["t-1", "t-2"], fee: 7, split: split)
                t.maxParticipants = 64
                var run = Run()
                try run.send(.create(t, staff: true))
                for index in 1...n {
                    try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)"))
                    try run.send(.entryResult(userID: "p\(index)", attempt: 1, paid: true), as: system)
                }
                try run.send(.start(order: nil, ratings: [:], randomSeed: random.next(), staff: false))
                #expect(run.state.pot == Int64(7 * n))
                var guardCount = 0
                while run.state.status == .live, guardCount < 10_000 {
                    guardCount += 1
                    let live = run.state.assignments.filter(\.live)
                    let pick = live[Int(random.next() % UInt64(live.count))]
                    let winner = random.next().isMultiple(of: 2) ? pick.playerA : pick.playerB
                    if random.next() % 20 == 0 {
                        try run.send(.matchEnded(matchID: pick.matchID, winnerID: nil, scoreA: 0, scoreB: 0), as: system)
                    } else {
                        try run.send(
                            .matchEnded(
                                matchID: pick.matchID,
                                winnerID: winner,
                                scoreA: winner == pick.playerA ? 3 : 1,
                                scoreB: winner == pick.playerA ? 1 : 3
                            ),
                            as: system
                        )
                    }
                    #expect(run.state.assignments.filter(\.live).count <= (t.tables.isEmpty ? Int.max : t.tables.count))
                }
                #expect(run.state.status == .completed, "\(format) \(n)")
                #expect(run.state.placings?.flatMap { $0 }.count == n)
                #expect(run.state.prizes.reduce(0) { $0 + $1.amount } <= run.state.pot)
                #expect(Tournament.replay(run.events, from: Tournament.initialState(id: "t1")) == run.state)
            }
        }
    }

    @Test("tables the venue has taken (another match, maintenance) are skipped until they free up")
    func venueTables() throws {
        var run = Run()
        try run.send(.create(terms(.singleElimination, tables: ["t-1", "t-2"]), staff: true))
        for index in 1...4 { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
        try run.send(.tablesChanged(unavailable: ["t-1", "elsewhere"]), as: system)
        #expect(run.state.unavailableTables == ["t-1"])
        try run.send(.start(order: nil, ratings: [:], randomSeed: 0, staff: false))
        #expect(run.state.assignments.map(\.tableID) == ["t-2"])
        // The same news again changes nothing; t-1 freed: the waiting match takes it.
        #expect(try run.send(.tablesChanged(unavailable: ["t-1"]), as: system).isEmpty)
        let freed = try run.send(.tablesChanged(unavailable: []), as: system)
        guard case .matchAssigned(let assignment, _) = freed.last else {
            Issue.record("no match for the freed table: \(freed)")
            return
        }
        #expect(assignment.tableID == "t-1" && assignment.slot == 1)
        #expect(run.refusal(.tablesChanged(unavailable: []), as: director) == "forbidden")
    }

    @Test("a cancelled match is replaced by a new one for the same slot")
    func replacedMatch() throws {
        var run = try started()
        try run.send(.matchEnded(matchID: "t1-m0", winnerID: nil, scoreA: 0, scoreB: 0), as: system)
        let replacement = try #require(run.state.assignments.last)
        #expect(replacement.slot == 0 && replacement.matchID == "t1-m0-2" && replacement.tableID == "t-1")
    }

    @Test("the director overrides a result until the next match from it exists, not after")
    func override() throws {
        var run = try started(terms(.singleElimination, tables: []))
        try run.send(.matchEnded(matchID: "t1-m0", winnerID: "p1", scoreA: 3, scoreB: 1), as: system)
        // p1 v p8's winner meets the winner of p4 v p5, not decided yet: the override is allowed.
        let overridden = try run.send(.report(slot: 0, winnerID: "p8", scoreA: 2, scoreB: 3, staff: false))
        guard case .resultRecorded(_, _, "p8", _, _, false, "boss", true, _) = overridden[0] else {
            Issue.record("not an override: \(overridden)")
            return
        }
        try run.send(.matchEnded(matchID: "t1-m1", winnerID: "p4", scoreA: 3, scoreB: 1), as: system)
        // Now p8 v p4 has its match: slot 0 is locked.
        #expect(run.refusal(.report(slot: 0, winnerID: "p1", scoreA: 3, scoreB: 2, staff: false)) == "tournament.result_locked")
        #expect(run.refusal(.report(slot: 0, winnerID: "p1", scoreA: 3, scoreB: 2, staff: false), as: .user("p1")) == "forbidden")
        #expect(run.refusal(.report(slot: 4, winnerID: "p1", scoreA: 3, scoreB: 2, staff: false)) == "tournament.wrong_winner")
        #expect(run.refusal(.report(slot: 4, winnerID: "p8", scoreA: 1, scoreB: 3, staff: false)) == "tournament.invalid_score")
        #expect(run.refusal(.report(slot: 99, winnerID: "p8", scoreA: 3, scoreB: 1, staff: false)) == "tournament.unknown_slot")
    }

    @Test("a disqualified player loses every match still to decide by walkover")
    func disqualification() throws {
        var run = try started(terms(.singleElimination, tables: []))
        let events = try run.send(.disqualify(userID: "p8", staff: false))
        #expect(events.contains { if case .resultRecorded(0, .a, "p1", 0, 0, true, nil, false, _) = $0 { true } else { false } })
        #expect(run.state.bracket?.results[0]?.walkover == true)
        try run.playAll()
        #expect(run.state.status == .completed)
    }

    @Test("entry fees: paid, failed, returned after leaving; prizes shared by place")
    func entryFees() throws {
        var run = Run()
        try run.send(.create(terms(.singleElimination, tables: [], fee: 100, split: [5_000, 3_000, 2_000]), staff: true))
        for index in 1...4 { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
        #expect(run.state.participants.allSatisfy { !$0.paid })
        for index in 1...3 { try run.send(.entryResult(userID: "p\(index)", attempt: 1, paid: true), as: system) }
        try run.send(.entryResult(userID: "p4", attempt: 1, paid: false), as: system)
        #expect(run.state.participant("p4") == nil)
        // p3 leaves: a refund of its first registration; registering again is attempt 2.
        let left = try run.send(.unregister(userID: "p3", staff: false), as: .user("p3"))
        #expect(left == [.unregistered(userID: "p3", refund: Tournament.Refund(userID: "p3", attempt: 1), at: now)])
        try run.send(.register(userID: "p3", staff: false), as: .user("p3"))
        #expect(run.state.participant("p3")?.attempt == 2)
        try run.send(.register(userID: "p5", staff: false), as: .user("p5"))
        try run.send(.entryResult(userID: "p5", attempt: 1, paid: true), as: system)
        // p3's second fee is not paid at the start: removed; its payment arriving late goes back.
        try run.send(.start(order: ["p1", "p2", "p5"], ratings: [:], randomSeed: 1, staff: false))
        #expect(run.state.removedAtStart == ["p3"])
        #expect(
            try run.send(.entryResult(userID: "p3", attempt: 2, paid: true), as: system) == [
                .entryReturned(Tournament.Refund(userID: "p3", attempt: 2), at: now)
            ]
        )
        #expect(run.state.pot == 300)
        try run.playAll()
        // p1 (bye) beats p2's conqueror… whoever: 1st 150, 2nd 90, 3rd 60.
        #expect(run.state.prizes.map(\.amount) == [150, 90, 60])
        #expect(
            Tournament.prizes([["a"], ["b"], ["c", "d"]], pot: 1_000, split: [5_000, 3_000, 1_000, 1_000]).map(\.amount) == [500, 300, 100, 100]
        )
        #expect(Tournament.prizes([["a"], ["b"], ["c", "d"]], pot: 1_000, split: [6_000, 3_000, 1_000]).map(\.amount) == [600, 300, 50, 50])
        // More places than the split pays: the rest get nothing (and nothing traps).
        #expect(Tournament.prizes([["a"], ["b"], ["c"], ["d", "e"], ["f"]], pot: 1_000, split: [6_000, 3_000]).map(\.amount) == [600, 300])
    }

    @Test("check-in: those who did not check in are removed at the start")
    func checkIn() throws {
        var run = Run()
        var t = terms(.roundRobin, tables: [], checkIn: 30)
        t.startsAt = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + 3_600_000)
        try run.send(.create(t, staff: true))
        for index in 1...4 { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
        #expect(run.refusal(.checkIn(userID: "p1"), as: .user("p1")) == "tournament.check_in_closed")
        let window = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + 3_600_000 - 20 * 60_000)
        for index in 1...3 { try run.send(.checkIn(userID: "p\(index)"), as: .user("p\(index)"), at: window) }
        #expect(run.refusal(.checkIn(userID: "p2"), as: .user("p1"), at: window) == "forbidden")
        try run.send(.start(order: nil, ratings: [:], randomSeed: 0, staff: false), as: system, at: window)
        #expect(run.state.bracket?.seeds == ["p1", "p2", "p3"])
        #expect(run.state.removedAtStart == ["p4"])
        #expect(run.state.assignments.count == 3)  // a round robin of 3, no tables: every match at once
    }

    @Test("seeding by rating (ties by registration) and random seeding replayable from its seed")
    func seeding() throws {
        let rated = try started(terms(.singleElimination, seeding: .rating), players: 4)
        #expect(rated.state.bracket?.seeds == ["p1", "p2", "p3", "p4"])
        var run = Run()
        try run.send(.create(terms(.singleElimination, seeding: .rating), staff: true))
        for index in 1...4 { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
        try run.send(.start(order: nil, ratings: ["p3": 1_800, "p4": 1_900, "p1": 1_500], randomSeed: 0, staff: false))
        #expect(run.state.bracket?.seeds == ["p4", "p3", "p1", "p2"])
        let a = try started(terms(.singleElimination, seeding: .random), players: 8)
        let b = try started(terms(.singleElimination, seeding: .random), players: 8)
        #expect(a.state.bracket?.seeds == b.state.bracket?.seeds)
        #expect(a.state.randomSeed == 42)
        #expect(a.state.bracket?.seeds != (1...8).map { "p\($0)" })
    }

    @Test("the start timer with fewer than two players cancels; a late timer does nothing")
    func timerStart() throws {
        var run = Run()
        try run.send(.create(terms(), staff: true))
        try run.send(.register(userID: "p1", staff: false), as: .user("p1"))
        #expect(run.refusal(.start(order: nil, ratings: [:], randomSeed: 0, staff: false)) == "tournament.too_few_players")
        try run.send(.start(order: nil, ratings: [:], randomSeed: 0, staff: false), as: system)
        #expect(run.state.status == .cancelled)
        #expect(try run.send(.start(order: nil, ratings: [:], randomSeed: 0, staff: false), as: system).isEmpty)
    }

    @Test("cancel refunds the paid entries and ends the live matches")
    func cancel() throws {
        var run = try started(terms(.singleElimination, tables: ["t-1"]), players: 4)
        let events = try run.send(.cancel(reason: "power cut", staff: false))
        #expect(events == [.cancelled(reason: "power cut", refunds: [], liveMatches: ["t1-m0"], at: now)])
        #expect(run.refusal(.cancel(reason: nil, staff: false)) == "tournament.finished")
        var other = try started(terms(.singleElimination), players: 4)
        #expect(other.refusal(.cancel(reason: "bad\nline", staff: false)) == "tournament.invalid_reason")
        #expect(other.refusal(.cancel(reason: "", staff: false)) == "tournament.invalid_reason")
        try other.send(.cancel(reason: nil, staff: false))
    }

    @Test("permissions and bad input")
    func refusals() throws {
        var run = Run()
        #expect(run.refusal(.create(terms(), staff: false), as: .user("u")) == "forbidden")
        var noVenue = terms(tables: [])
        noVenue.venueID = nil
        #expect(run.refusal(.create(noVenue, staff: true)) == "forbidden")
        #expect(run.refusal(.create(noVenue, staff: false), as: admin) == nil)
        var bad = terms()
        bad.name = " "
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_name")
        bad = terms()
        bad.maxParticipants = 1
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_max_participants")
        bad = terms(split: [6_000, 6_000])
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_prize_split")
        // Shares that would overflow the sum are refused, not summed.
        bad = terms(split: [Int.max, 1])
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_prize_split")
        bad = terms(split: [-1, Int.min])
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_prize_split")
        bad = terms()
        bad.name = "Cup\u{0007}"
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_name")
        bad = terms()
        bad.rewards = .array(Array(repeating: .string(String(repeating: "x", count: 100)), count: 100))
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_rewards")
        bad = terms()
        bad.startsAt = now
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_start")
        bad.startsAt = Timestamp(millisecondsSince1970: .max)
        #expect(run.refusal(.create(bad, staff: true)) == "tournament.invalid_start")
        #expect(
            Run(state: Tournament.initialState(id: String(repeating: "t", count: 60))).refusal(.create(terms(), staff: true))
                == "tournament.invalid_id"
        )
        #expect(run.refusal(.register(userID: "p1", staff: false), as: .user("p1")) == "tournament.not_found")
        try run.send(.create(terms(), staff: true))
        #expect(run.refusal(.register(userID: "p2", staff: false), as: .user("p1")) == "forbidden")
        #expect(run.refusal(.register(userID: "p2", staff: true), as: .user("p1")) == nil)
        try run.send(.register(userID: "p1", staff: false), as: .user("p1"))
        #expect(run.refusal(.register(userID: "p1", staff: false), as: .user("p1")) == "tournament.already_registered")
        for index in 2...8 { try run.send(.register(userID: "p\(index)", staff: false), as: .user("p\(index)")) }
        #expect(run.refusal(.register(userID: "p9", staff: false), as: .user("p9")) == "tournament.full")
        #expect(run.refusal(.start(order: ["p1"], ratings: [:], randomSeed: 0, staff: false)) == "tournament.invalid_order")
        #expect(run.refusal(.start(order: nil, ratings: [:], randomSeed: 0, staff: false), as: .user("p1")) == "forbidden")
        #expect(run.refusal(.matchEnded(matchID: "x", winnerID: nil, scoreA: 0, scoreB: 0), as: director) == "forbidden")
        try run.send(.start(order: nil, ratings: [:], randomSeed: 0, staff: false))
        #expect(run.refusal(.register(userID: "p9", staff: false), as: .user("p9")) == "tournament.not_upcoming")
        #expect(run.refusal(.unregister(userID: "p1", staff: false), as: .user("p1")) == "tournament.not_upcoming")
        #expect(run.refusal(.disqualify(userID: "p9", staff: false)) == "tournament.not_a_player")
    }

    @Test("command bodies: every type, a missing field, an unknown type")
    func bodies() throws {
        func body(_ json: String) throws -> TournamentCommandBody { try JSONDecoder().decode(TournamentCommandBody.self, from: Data(json.utf8)) }
        let create = try body(#"{"type":"create","name":"Cup","format":"round_robin","rewards":{"trophy":"gold","points":[3,1]}}"#)
        guard case .create(let t, false) = try create.command(sender: "boss") else {
            Issue.record("not a create")
            return
        }
        #expect(t.format == .roundRobin && t.rewards == .object(["trophy": .string("gold"), "points": .array([.number(3), .number(1)])]))
        #expect(try body(#"{"type":"register"}"#).command(sender: "u1") == .register(userID: "u1", staff: false))
        #expect(
            try body(#"{"type":"report","slot":1,"winnerId":"a","scoreA":3,"scoreB":1}"#).command(sender: "u1")
                == .report(slot: 1, winnerID: "a", scoreA: 3, scoreB: 1, staff: false)
        )
        do {
            _ = try body(#"{"type":"report","slot":1}"#).command(sender: nil)
            Issue.record("a report without a winner")
        } catch { #expect((error as? DomainError)?.code == "invalid_command") }
        do {
            _ = try body(#"{"type":"explode"}"#).command(sender: nil)
            Issue.record("an unknown type")
        } catch { #expect((error as? DomainError)?.code == "invalid_command") }
        #expect(throws: (any Error).self) { try body(#"{"type":"create","name":"x","format":"swiss"}"#) }
    }

    @Test("events round-trip through their JSON")
    func eventJSON() throws {
        var run = try started(terms(.doubleElimination, fee: 0))
        try run.playAll()
        for event in run.events {
            var writer = JSONWriter()
            event.writeJSON(to: &writer)
            #expect(try JSONDecoder().decode(Tournament.Event.self, from: Data(writer.bytes)) == event)
        }
    }
}
