import DojoDomain
import Foundation
import Testing

/// Live play: the match actor's aggregate running racks through the referee.
@Suite("Match: live play with the referee")
struct MatchRefereeTests {
    typealias Shot = Referee.Shot
    static let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let alice = Principal.user("alice")
    static let bob = Principal.user("bob")
    static let carol = Principal.user("carol")

    /// A match state and its events, driven one command at a time.
    struct Table {
        var state = Match.initialState(id: "m1")
        var events: [Match.Event] = []
        var step: Int64 = 0

        init(_ game: Match.GameType = .nineBall, raceTo: Int = 3, breakRule: Match.BreakRule? = nil) throws {
            let terms = Match.Terms(
                playerA: "alice",
                playerB: "bob",
                gameType: game,
                raceTo: raceTo,
                venueID: "hall",
                tableID: "t1",
                breakRule: breakRule
            )
            try send(.create(terms))
            try send(.start)
        }

        @discardableResult
        mutating func send(_ command: Match.Command, as principal: Principal = MatchRefereeTests.alice) throws -> [Match.Event] {
            step += 1
            let decided = try Match.decide(
                state,
                command,
                CommandContext(principal: principal, now: Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + step))
            )
            for event in decided { Match.apply(&state, event) }
            events += decided
            return decided
        }

        @discardableResult
        mutating func shot(_ shot: Shot, as principal: Principal = MatchRefereeTests.alice) throws -> [Match.Event] {
            try send(.shot(shot, source: .scorer), as: principal)
        }
    }

    static func made(_ balls: Int..., hit: Int, rails: Int = 0, id: String? = nil) -> Shot {
        Shot(shotId: id, firstContact: hit, pocketed: balls.map { .init(ball: $0, pocket: 1) }, railAfterContact: true, objectBallsToRail: rails)
    }

    static func commentary(_ events: [Match.Event]) -> [String] {
        events.compactMap { if case .commentary(let text, _) = $0 { text } else { nil } }
    }

    @Test("a golden break: RACK_START, SHOT, RACK_END and the commentary, in one append")
    func goldenBreak() throws {
        var table = try Table()
        let events = try table.shot(Self.made(9, hit: 1, id: "s1"))
        #expect(events.map(\.seedType) == [.rackStart, .shot, .rackEnd, .commentary])
        #expect(table.state.scoreA == 1 && table.state.racksPlayed == 1 && table.state.rack == nil)
        #expect(table.state.referee?.result == Referee.RackResult(winner: .a, reason: .gameBallPocketed, rule: "2.5"))
        #expect(Self.commentary(events).count == 1 && Self.commentary(events)[0].contains("alice"))
        #expect(Match.eventType(events[1]) == "match.shot")
    }

    @Test("a foul is a FOUL event with the referee's ruling; alternate breaks")
    func foulAndBreaks() throws {
        var table = try Table()
        let events = try table.shot(Shot(firstContact: 1, cueBallPocketed: true, objectBallsToRail: 5))
        #expect(events.map(\.seedType) == [.rackStart, .foul])
        guard case .shotRuled(_, let shooter, _, let ruling, let after, let source, _, _) = events[1] else {
            Issue.record("no ruling")
            return
        }
        #expect(shooter == .a && ruling.foul == .scratch && ruling.rule == "6.1" && after.ballInHand == .anywhere && source == "scorer")
        #expect(Match.eventType(events[1]) == "match.foul")
        #expect(table.state.referee?.shooter == .b && table.state.referee?.fouls.a == 1)
        try table.shot(Self.made(9, hit: 1))  // B runs out with ball in hand
        #expect(table.state.scoreB == 1 && table.state.nextBreaker == .b)
        try table.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))
        #expect(table.state.rack?.breaker == .b, "alternate: A broke rack 1, B breaks rack 2")
    }

    @Test("winner breaks, when the match says so")
    func winnerBreaks() throws {
        var table = try Table(breakRule: .winner)
        try table.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))  // A breaks, nothing: B
        try table.shot(Self.made(9, hit: 1))  // B wins rack 1
        #expect(table.state.nextBreaker == .b)
    }

    @Test("decisions: the right player decides; others are refused and nothing changes")
    func decisions() throws {
        var table = try Table()
        try table.shot(Self.made(2, hit: 1))  // A breaks and makes the 2: push-out available
        try table.shot(Shot(firstContact: 5, pushOut: true))
        #expect(table.state.referee?.awaiting?.by == .b)
        let before = table.state
        #expect(throws: DomainError.self) { try table.shot(Shot(firstContact: 1, railAfterContact: true)) }
        #expect { try table.send(.decision(.passBack, side: nil), as: Self.carol) } throws: { ($0 as? DomainError)?.code == "match.not_player" }
        #expect { try table.send(.decision(.shoot, side: .b), as: Self.bob.with(userID: "mallory")) } throws: {
            ($0 as? DomainError)?.code == "match.not_player"
        }
        // Alice is player A (and the scorer): without a side she decides for A, which is not awaited.
        #expect { try table.send(.decision(.shoot, side: nil), as: Self.alice) } throws: { ($0 as? DomainError)?.code == "referee.not_your_decision" }
        #expect(table.state == before)
        let events = try table.send(.decision(.passBack, side: nil), as: Self.bob)
        #expect(events.map(\.seedType) == [.system] && Match.eventType(events[0]) == "match.decision")
        #expect(table.state.referee?.shooter == .a && table.state.referee?.awaiting == nil)
        // The scorer may record a decision for a named side.
        try table.shot(Shot(firstContact: 1, pocketed: [.init(ball: 3, pocket: 2)], railAfterContact: true))
        try table.shot(Shot(firstContact: 1, railAfterContact: true))
        #expect(table.state.referee?.shooter == .b)
        let conceded = try table.send(.decision(.concede, side: .b), as: Self.alice)
        #expect(conceded.map(\.seedType) == [.system, .rackEnd, .commentary] && table.state.scoreA == 1)
    }

    @Test("a camera reports shots for its own table only")
    func cameraSource() throws {
        var table = try Table()
        let camera = Principal(userID: "device:cam1", role: .user)
        try table.send(
            .shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4), source: .camera(deviceID: "cam1", tableID: "t1")),
            as: camera
        )
        #expect(table.state.referee?.shots == 1)
        #expect {
            try table.send(.shot(Shot(firstContact: 1, railAfterContact: true), source: .camera(deviceID: "cam2", tableID: "t2")), as: camera)
        } throws: {
            ($0 as? DomainError)?.code == "match.wrong_table"
        }
        // The device identity is no scorer.
        #expect { try table.send(.shot(Shot(firstContact: 1, railAfterContact: true), source: .scorer), as: camera) } throws: {
            ($0 as? DomainError)?.code == "match.not_scorer"
        }
    }

    @Test("a replayed shotId is refused and appends nothing, even past the runtime's command window")
    func replay() throws {
        var table = try Table()
        try table.shot(Shot(shotId: "s-1", firstContact: 1, railAfterContact: true, objectBallsToRail: 4))
        let before = table.state
        #expect { try table.shot(Shot(shotId: "s-1", firstContact: 1, railAfterContact: true)) } throws: {
            ($0 as? DomainError)?.code == "referee.duplicate_shot"
        }
        #expect(table.state == before)
    }

    @Test("a correction reverses the last shot, even one that ended a rack; once; by the scorer or a venue admin")
    func correction() throws {
        var table = try Table()
        try table.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))
        let beforeWin = table.state
        try table.shot(Self.made(9, hit: 2, id: "s-9"))  // B: wrong ball first, the 9 is spotted
        #expect(table.state.referee?.fouls.b == 1)
        #expect { try table.send(.correct(reason: nil, venueAdmin: false), as: Self.bob) } throws: {
            ($0 as? DomainError)?.code == "match.not_referee"
        }
        let corrected = try table.send(.correct(reason: "the 1 was hit first", venueAdmin: true), as: Self.carol)
        #expect(corrected.map(\.seedType) == [.system] && Match.eventType(corrected[0]) == "match.shot_corrected")
        #expect(table.state.referee == beforeWin.referee && table.state.scoreB == 0)
        #expect { try table.send(.correct(reason: nil, venueAdmin: false)) } throws: { ($0 as? DomainError)?.code == "match.nothing_to_correct" }
        // The corrected shot entered again, right this time: B wins the rack; correct that too.
        try table.shot(Self.made(9, hit: 1, id: "s-9b"))
        #expect(table.state.scoreB == 1 && table.state.rack == nil)
        try table.send(.correct(reason: nil, venueAdmin: false))
        #expect(table.state.scoreB == 0 && table.state.racksPlayed == 0 && table.state.rack?.number == 1)
        #expect(table.state.referee == beforeWin.referee)
        // Nothing was deleted: every event is still there, and replaying them gives the same state.
        #expect(Match.replay(table.events, from: Match.initialState(id: "m1")) == table.state)
    }

    @Test("commentary: three-foul loss, hill-hill, the comeback, deterministic")
    func commentaryMoments() throws {
        var table = try Table(raceTo: 3)
        // B wins two racks (A trails 0–2), then A wins three.
        for _ in 0..<2 { try table.send(.recordRack(winner: .b, breaker: nil)) }
        // Rack 3: A fouls three times (B plays safe legal misses in between).
        let foul = Shot(firstContact: 1, cueBallPocketed: true, objectBallsToRail: 5)
        let legal = Shot(firstContact: 1, railAfterContact: true)
        try table.shot(foul)  // A breaks: a foul (1)
        try table.shot(legal)  // B
        try table.shot(foul)  // A: 2
        let warned = try table.shot(legal)  // B: A comes to the table on two fouls
        #expect(Self.commentary(warned).count == 1)
        let lost = try table.shot(foul)  // A: 3, loses the rack
        #expect(lost.contains { if case .rackEnded(_, .b, _, _, _) = $0 { true } else { false } })
        #expect(table.state.status == .completed && table.state.scoreB == 3)
        let lines = Self.commentary(lost)
        #expect(lines.count == 2, "\(lines)")  // the three-foul loss, the match
        #expect(lines[0].localizedCaseInsensitiveContains("foul"))

        var comeback = try Table(raceTo: 3)
        for _ in 0..<2 { try comeback.send(.recordRack(winner: .b, breaker: nil)) }
        for _ in 0..<2 { try comeback.send(.recordRack(winner: .a, breaker: nil)) }
        let hill = try comeback.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))
        #expect(Self.commentary(hill).count == 1, "hill-hill at the start of the deciding rack")
        try comeback.send(.decision(.concede, side: .b), as: Self.bob)
        let last = Self.commentary(Array(comeback.events.suffix(2)))
        #expect(last.count == 1 && last[0].contains("2"), "\(last)")

        // The same play gives the same words.
        var again = try Table(raceTo: 3)
        for _ in 0..<2 { try again.send(.recordRack(winner: .b, breaker: nil)) }
        for _ in 0..<2 { try again.send(.recordRack(winner: .a, breaker: nil)) }
        #expect(Self.commentary(try again.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))) == Self.commentary(hill))
    }

    @Test("break and run and scratch on the 8 (8-ball)")
    func eightBallMoments() throws {
        var table = try Table(.eightBall)
        try table.shot(Self.made(1, hit: 1))  // A breaks and makes the 1
        try table.shot(Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 3)], railAfterContact: true, called: .init(ball: 2, pocket: 3)))
        #expect(table.state.referee?.groups?.a == .solids)
        for ball in [3, 4, 5, 6, 7] {
            try table.shot(
                Shot(firstContact: ball, pocketed: [.init(ball: ball, pocket: 1)], railAfterContact: true, called: .init(ball: ball, pocket: 1))
            )
        }
        let won = try table.shot(
            Shot(firstContact: 8, pocketed: [.init(ball: 8, pocket: 4)], railAfterContact: true, called: .init(ball: 8, pocket: 4))
        )
        let lines = Self.commentary(won)
        #expect(lines.count == 1 && lines[0].lowercased().contains("run"), "\(lines)")

        var scratch = try Table(.eightBall)
        try scratch.shot(Self.made(1, hit: 1))
        try scratch.shot(Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 3)], railAfterContact: true, called: .init(ball: 2, pocket: 3)))
        for ball in [3, 4, 5, 6, 7] {
            try scratch.shot(
                Shot(firstContact: ball, pocketed: [.init(ball: ball, pocket: 1)], railAfterContact: true, called: .init(ball: ball, pocket: 1))
            )
        }
        let lost = try scratch.shot(
            Shot(
                firstContact: 8,
                pocketed: [.init(ball: 8, pocket: 4)],
                cueBallPocketed: true,
                railAfterContact: true,
                called: .init(ball: 8, pocket: 4)
            )
        )
        #expect(scratch.state.scoreB == 1)
        #expect(Self.commentary(lost).count == 1 && Self.commentary(lost)[0].contains("8"))
    }
}

extension Principal {
    func with(userID: String) -> Principal { Principal(userID: userID, role: role) }
}
