import DojoDomain
import Testing

/// The referee against a table of situations, one or more per rule of
/// `../shared/rules/RULES-SUMMARY.md`, each named by its WPA-2016 rule. Every case states the whole
/// outcome: the foul enforced (or none), who is next, ball in hand, balls spotted, the decision
/// awaited, the rack's result and the deciding rule.
@Suite("Referee: WPA rules, case by case")
struct RefereeCaseTests {
    typealias R = Referee

    struct Expect: Sendable {
        var rule: String
        var foul: R.Foul? = nil
        var next: R.Player? = nil
        var ballInHand: R.BallInHand? = nil
        var spotted: [Int] = []
        var result: R.RackResult? = nil
        var awaiting: (by: R.Player, options: [R.Option])? = nil
        var warning: R.Player? = nil
        var groups: R.PerPlayer<R.Group>? = nil
        var onTable: [Int]? = nil
        var fouls: (a: Int, b: Int)? = nil
        var rerack = false
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var rack: R.Rack
        var action: Action
        var expect: Expect
        var testDescription: String { name }

        enum Action: Sendable {
            case shot(R.Shot)
            case decision(R.Option, R.Player)
        }
    }

    // MARK: Builders

    /// A rack after the break: `on` balls on the table, `shooter` at the table.
    static func rack(
        _ game: R.Game,
        on: [Int]? = nil,
        shooter: R.Player = .a,
        groupA: R.Group? = nil,
        fouls: (Int, Int) = (0, 0),
        warned: (Bool, Bool) = (false, false),
        pushOut: Bool = false
    ) -> R.Rack {
        var rack = R.Rack(game: game, breaker: shooter)
        rack.onTable = on ?? Array(game.balls)
        rack.breakShot = false
        rack.ballInHand = nil
        if let groupA {
            rack.groups = R.PerPlayer(a: groupA, b: groupA.other)
        }
        rack.fouls = R.PerPlayer(a: fouls.0, b: fouls.1)
        rack.warned = R.PerPlayer(a: warned.0, b: warned.1)
        rack.pushOutAvailable = pushOut
        return rack
    }

    static func breaking(_ game: R.Game) -> R.Rack { R.Rack(game: game, breaker: .a) }

    static func shot(
        hit: Int?,
        made: [(Int, Int)] = [],
        scratch: Bool = false,
        off: [Int] = [],
        rail: Bool = true,
        rails: Int = 0,
        call: (Int, Int)? = nil,
        safety: Bool = false,
        push: Bool = false
    ) -> Case.Action {
        .shot(
            R.Shot(
                firstContact: hit,
                pocketed: made.map { R.PocketedBall(ball: $0.0, pocket: $0.1) },
                cueBallPocketed: scratch,
                offTable: off,
                railAfterContact: rail,
                objectBallsToRail: rails,
                called: call.map { R.PocketedBall(ball: $0.0, pocket: $0.1) },
                safety: safety,
                pushOut: push
            )
        )
    }

    static func win(_ player: R.Player, _ reason: R.RackEndReason, _ rule: String) -> R.RackResult {
        R.RackResult(winner: player, reason: reason, rule: rule)
    }

    static let solidsA = R.PerPlayer<R.Group>(a: .solids, b: .stripes)
    static let stripesA = R.PerPlayer<R.Group>(a: .stripes, b: .solids)

    // MARK: The cases

    static let general: [Case] = [
        Case(
            name: "6.1 scratch (9-ball): foul, ball in hand anywhere",
            rack: rack(.nineBall),
            action: shot(hit: 1, scratch: true),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, fouls: (1, 0))
        ),
        Case(
            name: "6.1 cue ball off the table (9-ball)",
            rack: rack(.nineBall),
            action: shot(hit: 1, off: [0]),
            expect: Expect(rule: "6.1", foul: .cueBallOffTable, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.3 no contact at all (9-ball)",
            rack: rack(.nineBall),
            action: shot(hit: nil, rail: false),
            expect: Expect(rule: "6.3", foul: .noContact, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.2 wrong ball first (9-ball): the 3 before the 1",
            rack: rack(.nineBall),
            action: shot(hit: 3),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.3 no rail after contact (9-ball)",
            rack: rack(.nineBall),
            action: shot(hit: 1, rail: false),
            expect: Expect(rule: "6.3", foul: .noRail, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.5 object ball off the table (9-ball): foul, it stays off",
            rack: rack(.nineBall),
            action: shot(hit: 1, off: [4]),
            expect: Expect(rule: "6.5", foul: .ballOffTable, next: .b, ballInHand: .anywhere, onTable: [1, 2, 3, 5, 6, 7, 8, 9])
        ),
        Case(
            name: "8.4 a pocketed ball counts as driven to a rail (9-ball)",
            rack: rack(.nineBall),
            action: shot(hit: 1, made: [(2, 3)], rail: false),
            expect: Expect(rule: "2.5", next: .a, onTable: [1, 3, 4, 5, 6, 7, 8, 9])
        ),
        Case(
            name: "6 only the most serious foul is enforced: scratch over wrong ball first",
            rack: rack(.nineBall),
            action: shot(hit: 5, scratch: true),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.1 scratch (8-ball) keeps the groups",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 2, scratch: true, call: (2, 1)),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, fouls: (0, 0))
        ),
        Case(
            name: "6.2 open table (8-ball): the 8 first is a foul",
            rack: rack(.eightBall),
            action: shot(hit: 8, call: (3, 1)),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.2 (8-ball): an opponent's ball first",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 12, call: (2, 1)),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.2 (8-ball): group cleared, the 8 must be hit first",
            rack: rack(.eightBall, on: [8, 9, 10], groupA: .solids),
            action: shot(hit: 9, call: (8, 1)),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.3 no rail (8-ball)",
            rack: rack(.eightBall, groupA: .stripes),
            action: shot(hit: 9, rail: false, call: (9, 2)),
            expect: Expect(rule: "6.3", foul: .noRail, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.5 object ball off the table (8-ball) stays off (3.7)",
            rack: rack(.eightBall, groupA: .stripes),
            action: shot(hit: 9, off: [9], call: (9, 2)),
            expect: Expect(
                rule: "6.5",
                foul: .ballOffTable,
                next: .b,
                ballInHand: .anywhere,
                onTable: [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]
            )
        ),
        Case(
            name: "6.2 wrong ball first (10-ball)",
            rack: rack(.tenBall),
            action: shot(hit: 2, call: (2, 1)),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.3 no rail (10-ball)",
            rack: rack(.tenBall),
            action: shot(hit: 1, rail: false, call: (1, 1)),
            expect: Expect(rule: "6.3", foul: .noRail, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "9.10 balls made on a foul stay down (10-ball)",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(1, 4)], scratch: true, call: (1, 4)),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, onTable: [2, 3, 4, 5, 6, 7, 8, 9, 10])
        ),
    ]

    static let nineBall: [Case] = [
        Case(
            name: "2.5 the 9 on the break wins",
            rack: breaking(.nineBall),
            action: shot(hit: 1, made: [(9, 6)], rails: 2),
            expect: Expect(rule: "2.5", result: win(.a, .gameBallPocketed, "2.5"))
        ),
        Case(
            name: "2.3 a ball made on the break: the breaker continues, push-out open",
            rack: breaking(.nineBall),
            action: shot(hit: 1, made: [(4, 1)]),
            expect: Expect(rule: "2.3", next: .a)
        ),
        Case(
            name: "2.3 nothing made, four balls to a rail: the opponent plays",
            rack: breaking(.nineBall),
            action: shot(hit: 1, rails: 4),
            expect: Expect(rule: "2.3", next: .b)
        ),
        Case(
            name: "2.3 fewer than four balls to a rail: illegal break, ball in hand anywhere",
            rack: breaking(.nineBall),
            action: shot(hit: 1, rails: 3),
            expect: Expect(rule: "2.3", foul: .illegalBreak, next: .b, ballInHand: .anywhere, fouls: (1, 0))
        ),
        Case(
            name: "6.2 on the break the 1 must be hit first",
            rack: breaking(.nineBall),
            action: shot(hit: 2, made: [(3, 1)], rails: 5),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "2.6 the 9 made on a break scratch is spotted",
            rack: breaking(.nineBall),
            action: shot(hit: 1, made: [(9, 2)], scratch: true),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, spotted: [9])
        ),
        Case(
            name: "2.5 the 9 on a combination wins",
            rack: rack(.nineBall),
            action: shot(hit: 1, made: [(9, 3)]),
            expect: Expect(rule: "2.5", result: win(.a, .gameBallPocketed, "2.5"))
        ),
        Case(
            name: "2.6 the 9 made after a wrong ball first is spotted",
            rack: rack(.nineBall),
            action: shot(hit: 2, made: [(9, 3)]),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere, spotted: [9])
        ),
        Case(
            name: "2.6 the 9 driven off the table is spotted",
            rack: rack(.nineBall),
            action: shot(hit: 1, off: [9]),
            expect: Expect(rule: "6.5", foul: .ballOffTable, next: .b, ballInHand: .anywhere, spotted: [9], onTable: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        ),
        Case(
            name: "2.5 any ball legally made keeps the shooter at the table",
            rack: rack(.nineBall),
            action: shot(hit: 1, made: [(5, 2)]),
            expect: Expect(rule: "2.5", next: .a)
        ),
        Case(
            name: "2.5 a legal miss: the opponent plays from the position",
            rack: rack(.nineBall),
            action: shot(hit: 1),
            expect: Expect(rule: "2.5", next: .b)
        ),
        Case(
            name: "2.4 a legal push-out: the opponent chooses",
            rack: rack(.nineBall, pushOut: true),
            action: shot(hit: nil, rail: false, push: true),
            expect: Expect(rule: "2.4", awaiting: (.b, [.shoot, .passBack]))
        ),
        Case(
            name: "2.6 the 9 made on a push-out is spotted",
            rack: rack(.nineBall, pushOut: true),
            action: shot(hit: 4, made: [(9, 1)], push: true),
            expect: Expect(rule: "2.4", spotted: [9], awaiting: (.b, [.shoot, .passBack]))
        ),
        Case(
            name: "2.4 a scratch on a push-out is still a foul",
            rack: rack(.nineBall, pushOut: true),
            action: shot(hit: 3, scratch: true, push: true),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "6.14 the third foul in a row after the warning loses the rack",
            rack: rack(.nineBall, fouls: (2, 0), warned: (true, false)),
            action: shot(hit: 3),
            expect: Expect(rule: "6.14", foul: .wrongBallFirst, result: win(.b, .threeFouls, "6.14"))
        ),
        Case(
            name: "6.14 a player on two fouls coming to the table is warned",
            rack: rack(.nineBall, fouls: (0, 2)),
            action: shot(hit: 1),
            expect: Expect(rule: "2.5", next: .b, warning: .b)
        ),
        Case(
            name: "6.14 a legal shot clears the shooter's fouls",
            rack: rack(.nineBall, fouls: (2, 1), warned: (true, false)),
            action: shot(hit: 1),
            expect: Expect(rule: "2.5", next: .b, fouls: (0, 1))
        ),
        Case(
            name: "6.14 a foul on the break counts",
            rack: breaking(.nineBall),
            action: shot(hit: 1, scratch: true, rails: 5),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, fouls: (1, 0))
        ),
        Case(
            name: "6.14 without the warning a third foul counts only as the second",
            rack: rack(.nineBall, fouls: (2, 0)),
            action: shot(hit: 3),
            expect: Expect(rule: "6.2", foul: .wrongBallFirst, next: .b, ballInHand: .anywhere, fouls: (2, 0))
        ),
        Case(
            name: "2.8 second foul: the opponent gets ball in hand, the foul count is 2",
            rack: rack(.nineBall, fouls: (1, 0)),
            action: shot(hit: 1, rail: false),
            expect: Expect(rule: "6.3", foul: .noRail, next: .b, ballInHand: .anywhere, fouls: (2, 0))
        ),
        Case(
            name: "2.4 pass_back: the pusher must shoot from the position",
            rack: awaitingRack(.nineBall, by: .b, [.shoot, .passBack]),
            action: .decision(.passBack, .b),
            expect: Expect(rule: "2.4", next: .a)
        ),
        Case(
            name: "2.4 shoot: the chooser plays the position",
            rack: awaitingRack(.nineBall, by: .b, [.shoot, .passBack]),
            action: .decision(.shoot, .b),
            expect: Expect(rule: "2.4", next: .b)
        ),
    ]

    static let tenBall: [Case] = [
        Case(
            name: "9.3 a ball made on the break: the breaker continues",
            rack: breaking(.tenBall),
            action: shot(hit: 1, made: [(2, 5)]),
            expect: Expect(rule: "9.3", next: .a)
        ),
        Case(
            name: "9.9 the 10 on a legal break is spotted and the breaker continues",
            rack: breaking(.tenBall),
            action: shot(hit: 1, made: [(10, 5)]),
            expect: Expect(rule: "9.3", next: .a, spotted: [10], onTable: Array(1...10))
        ),
        Case(
            name: "9.9 the 10 on a break foul is spotted, ball in hand",
            rack: breaking(.tenBall),
            action: shot(hit: 1, made: [(10, 5)], scratch: true),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere, spotted: [10])
        ),
        Case(
            name: "9.3 fewer than four balls to a rail: illegal break",
            rack: breaking(.tenBall),
            action: shot(hit: 1, rails: 2),
            expect: Expect(rule: "9.3", foul: .illegalBreak, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "9.8 the called ball in the called pocket: continue",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(1, 2)], call: (1, 2)),
            expect: Expect(rule: "9.8", next: .a)
        ),
        Case(
            name: "9.8 extra balls stay down on a made call; the 10 among them is spotted",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(1, 2), (4, 3), (10, 6)], call: (1, 2)),
            expect: Expect(rule: "9.8", next: .a, spotted: [10], onTable: [2, 3, 5, 6, 7, 8, 9, 10])
        ),
        Case(
            name: "9.5 a called combination is legal when the lowest ball is hit first",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(6, 1)], call: (6, 1)),
            expect: Expect(rule: "9.8", next: .a)
        ),
        Case(
            name: "9.7 slop: the called ball in another pocket, the opponent chooses",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(1, 4)], call: (1, 2)),
            expect: Expect(rule: "9.7", awaiting: (.b, [.shoot, .passBack]), onTable: [2, 3, 4, 5, 6, 7, 8, 9, 10])
        ),
        Case(
            name: "9.7 slop: another ball made, it stays down",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(3, 4)], call: (1, 2)),
            expect: Expect(rule: "9.7", awaiting: (.b, [.shoot, .passBack]), onTable: [1, 2, 4, 5, 6, 7, 8, 9, 10])
        ),
        Case(
            name: "9.9 slop with the 10: spotted, the opponent chooses",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(10, 4)], call: (1, 2)),
            expect: Expect(rule: "9.7", spotted: [10], awaiting: (.b, [.shoot, .passBack]))
        ),
        Case(
            name: "9.7 slop with a foul is an ordinary foul: no option",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(3, 4)], scratch: true, call: (1, 2)),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "9.8 the called 10 as the last ball wins",
            rack: rack(.tenBall, on: [10]),
            action: shot(hit: 10, made: [(10, 3)], call: (10, 3)),
            expect: Expect(rule: "9.8", result: win(.a, .gameBallPocketed, "9.8"))
        ),
        Case(
            name: "9.7 the last 10 in an uncalled pocket is spotted, the opponent chooses",
            rack: rack(.tenBall, on: [10]),
            action: shot(hit: 10, made: [(10, 4)], call: (10, 3)),
            expect: Expect(rule: "9.7", spotted: [10], awaiting: (.b, [.shoot, .passBack]), onTable: [10])
        ),
        Case(
            name: "9.8 the called 10 made early is spotted and the shooter continues",
            rack: rack(.tenBall, on: [3, 10]),
            action: shot(hit: 3, made: [(10, 1)], call: (10, 1)),
            expect: Expect(rule: "9.8", next: .a, spotted: [10], onTable: [3, 10])
        ),
        Case(
            name: "9.4 the 10 made on a push-out is spotted",
            rack: rack(.tenBall, pushOut: true),
            action: shot(hit: 5, made: [(10, 2)], push: true),
            expect: Expect(rule: "9.4", spotted: [10], awaiting: (.b, [.shoot, .passBack]))
        ),
        Case(
            name: "9.11 three fouls lose the rack (10-ball)",
            rack: rack(.tenBall, shooter: .b, fouls: (0, 2), warned: (false, true)),
            action: shot(hit: 1, scratch: true, call: (1, 1)),
            expect: Expect(rule: "6.14", foul: .scratch, result: win(.a, .threeFouls, "6.14"))
        ),
        Case(
            name: "9.5 no call: a made ball is a slop",
            rack: rack(.tenBall),
            action: shot(hit: 1, made: [(1, 1)]),
            expect: Expect(rule: "9.7", awaiting: (.b, [.shoot, .passBack]))
        ),
        Case(
            name: "9.8 nothing made: the opponent plays from the position",
            rack: rack(.tenBall),
            action: shot(hit: 1, call: (1, 1)),
            expect: Expect(rule: "9.8", next: .b)
        ),
        Case(
            name: "9.7 pass_back after a slop: the shooter plays on, no ball in hand",
            rack: awaitingRack(.tenBall, by: .b, [.shoot, .passBack], reason: "slop", rule: "9.7"),
            action: .decision(.passBack, .b),
            expect: Expect(rule: "9.7", next: .a)
        ),
    ]

    static let eightBall: [Case] = [
        Case(
            name: "3.3(c) a ball made on a legal break: the breaker continues, the table stays open",
            rack: breaking(.eightBall),
            action: shot(hit: 1, made: [(3, 1), (11, 2)]),
            expect: Expect(rule: "3.3(c)", next: .a, onTable: [1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15])
        ),
        Case(
            name: "3.3(b) any ball may be hit first on the break",
            rack: breaking(.eightBall),
            action: shot(hit: 8, made: [(2, 1)]),
            expect: Expect(rule: "3.3(c)", next: .a)
        ),
        Case(
            name: "3.3 nothing made, four to a rail: the opponent plays",
            rack: breaking(.eightBall),
            action: shot(hit: 1, rails: 4),
            expect: Expect(rule: "3.3", next: .b)
        ),
        Case(
            name: "3.3(d) illegal break: the incoming player chooses, no ball in hand",
            rack: breaking(.eightBall),
            action: shot(hit: 1, rails: 2),
            expect: Expect(rule: "3.3(d)", awaiting: (.b, [.acceptTable, .rerackAndBreak, .rerackOffenderBreaks]))
        ),
        Case(
            name: "3.3(e) the 8 on a legal break: the breaker chooses, never a win",
            rack: breaking(.eightBall),
            action: shot(hit: 1, made: [(8, 3)]),
            expect: Expect(rule: "3.3(e)", awaiting: (.a, [.spot8Continue, .rebreak]))
        ),
        Case(
            name: "3.3(f) the 8 and a scratch on the break: the opponent chooses, never a loss",
            rack: breaking(.eightBall),
            action: shot(hit: 1, made: [(8, 3)], scratch: true),
            expect: Expect(rule: "3.3(f)", foul: .scratch, awaiting: (.b, [.spot8BallInHandKitchen, .rebreak]))
        ),
        Case(
            name: "3.3(h) a scratch on the break: ball in hand behind the head string",
            rack: breaking(.eightBall),
            action: shot(hit: 1, scratch: true, rails: 5),
            expect: Expect(rule: "3.3(h)", foul: .scratch, next: .b, ballInHand: .kitchen)
        ),
        Case(
            name: "3.3(h) balls made on a break scratch stay down",
            rack: breaking(.eightBall),
            action: shot(hit: 1, made: [(5, 2)], scratch: true),
            expect: Expect(rule: "3.3(h)", foul: .scratch, next: .b, ballInHand: .kitchen, onTable: [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        ),
        Case(
            name: "3.3(g) an object ball off the table on the break: accept the table or ball in hand behind the head string",
            rack: breaking(.eightBall),
            action: shot(hit: 1, off: [12], rails: 4),
            expect: Expect(
                rule: "3.3(g)",
                foul: .ballOffTable,
                awaiting: (.b, [.acceptTable, .ballInHandKitchen]),
                onTable: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15]
            )
        ),
        Case(
            name: "3.4 the called ball legally made decides the groups",
            rack: rack(.eightBall),
            action: shot(hit: 3, made: [(3, 1)], call: (3, 1)),
            expect: Expect(rule: "3.4", next: .a, groups: solidsA)
        ),
        Case(
            name: "3.4 the called ball decides even when the other group also falls",
            rack: rack(.eightBall),
            action: shot(hit: 11, made: [(11, 2), (2, 5)], call: (11, 2)),
            expect: Expect(rule: "3.4", next: .a, groups: stripesA)
        ),
        Case(
            name: "3.4 the called ball decides even when the other group was hit first",
            rack: rack(.eightBall),
            action: shot(hit: 12, made: [(3, 1)], call: (3, 1)),
            expect: Expect(rule: "3.4", next: .a, groups: solidsA)
        ),
        Case(
            name: "3.4 a called ball made on a foul assigns nothing",
            rack: rack(.eightBall),
            action: shot(hit: 3, made: [(3, 1)], scratch: true, call: (3, 1)),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "3.4 the called ball missed, another made: the table stays open, play passes",
            rack: rack(.eightBall),
            action: shot(hit: 3, made: [(5, 4)], call: (3, 1)),
            expect: Expect(rule: "3.4", next: .b, onTable: [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        ),
        Case(
            name: "3.6 the called ball of the shooter's group made: continue",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 4, made: [(4, 6)], call: (4, 6)),
            expect: Expect(rule: "3.6", next: .a)
        ),
        Case(
            name: "3.6 a ball made but not the called one: the inning ends, it stays down",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 4, made: [(13, 6)], call: (4, 1)),
            expect: Expect(rule: "3.6", next: .b, onTable: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15])
        ),
        Case(
            name: "3.5 a safety ends the inning; a ball made stays down",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 4, made: [(4, 6)], safety: true),
            expect: Expect(rule: "3.5", next: .b, onTable: [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        ),
        Case(
            name: "3.8 the 8 in the called pocket after the group wins",
            rack: rack(.eightBall, on: [8, 9, 12], groupA: .solids),
            action: shot(hit: 8, made: [(8, 3)], call: (8, 3)),
            expect: Expect(rule: "3.8", result: win(.a, .gameBallPocketed, "3.8"))
        ),
        Case(
            name: "3.8(c) the 8 in another pocket loses",
            rack: rack(.eightBall, on: [8, 9, 12], groupA: .solids),
            action: shot(hit: 8, made: [(8, 4)], call: (8, 3)),
            expect: Expect(rule: "3.8(c)", result: win(.b, .eightWrongPocket, "3.8(c)"))
        ),
        Case(
            name: "3.8(b) the 8 before the group is cleared loses",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 2, made: [(8, 4)], call: (2, 3)),
            expect: Expect(rule: "3.8(b)", result: win(.b, .eightEarly, "3.8(b)"))
        ),
        Case(
            name: "3.8(b) the 8 with the last ball of the group loses",
            rack: rack(.eightBall, on: [7, 8, 9], groupA: .solids),
            action: shot(hit: 7, made: [(7, 1), (8, 2)], call: (7, 1)),
            expect: Expect(rule: "3.8(b)", result: win(.b, .eightEarly, "3.8(b)"))
        ),
        Case(
            name: "3.8(b) the 8 on an open table loses",
            rack: rack(.eightBall),
            action: shot(hit: 3, made: [(8, 2)], call: (3, 1)),
            expect: Expect(rule: "3.8(b)", result: win(.b, .eightEarly, "3.8(b)"))
        ),
        Case(
            name: "3.8(a) the 8 made on a scratch loses",
            rack: rack(.eightBall, on: [8, 9], groupA: .solids),
            action: shot(hit: 8, made: [(8, 3)], scratch: true, call: (8, 3)),
            expect: Expect(rule: "3.8(a)", foul: .scratch, result: win(.b, .eightOnFoul, "3.8(a)"))
        ),
        Case(
            name: "3.9 a scratch while playing the 8, the 8 stays up: only a foul",
            rack: rack(.eightBall, on: [8, 9], groupA: .solids),
            action: shot(hit: 8, scratch: true, call: (8, 3)),
            expect: Expect(rule: "6.1", foul: .scratch, next: .b, ballInHand: .anywhere)
        ),
        Case(
            name: "3.8(d) the 8 off the table loses",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: 1, off: [8], call: (1, 1)),
            expect: Expect(rule: "3.8(d)", foul: .ballOffTable, result: win(.b, .eightOffTable, "3.8(d)"))
        ),
        Case(
            name: "3.10 no three-foul rule in 8-ball",
            rack: rack(.eightBall, groupA: .solids),
            action: shot(hit: nil, rail: false),
            expect: Expect(rule: "6.3", foul: .noContact, next: .b, ballInHand: .anywhere, fouls: (0, 0))
        ),
        Case(
            name: "3.3(e) spot_8_continue: the 8 is spotted, the breaker plays on",
            rack: eightOnBreak(by: .a, [.spot8Continue, .rebreak]),
            action: .decision(.spot8Continue, .a),
            expect: Expect(rule: "3.3(e)", next: .a, spotted: [8], onTable: [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        ),
        Case(
            name: "3.3(f) spot_8_bih_kitchen: the 8 is spotted, ball in hand behind the head string",
            rack: eightOnBreak(by: .b, [.spot8BallInHandKitchen, .rebreak], rule: "3.3(f)"),
            action: .decision(.spot8BallInHandKitchen, .b),
            expect: Expect(rule: "3.3(f)", next: .b, ballInHand: .kitchen, spotted: [8])
        ),
        Case(
            name: "3.3(e) rebreak: re-racked, the chooser breaks",
            rack: eightOnBreak(by: .a, [.spot8Continue, .rebreak]),
            action: .decision(.rebreak, .a),
            expect: Expect(rule: "3.3(e)", next: .a, ballInHand: .kitchen, onTable: Array(1...15), rerack: true)
        ),
        Case(
            name: "3.3(d) rerack_offender_breaks: the breaker breaks again",
            rack: awaitingRack(.eightBall, by: .b, [.acceptTable, .rerackAndBreak, .rerackOffenderBreaks], reason: "illegal_break", rule: "3.3(d)"),
            action: .decision(.rerackOffenderBreaks, .b),
            expect: Expect(rule: "3.3(d)", next: .a, ballInHand: .kitchen, onTable: Array(1...15), rerack: true)
        ),
        Case(
            name: "3.3(d) rerack_and_break: the chooser breaks",
            rack: awaitingRack(.eightBall, by: .b, [.acceptTable, .rerackAndBreak, .rerackOffenderBreaks], reason: "illegal_break", rule: "3.3(d)"),
            action: .decision(.rerackAndBreak, .b),
            expect: Expect(rule: "3.3(d)", next: .b, ballInHand: .kitchen, onTable: Array(1...15), rerack: true)
        ),
        Case(
            name: "3.3(d) accept_table: the chooser plays the position, no ball in hand",
            rack: awaitingRack(.eightBall, by: .b, [.acceptTable, .rerackAndBreak, .rerackOffenderBreaks], reason: "illegal_break", rule: "3.3(d)"),
            action: .decision(.acceptTable, .b),
            expect: Expect(rule: "3.3(d)", next: .b)
        ),
        Case(
            name: "3.3(g) bih_kitchen: ball in hand behind the head string",
            rack: awaitingRack(.eightBall, by: .b, [.acceptTable, .ballInHandKitchen], reason: "break_foul", rule: "3.3(g)"),
            action: .decision(.ballInHandKitchen, .b),
            expect: Expect(rule: "3.3(g)", next: .b, ballInHand: .kitchen)
        ),
        Case(
            name: "concession: the other player wins the rack",
            rack: rack(.eightBall, groupA: .solids),
            action: .decision(.concede, .a),
            expect: Expect(rule: "concession", result: win(.b, .concede, "concession"))
        ),
    ]

    static func awaitingRack(_ game: R.Game, by: R.Player, _ options: [R.Option], reason: String = "push_out", rule: String? = nil) -> R.Rack {
        var rack = rack(game, shooter: by.other)
        rack.awaiting = R.PendingDecision(by: by, options: options, reason: reason, rule: rule ?? (game == .nineBall ? "2.4" : "9.4"))
        return rack
    }

    static func eightOnBreak(by: R.Player, _ options: [R.Option], rule: String = "3.3(e)") -> R.Rack {
        var rack = rack(.eightBall, on: [1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15], shooter: .a)
        rack.awaiting = R.PendingDecision(by: by, options: options, reason: "8_on_break", rule: rule)
        return rack
    }

    static let all = general + nineBall + tenBall + eightBall

    @Test("at least 60 cases, each naming its rule")
    func enoughCases() {
        #expect(Self.all.count >= 60)
        #expect(Self.all.allSatisfy { $0.name.first?.isNumber == true || $0.name.hasPrefix("concession") })
    }

    @Test("the ruling and the rack after it", arguments: all)
    func ruling(_ c: Case) throws {
        let (ruling, after) =
            switch c.action {
            case .shot(let shot): try R.judge(c.rack, shot)
            case .decision(let option, let player): try R.decide(c.rack, R.Decision(option, by: player))
            }
        let e = c.expect
        #expect(ruling.rule == e.rule, "rules \(ruling.rules): \(ruling.summary)")
        #expect(ruling.foul == e.foul)
        let illegalBreak = ruling.decision == nil && e.awaiting?.options.contains(.rerackAndBreak) == true
        #expect(ruling.legal == (e.foul == nil && !illegalBreak))
        #expect(ruling.next == e.next, "\(ruling.summary)")
        #expect(ruling.ballInHand == e.ballInHand)
        #expect(after.ballInHand == e.ballInHand)
        #expect(ruling.spotted == e.spotted)
        #expect(ruling.result == e.result)
        #expect(after.result == e.result)
        #expect(ruling.awaiting?.by == e.awaiting?.by)
        #expect(ruling.awaiting?.options == e.awaiting?.options)
        #expect(ruling.warning == e.warning)
        #expect(ruling.rerack == e.rerack)
        if let groups = e.groups { #expect(after.groups == groups && !after.openTable) } else { #expect(after.groups == c.rack.groups) }
        if let onTable = e.onTable { #expect(after.onTable == onTable) }
        if let fouls = e.fouls { #expect(after.fouls == R.PerPlayer(a: fouls.a, b: fouls.b)) }
        if let next = e.next { #expect(after.shooter == next) }
        #expect(ruling.rules.first == ruling.rule)
        #expect(!ruling.summary.isEmpty)
        #expect(throws: Never.self) { try after.validate() }
    }
}
