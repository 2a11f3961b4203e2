import DojoDomain
import DojoTesting
import Foundation
import Testing

/// The referee against random play and against observations it must refuse.
@Suite("Referee: random play and refusals")
struct RefereePropertyTests {
    typealias R = Referee

    /// A random shot the rack could have produced (every ball it names is on the table).
    static func randomShot(_ rack: R.Rack, _ rng: inout SplitMix64) -> R.Shot {
        let onTable = rack.onTable
        let contact: Int? = Int.random(in: 0..<10, using: &rng) == 0 ? nil : onTable.randomElement(using: &rng)
        var pocketed: [R.PocketedBall] = []
        var offTable: [Int] = []
        if contact != nil {
            let count = [0, 0, 0, 1, 1, 1, 2, 3].randomElement(using: &rng)!
            for ball in onTable.shuffled(using: &rng).prefix(count) {
                pocketed.append(R.PocketedBall(ball: ball, pocket: Int.random(in: 1...6, using: &rng)))
            }
            if Int.random(in: 0..<25, using: &rng) == 0,
                let ball = onTable.filter({ b in !pocketed.contains { $0.ball == b } }).randomElement(using: &rng)
            {
                offTable.append(ball)
            }
        }
        let scratch = Int.random(in: 0..<8, using: &rng) == 0
        if !scratch && Int.random(in: 0..<40, using: &rng) == 0 { offTable.append(0) }
        var called: R.PocketedBall?
        if rack.game.callsShots && !rack.breakShot {
            if let made = pocketed.first, Bool.random(using: &rng) {
                called = Bool.random(using: &rng) ? made : R.PocketedBall(ball: made.ball, pocket: Int.random(in: 1...6, using: &rng))
            } else if let ball = onTable.randomElement(using: &rng) {
                called = R.PocketedBall(ball: ball, pocket: Int.random(in: 1...6, using: &rng))
            }
        }
        return R.Shot(
            shotId: "s\(rack.shots)",
            firstContact: contact,
            pocketed: pocketed,
            cueBallPocketed: scratch,
            offTable: offTable,
            railAfterContact: Bool.random(using: &rng),
            objectBallsToRail: Int.random(in: 0...min(6, onTable.count), using: &rng),
            called: called,
            safety: rack.game == .eightBall && Int.random(in: 0..<20, using: &rng) == 0,
            pushOut: rack.pushOutAvailable && Int.random(in: 0..<3, using: &rng) == 0
        )
    }

    static func checkInvariants(_ rack: R.Rack, game: R.Game) {
        let on = Set(rack.onTable)
        let down = Set(rack.pocketed)
        #expect(on.isDisjoint(with: down), "a ball both on the table and pocketed: \(rack)")
        #expect(on.union(down) == Set(game.balls))
        #expect(!(rack.result != nil && rack.awaiting != nil), "a rack both over and awaiting a decision")
        #expect((0...2).contains(rack.fouls.a) && (0...2).contains(rack.fouls.b))
        #expect(rack.groups == nil || rack.groups!.a != rack.groups!.b)
        #expect(throws: Never.self) { try rack.validate() }
    }

    @Test("random legal sequences never reach an impossible state", arguments: R.Game.allCases)
    func randomPlay(_ game: R.Game) throws {
        var rng = SplitMix64(seed: 0xD0_10 &+ UInt64(game.gameBall))
        var score = R.PerPlayer(a: 0, b: 0)
        var endings: [R.RackEndReason: Int] = [:]
        for rackNumber in 0..<1_500 {
            var rack = R.Rack(game: game, breaker: rackNumber % 2 == 0 ? .a : .b)
            var steps = 0
            while rack.result == nil {
                steps += 1
                guard steps < 400 else {
                    Issue.record("rack \(rackNumber) never ended")
                    return
                }
                let previous = rack
                let ruling: R.Ruling
                if let awaiting = rack.awaiting {
                    let option = awaiting.options.randomElement(using: &rng)!
                    (ruling, rack) = try R.decide(rack, R.Decision(option, by: awaiting.by))
                    // Re-racks restart the rack: only the options that say so do.
                    #expect(ruling.rerack == [.rerackAndBreak, .rerackOffenderBreaks, .rebreak].contains(option))
                } else {
                    // Long racks end by concession now and then, as real ones do.
                    if steps > 60 && Int.random(in: 0..<10, using: &rng) == 0 {
                        (ruling, rack) = try R.decide(rack, R.Decision(.concede, by: rack.shooter))
                    } else {
                        let shot = Self.randomShot(rack, &rng)
                        (ruling, rack) = try R.judge(previous, shot)
                        let again = try R.judge(previous, shot)
                        #expect(again.ruling == ruling && again.rack == rack, "the referee is deterministic")
                        #expect(rack.shots == previous.shots + 1 || ruling.rerack)
                    }
                }
                #expect(!ruling.rules.isEmpty && ruling.rule == ruling.rules[0])
                #expect(ruling.result == rack.result)
                Self.checkInvariants(rack, game: game)
                if let result = rack.result {
                    score[result.winner] += 1
                    endings[result.reason, default: 0] += 1
                    // A rack has one winner: nothing more can be judged.
                    #expect(throws: DomainError.self) { try R.judge(rack, R.Shot(firstContact: rack.onTable.first)) }
                    #expect(throws: DomainError.self) { try R.decide(rack, R.Decision(.concede, by: .a)) }
                }
            }
        }
        #expect(score.a >= 0 && score.b >= 0 && score.a + score.b == 1_500)
        // The random play reaches the ways a rack ends in this game.
        #expect(endings[.gameBallPocketed, default: 0] > 0)
        if game != .eightBall { #expect(endings[.threeFouls, default: 0] > 0) }
        if game == .eightBall { #expect(endings[.eightEarly, default: 0] > 0 && endings[.eightOnFoul, default: 0] > 0) }
    }

    // MARK: Refusals

    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var rack: R.Rack
        var shot: R.Shot?
        var decision: R.Decision?
        var code: String
        var testDescription: String { name }
    }

    static let nine = RefereeCaseTests.rack(.nineBall, on: [2, 5, 9])
    static let over: R.Rack = {
        var rack = nine
        rack.result = R.RackResult(winner: .a, reason: .gameBallPocketed, rule: "2.5")
        return rack
    }()
    static let awaiting = RefereeCaseTests.awaitingRack(.nineBall, by: .b, [.shoot, .passBack])

    static let refusals: [Refusal] = [
        Refusal(
            name: "a pocketed ball that is not on the table",
            rack: nine,
            shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 3, pocket: 1)]),
            code: "referee.ball_not_on_table"
        ),
        Refusal(
            name: "a pocket outside 1–6",
            rack: nine,
            shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 7)]),
            code: "referee.invalid_pocket"
        ),
        Refusal(name: "pocket 0", rack: nine, shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 0)]), code: "referee.invalid_pocket"),
        // A call is checked on the break too, where the rules ignore it (schemathesis found both).
        Refusal(
            name: "a call to pocket 0 on the break",
            rack: RefereeCaseTests.rack(.eightBall),
            shot: R.Shot(firstContact: 1, called: .init(ball: 1, pocket: 0)),
            code: "referee.invalid_pocket"
        ),
        Refusal(
            name: "a call of ball -1 on the break",
            rack: RefereeCaseTests.rack(.eightBall),
            shot: R.Shot(firstContact: 1, called: .init(ball: -1, pocket: 1)),
            code: "referee.invalid_shot"
        ),
        Refusal(
            name: "ball 16",
            rack: RefereeCaseTests.rack(.eightBall),
            shot: R.Shot(firstContact: 1, pocketed: [.init(ball: 16, pocket: 1)]),
            code: "referee.ball_not_on_table"
        ),
        Refusal(
            name: "the cue ball in pocketed",
            rack: nine,
            shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 0, pocket: 1)]),
            code: "referee.invalid_ball"
        ),
        Refusal(
            name: "a ball pocketed twice",
            rack: nine,
            shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 1), .init(ball: 2, pocket: 3)]),
            code: "referee.duplicate_ball"
        ),
        Refusal(
            name: "a ball both pocketed and off the table",
            rack: nine,
            shot: R.Shot(firstContact: 2, pocketed: [.init(ball: 5, pocket: 1)], offTable: [5]),
            code: "referee.duplicate_ball"
        ),
        Refusal(
            name: "an off-table ball that is not on the table",
            rack: nine,
            shot: R.Shot(firstContact: 2, offTable: [7]),
            code: "referee.ball_not_on_table"
        ),
        Refusal(
            name: "the cue ball both pocketed and off the table",
            rack: nine,
            shot: R.Shot(firstContact: 2, cueBallPocketed: true, offTable: [0]),
            code: "referee.impossible_shot"
        ),
        Refusal(
            name: "balls pocketed without any contact",
            rack: nine,
            shot: R.Shot(firstContact: nil, pocketed: [.init(ball: 5, pocket: 1)]),
            code: "referee.impossible_shot"
        ),
        Refusal(name: "first contact with a ball not on the table", rack: nine, shot: R.Shot(firstContact: 1), code: "referee.ball_not_on_table"),
        Refusal(name: "first contact with the cue ball", rack: nine, shot: R.Shot(firstContact: 0), code: "referee.ball_not_on_table"),
        Refusal(
            name: "more balls to the rail than on the table",
            rack: nine,
            shot: R.Shot(firstContact: 2, objectBallsToRail: 4),
            code: "referee.invalid_shot"
        ),
        Refusal(
            name: "a called ball that is not on the table",
            rack: RefereeCaseTests.rack(.tenBall, on: [4, 10]),
            shot: R.Shot(firstContact: 4, called: .init(ball: 3, pocket: 1)),
            code: "referee.ball_not_on_table"
        ),
        Refusal(
            name: "a called pocket outside 1–6",
            rack: RefereeCaseTests.rack(.tenBall),
            shot: R.Shot(firstContact: 1, called: .init(ball: 1, pocket: 9)),
            code: "referee.invalid_pocket"
        ),
        Refusal(
            name: "a push-out that is not available",
            rack: nine,
            shot: R.Shot(firstContact: 2, pushOut: true),
            code: "referee.push_out_not_available"
        ),
        Refusal(
            name: "a push-out in 8-ball",
            rack: RefereeCaseTests.rack(.eightBall),
            shot: R.Shot(firstContact: 2, pushOut: true),
            code: "referee.push_out_not_available"
        ),
        Refusal(name: "a shot after the rack ended", rack: over, shot: R.Shot(firstContact: 2), code: "referee.rack_over"),
        Refusal(name: "a decision after the rack ended", rack: over, decision: R.Decision(.concede, by: .b), code: "referee.rack_over"),
        Refusal(
            name: "a shot while a decision is awaited",
            rack: awaiting,
            shot: R.Shot(firstContact: 1, railAfterContact: true),
            code: "referee.decision_awaited"
        ),
        Refusal(name: "a decision by the wrong player", rack: awaiting, decision: R.Decision(.shoot, by: .a), code: "referee.not_your_decision"),
        Refusal(name: "an option not offered", rack: awaiting, decision: R.Decision(.rebreak, by: .b), code: "referee.option_not_offered"),
        Refusal(name: "a decision when none is awaited", rack: nine, decision: R.Decision(.shoot, by: .a), code: "referee.no_decision_awaited"),
        Refusal(name: "an empty shotId", rack: nine, shot: R.Shot(shotId: "", firstContact: 2), code: "referee.invalid_shot"),
    ]

    @Test("impossible or untimely observations are refused with a typed error", arguments: refusals)
    func refusal(_ r: Refusal) {
        do {
            if let shot = r.shot { _ = try R.judge(r.rack, shot) } else if let decision = r.decision { _ = try R.decide(r.rack, decision) }
            Issue.record("accepted: \(r.name)")
        } catch {
            #expect(error.code == r.code, "\(error)")
        }
    }

    @Test("racks that cannot happen are refused by validate")
    func invalidRacks() throws {
        let decoder = JSONDecoder()
        // What follows from onTable and groups must agree with them when given.
        for json in [
            #"{"game":"9ball","onTable":[1,2,3,9],"pocketed":[3,4,5,6,7,8],"shooter":"A"}"#,
            #"{"game":"8ball","onTable":[1,8],"shooter":"A","openTable":false}"#,
        ] {
            #expect(throws: DecodingError.self, "\(json)") { try decoder.decode(R.Rack.self, from: Data(json.utf8)) }
        }
        let bad = [
            #"{"game":"9ball","onTable":[3,1],"shooter":"A"}"#,
            #"{"game":"9ball","onTable":[1,9,16],"shooter":"A"}"#,
            #"{"game":"9ball","onTable":[1,2],"shooter":"A"}"#,
            #"{"game":"9ball","onTable":[1,9],"shooter":"A","fouls":{"A":3,"B":0}}"#,
            #"{"game":"8ball","onTable":[1,8],"shooter":"A","groups":{"A":"solids","B":"solids"}}"#,
            #"{"game":"8ball","onTable":[1,8],"shooter":"A","fouls":{"A":1,"B":0}}"#,
            #"{"game":"10ball","onTable":[1,10],"shooter":"A","groups":{"A":"solids","B":"stripes"}}"#,
            #"{"game":"9ball","onTable":[1,9],"shooter":"A","breakShot":true}"#,
        ]
        for json in bad {
            let rack = try decoder.decode(R.Rack.self, from: Data(json.utf8))
            #expect(throws: DomainError.self, "\(json)") { try rack.validate() }
        }
        let brief = try decoder.decode(R.Rack.self, from: Data(#"{"game":"9ball","onTable":[4,9],"shooter":"B"}"#.utf8))
        try brief.validate()
        #expect(brief.pocketed == [1, 2, 3, 5, 6, 7, 8] && brief.breaker == .b && !brief.breakShot)

        // Ball in hand: a flag and its area (the area alone is read too).
        for (members, expected) in [
            (#""ballInHand":true,"ballInHandArea":"kitchen""#, R.BallInHand.kitchen),
            (#""ballInHand":true"#, .anywhere),
            (#""ballInHand":"kitchen""#, .kitchen),
            (#""ballInHand":false"#, nil),
            (#""ballInHandArea":"anywhere""#, .anywhere),
        ] as [(String, R.BallInHand?)] {
            let rack = try decoder.decode(R.Rack.self, from: Data(#"{"game":"9ball","onTable":[4,9],"shooter":"B",\#(members)}"#.utf8))
            #expect(rack.ballInHand == expected, "\(members)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var inHand = brief
        inHand.ballInHand = .kitchen
        #expect(String(decoding: try encoder.encode(inHand), as: UTF8.self).contains(#""ballInHand":true,"ballInHandArea":"kitchen""#))
        #expect(String(decoding: try encoder.encode(brief), as: UTF8.self).contains(#""ballInHand":false,"breakShot""#))
    }

    @Test("the rack, shot and ruling read back from their JSON")
    func codableRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for game in R.Game.allCases {
            var rack = R.Rack(game: game, breaker: .a)
            for _ in 0..<200 where rack.result == nil {
                let shot = Self.randomShot(rack, &rng)
                let (ruling, after): (R.Ruling, R.Rack) =
                    if let awaiting = rack.awaiting {
                        try R.decide(rack, R.Decision(awaiting.options[0], by: awaiting.by))
                    } else {
                        try R.judge(rack, shot)
                    }
                #expect(try JSONDecoder().decode(R.Rack.self, from: encoder.encode(after)) == after)
                #expect(try JSONDecoder().decode(R.Ruling.self, from: encoder.encode(ruling)) == ruling)
                #expect(try JSONDecoder().decode(R.Shot.self, from: encoder.encode(shot)) == shot)
                rack = after
            }
        }
    }
}
