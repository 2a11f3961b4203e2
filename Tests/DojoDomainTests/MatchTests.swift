import DojoDomain
import DojoTesting
import Foundation
import Testing

private let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)
private let alice = Principal.user("alice")
private let bob = Principal.user("bob")
private let carol = Principal.user("carol")
private let admin = Principal.user("root", role: .admin)
private let terms = Match.Terms(playerA: "alice", playerB: "bob", gameType: .nineBall, raceTo: 2, venueID: "hall", tableID: "t1")

private func ctx(_ principal: Principal, _ offset: Int64 = 0) -> CommandContext {
    CommandContext(principal: principal, now: Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + offset))
}

/// Runs commands from the initial state, applying what each decides; returns the state and every event.
private func run(_ commands: [(Match.Command, Principal)]) throws -> (Match.State, [Match.Event]) {
    var state = Match.initialState(id: "m1")
    var all: [Match.Event] = []
    for (index, (command, principal)) in commands.enumerated() {
        let events = try Match.decide(state, command, ctx(principal, Int64(index)))
        for event in events { Match.apply(&state, event) }
        all += events
    }
    return (state, all)
}

/// A legal break (the 1 first, four balls to a rail) and, after it, a legal miss.
private let miss = Referee.Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4)
private let scheduled: [(Match.Command, Principal)] = [(.create(terms), alice)]
private let live = scheduled + [(.start, alice)]
private let completed = live + [(.recordRack(winner: .a, breaker: nil), alice), (.recordRack(winner: .a, breaker: nil), alice)]
private let cancelled = scheduled + [(.cancel(reason: "rain"), bob)]

@Suite("Match: decide and apply")
struct MatchTests {
    struct Illegal: CustomTestStringConvertible, Sendable {
        var name: String
        var before: [(Match.Command, Principal)]
        var command: Match.Command
        var principal: Principal
        var code: String
        var kind: DomainError.Kind
        var testDescription: String { name }
    }

    static let illegal: [Illegal] = [
        Illegal(name: "any command before create", before: [], command: .start, principal: alice, code: "match.not_found", kind: .notFound),
        Illegal(name: "create twice", before: scheduled, command: .create(terms), principal: alice, code: "match.already_exists", kind: .conflict),
        Illegal(
            name: "race of 0",
            before: [],
            command: .create(.init(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 0)),
            principal: alice,
            code: "match.invalid_race",
            kind: .invalid
        ),
        Illegal(
            name: "race of 100",
            before: [],
            command: .create(.init(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 100)),
            principal: alice,
            code: "match.invalid_race",
            kind: .invalid
        ),
        Illegal(
            name: "same players",
            before: [],
            command: .create(.init(playerA: "alice", playerB: "alice", gameType: .eightBall, raceTo: 3)),
            principal: alice,
            code: "match.same_players",
            kind: .invalid
        ),
        Illegal(
            name: "malformed player id",
            before: [],
            command: .create(.init(playerA: "al ice", playerB: "bob", gameType: .eightBall, raceTo: 3)),
            principal: admin,
            code: "match.invalid_id",
            kind: .invalid
        ),
        Illegal(
            name: "table without venue",
            before: [],
            command: .create(.init(playerA: "alice", playerB: "bob", gameType: .eightBall, raceTo: 3, tableID: "t1")),
            principal: alice,
            code: "match.table_without_venue",
            kind: .invalid
        ),
        Illegal(name: "created by a stranger", before: [], command: .create(terms), principal: carol, code: "forbidden", kind: .forbidden),
        Illegal(name: "start by a non-scorer", before: scheduled, command: .start, principal: bob, code: "match.not_scorer", kind: .forbidden),
        Illegal(name: "start twice", before: live, command: .start, principal: alice, code: "match.already_started", kind: .conflict),
        Illegal(
            name: "rack before start",
            before: scheduled,
            command: .recordRack(winner: .a, breaker: nil),
            principal: alice,
            code: "match.not_live",
            kind: .conflict
        ),
        Illegal(
            name: "rack by a non-scorer",
            before: live,
            command: .recordRack(winner: .a, breaker: nil),
            principal: bob,
            code: "match.not_scorer",
            kind: .forbidden
        ),
        Illegal(
            name: "rack in a completed match",
            before: completed,
            command: .recordRack(winner: .b, breaker: nil),
            principal: alice,
            code: "match.finished",
            kind: .conflict
        ),
        Illegal(
            name: "shot in a completed match",
            before: completed,
            command: .shot(miss, source: .scorer),
            principal: alice,
            code: "match.finished",
            kind: .conflict
        ),
        Illegal(
            name: "shot before the start",
            before: scheduled,
            command: .shot(miss, source: .scorer),
            principal: alice,
            code: "match.not_live",
            kind: .conflict
        ),
        Illegal(
            name: "shot by a non-scorer",
            before: live,
            command: .shot(miss, source: .scorer),
            principal: bob,
            code: "match.not_scorer",
            kind: .forbidden
        ),
        Illegal(
            name: "shot pocketing ball 16",
            before: live,
            command: .shot(Referee.Shot(firstContact: 1, pocketed: [.init(ball: 16, pocket: 1)]), source: .scorer),
            principal: alice,
            code: "referee.ball_not_on_table",
            kind: .invalid
        ),
        Illegal(
            name: "shot pocketing a ball twice",
            before: live,
            command: .shot(Referee.Shot(firstContact: 1, pocketed: [.init(ball: 3, pocket: 1), .init(ball: 3, pocket: 2)]), source: .scorer),
            principal: alice,
            code: "referee.duplicate_ball",
            kind: .invalid
        ),
        Illegal(
            name: "second rack start",
            before: live + [(.startRack(breaker: nil), alice)],
            command: .startRack(breaker: .b),
            principal: alice,
            code: "match.rack_in_progress",
            kind: .conflict
        ),
        Illegal(name: "empty commentary", before: live, command: .commentary(""), principal: alice, code: "match.invalid_text", kind: .invalid),
        Illegal(
            name: "overlong commentary",
            before: live,
            command: .commentary(String(repeating: "x", count: 281)),
            principal: alice,
            code: "match.invalid_text",
            kind: .invalid
        ),
        Illegal(
            name: "end a scheduled match",
            before: scheduled,
            command: .end(winner: .a, reason: nil),
            principal: alice,
            code: "match.not_live",
            kind: .conflict
        ),
        Illegal(
            name: "cancel a completed match",
            before: completed,
            command: .cancel(reason: nil),
            principal: admin,
            code: "match.finished",
            kind: .conflict
        ),
        Illegal(
            name: "cancel a cancelled match",
            before: cancelled,
            command: .cancel(reason: nil),
            principal: alice,
            code: "match.finished",
            kind: .conflict
        ),
        Illegal(
            name: "a player cancels a live match",
            before: live,
            command: .cancel(reason: nil),
            principal: bob,
            code: "forbidden",
            kind: .forbidden
        ),
        Illegal(name: "a stranger cancels", before: scheduled, command: .cancel(reason: nil), principal: carol, code: "forbidden", kind: .forbidden),
    ]

    @Test("a move: only the venue's staff (or an admin), only at a venue, not once finished; the reaction transfers the table once")
    func moveTable() throws {
        var state = Match.initialState(id: "m1")
        for event in try Match.decide(state, .create(terms), CommandContext(principal: alice, now: t0)) { Match.apply(&state, event) }
        for event in try Match.decide(state, .start, CommandContext(principal: alice, now: t0)) { Match.apply(&state, event) }
        #expect(throws: DomainError.self) { try Match.decide(state, .moveTable(tableID: "t2"), CommandContext(principal: alice, now: t0)) }
        let events = try Match.decide(state, .moveTable(tableID: "t2", venueAdmin: true), CommandContext(principal: carol, now: t0))
        #expect(events == [.tableMoved(from: "t1", to: "t2", at: t0)])
        #expect(try Match.decide(state, .moveTable(tableID: "t1", venueAdmin: true), CommandContext(principal: carol, now: t0)).isEmpty)
        #expect(throws: DomainError.self) {
            try Match.decide(state, .moveTable(tableID: "bad id", venueAdmin: true), CommandContext(principal: carol, now: t0))
        }
        Match.apply(&state, events[0])
        #expect(state.tableID == "t2")
        #expect(
            Reactions.onMatchEvent(events[0], state: state) == [
                Reactions.VenueCommand(venueID: "hall", command: .transferMatch(matchID: "m1", from: "t1", to: "t2"))
            ]
        )
        #expect(try Match.decide(state, .moveTable(tableID: "t3"), CommandContext(principal: admin, now: t0)).count == 1)
        for event in try Match.decide(state, .cancel(reason: nil, venueAdmin: true), CommandContext(principal: carol, now: t0)) {
            Match.apply(&state, event)
        }
        #expect(throws: DomainError.self) {
            try Match.decide(state, .moveTable(tableID: "t3", venueAdmin: true), CommandContext(principal: carol, now: t0))
        }
    }

    @Test("an illegal command gets a typed error", arguments: illegal)
    func illegalCommand(_ case_: Illegal) throws {
        let (state, _) = try run(case_.before)
        #expect {
            _ = try Match.decide(state, case_.command, ctx(case_.principal, 99))
        } throws: { error in
            guard let error = error as? DomainError else { return false }
            return error.code == case_.code && error.kind == case_.kind
        }
    }

    @Test("create: the creator is the scorer unless one is named")
    func create() throws {
        let (state, events) = try run(scheduled)
        #expect(events == [.created(terms: terms, scorer: "alice", createdBy: "alice", at: t0)])
        #expect(state.exists && state.status == .scheduled && state.scorer == "alice" && state.raceTo == 2)
        #expect(events.map(\.seedType) == [.system])

        var named = terms
        named.scorer = "carol"
        let events2 = try Match.decide(Match.initialState(id: "m2"), .create(named), ctx(admin))
        #expect(events2 == [.created(terms: named, scorer: "carol", createdBy: "root", at: t0)])
    }

    @Test("start, a rack recorded in one step, a rack started then ended, the race completes the match")
    func racesToCompletion() throws {
        let (state, events) = try run(
            live + [
                (.recordRack(winner: .b, breaker: nil), alice),
                (.startRack(breaker: nil), alice),
                (.shot(miss, source: .scorer), alice),
                (.commentary("what a shot"), alice),
                (.recordRack(winner: .b, breaker: nil), alice),
            ]
        )
        #expect(events.map(\.seedType) == [.system, .system, .rackStart, .rackEnd, .rackStart, .shot, .commentary, .rackEnd, .system])
        #expect(
            events[3] == .rackEnded(rack: 1, winner: .b, scoreA: 0, scoreB: 1, at: Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + 2))
        )
        // Breaks alternate: A broke rack 1, B breaks rack 2.
        #expect(events[4] == .rackStarted(rack: 2, breaker: .b, at: Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + 3)))
        #expect(state.status == .completed && state.winner == .b && state.scoreB == 2 && state.racksPlayed == 2)
        #expect(state.rack == nil && state.endedAt != nil)
    }

    @Test("end early with a winner; cancel by a player while scheduled; cancel by the scorer while live")
    func endAndCancel() throws {
        let (ended, _) = try run(live + [(.end(winner: .a, reason: "forfeit"), alice)])
        #expect(ended.status == .completed && ended.winner == .a)
        let (cancelledState, _) = try run(cancelled)
        #expect(cancelledState.status == .cancelled && cancelledState.cancelReason == "rain")
        let (cancelledLive, _) = try run(live + [(.cancel(reason: nil), alice)])
        #expect(cancelledLive.status == .cancelled)
    }

    @Test("an admin may score any match")
    func adminScores() throws {
        let (state, _) = try run(scheduled + [(.start, admin), (.recordRack(winner: .a, breaker: .b), admin)])
        #expect(state.scoreA == 1 && state.nextBreaker == .a)
    }

    @Test("replaying the events gives the live state, byte for byte through JSON")
    func replayEqualsLive() throws {
        let (live, events) = try run(completed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let decoded = try JSONDecoder().decode([Match.Event].self, from: encoder.encode(events))
        let replayed = Match.replay(decoded, from: Match.initialState(id: "m1"))
        #expect(replayed == live)
        #expect(try encoder.encode(replayed) == encoder.encode(live))
        let stateRoundTrip = try JSONDecoder().decode(Match.State.self, from: encoder.encode(live))
        #expect(stateRoundTrip == live)
    }

    @Test("random command sequences: every decision is either refused with nothing or applied; replay equals live")
    func randomSequences() throws {
        var generator = SplitMix64(seed: 42)
        let principals = [alice, bob, carol, admin]
        let commands: [Match.Command] = [
            .create(terms), .start, .startRack(breaker: nil), .startRack(breaker: .b), .shot(miss, source: .scorer),
            .recordRack(winner: .a, breaker: nil), .recordRack(winner: .b, breaker: .a), .commentary("nice"),
            .end(winner: .b, reason: nil), .cancel(reason: nil),
        ]
        for _ in 0..<500 {
            var state = Match.initialState(id: "m1")
            var events: [Match.Event] = []
            for step in 0..<30 {
                let command = commands[Int(generator.next() % UInt64(commands.count))]
                let principal = principals[Int(generator.next() % UInt64(principals.count))]
                let before = state
                do {
                    let decided = try Match.decide(state, command, ctx(principal, Int64(step)))
                    for event in decided { Match.apply(&state, event) }
                    events += decided
                } catch {
                    #expect(state == before)
                }
                #expect(state.scoreA <= state.raceTo && state.scoreB <= state.raceTo)
                if state.status == .completed { #expect(state.winner != nil) }
            }
            #expect(Match.replay(events, from: Match.initialState(id: "m1")) == state)
        }
    }
}
