import DojoDomain
import Foundation
import Testing

/// A match in `auto` mode: shots read from the table's frames, declarations, reviews.
@Suite("Match: shots read from frames (auto mode)")
struct MatchVisionTests {
    typealias Table = MatchRefereeTests.Table
    static let alice = MatchRefereeTests.alice
    static let bob = MatchRefereeTests.bob
    static let carol = MatchRefereeTests.carol

    static func detection(_ confidence: Double = 0.95, doubts: [String] = []) -> Match.Detection {
        Match.Detection(deviceID: "cam1", from: 1_000, to: 4_000, confidence: confidence, doubts: doubts)
    }

    static func vision(_ shot: Referee.Shot, judgeable: Bool = true, table: String = "t1", confidence: Double = 0.95) -> Match.Command {
        .visionShot(shot, detection: detection(confidence), judgeable: judgeable ? .yes : .no, tableID: table)
    }

    /// Expects the command to be refused with `code`.
    static func refused(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("not refused; expected \(code)", sourceLocation: sourceLocation)
        } catch let error as DomainError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    static func auto(_ game: Match.GameType = .nineBall) throws -> Table {
        var table = try Table(game)
        try table.send(.setMode(.auto))
        return table
    }

    @Test("a clear shot is judged as the camera's own, with the frames' range and confidence in the event")
    func judged() throws {
        var table = try Self.auto()
        #expect(table.state.mode == .auto)
        let events = try table.send(
            Self.vision(Referee.Shot(shotId: "v1", firstContact: 1, railAfterContact: true, objectBallsToRail: 5)),
            as: Self.carol
        )
        guard case .shotRuled(_, _, let shot, _, _, let source, let detection, _) = events.first(where: { Match.eventType($0) == "match.shot" })
        else {
            Issue.record("no shot ruled: \(events)")
            return
        }
        #expect(source == "vision:cam1" && detection == Self.detection() && shot.shotId == "v1")
        // A replay of the same shot id changes nothing.
        #expect(throws: DomainError.self) { try table.send(Self.vision(Referee.Shot(shotId: "v1", firstContact: 1))) }
    }

    @Test("a declared call is merged into the next shot read from frames, and used once")
    func declarations() throws {
        var table = try Self.auto(.tenBall)
        try table.send(Self.vision(Referee.Shot(shotId: "brk", firstContact: 1, pocketed: [.init(ball: 2, pocket: 3)], objectBallsToRail: 4)))
        #expect(table.state.referee?.shooter == .a)
        try table.send(.declare(Match.Declaration(called: .init(ball: 1, pocket: 4))), as: Self.alice)
        #expect(table.state.declared?.called == .init(ball: 1, pocket: 4))
        let events = try table.send(
            Self.vision(Referee.Shot(shotId: "s2", firstContact: 1, pocketed: [.init(ball: 1, pocket: 4)], railAfterContact: true))
        )
        guard case .shotRuled(_, _, let shot, let ruling, _, _, _, _) = events[0] else {
            Issue.record("\(events)")
            return
        }
        #expect(shot.called == .init(ball: 1, pocket: 4) && ruling.legal && ruling.continues)
        #expect(table.state.declared == nil)
    }

    @Test("a doubtful shot opens a review: play waits, the scorer confirms or edits it in one command")
    func reviews() throws {
        var table = try Self.auto()
        let opened = try table.send(Self.vision(Referee.Shot(shotId: "v1", firstContact: 1, objectBallsToRail: 5), judgeable: false, confidence: 0.6))
        guard case .reviewOpened(let review, _) = opened.first else {
            Issue.record("\(opened)")
            return
        }
        #expect(review.shot.shotId == "v1" && review.reason.contains("60 %") && Match.eventType(opened[0]) == "match.review_opened")
        #expect(table.state.review != nil)
        // Play waits: no shot from frames, no declaration until the review is resolved.
        for command in [Self.vision(Referee.Shot(shotId: "v2", firstContact: 1)), .declare(.init(pushOut: true))] {
            Self.refused("match.under_review") { try table.send(command) }
        }
        Self.refused("match.not_scorer") { try table.send(.resolveReview(nil), as: Self.carol) }
        let resolved = try table.send(.resolveReview(nil))
        #expect(Match.eventType(resolved[0]) == "match.review_resolved")
        guard case .shotRuled(_, _, let shot, _, _, let source, let detection, _) = resolved[2] else {
            Issue.record("\(resolved)")
            return
        }
        #expect(shot.shotId == "v1" && source == "vision:cam1" && detection?.confidence == 0.6)
        #expect(table.state.review == nil)

        // An edited review is the scorer's shot, with the members given.
        try table.send(Self.vision(Referee.Shot(shotId: "v3", firstContact: 2), judgeable: false))
        let edited = try table.send(.resolveReview(Referee.Shot(firstContact: 2, pocketed: [.init(ball: 2, pocket: 5)], railAfterContact: true)))
        guard case .shotRuled(_, _, let fixed, _, _, let by, nil, _) = edited[1] else {
            Issue.record("\(edited)")
            return
        }
        #expect(fixed.shotId == "v3" && fixed.pocketed == [.init(ball: 2, pocket: 5)] && by == "scorer")
        Self.refused("match.no_review") { try table.send(.resolveReview(nil)) }
    }

    @Test("the two players resolve a review together: the second matching proposal judges it; differing ones wait")
    func playersTogether() throws {
        var table = try Table()
        // A match whose scorer (carol) is not one of its players.
        table = try {
            var fresh = table
            fresh.state = Match.initialState(id: "m2")
            fresh.events = []
            try fresh.send(
                .create(.init(playerA: "alice", playerB: "bob", gameType: .nineBall, raceTo: 3, venueID: "hall", tableID: "t1", scorer: "carol")),
                as: Self.alice
            )
            try fresh.send(.start, as: Self.carol)
            try fresh.send(.setMode(.auto), as: Self.carol)
            return fresh
        }()
        try table.send(Self.vision(Referee.Shot(shotId: "v1", firstContact: 1, objectBallsToRail: 5), judgeable: false))
        let edit = Referee.Shot(firstContact: 1, pocketed: [.init(ball: 3, pocket: 2)], objectBallsToRail: 5)
        // Alice proposes an edit, Bob proposes the shot as read: they differ, the review waits.
        #expect(try table.send(.resolveReview(edit), as: Self.alice).map(Match.eventType) == ["match.review_proposed"])
        #expect(try table.send(.resolveReview(nil), as: Self.bob).map(Match.eventType) == ["match.review_proposed"])
        #expect(table.state.review?.proposals?.count == 2)
        // Bob agrees with Alice's edit (his shot id and time are not part of it): judged as the players'.
        var same = edit
        same.shotId = "whatever"
        let events = try table.send(.resolveReview(same), as: Self.bob)
        #expect(events.map(Match.eventType).prefix(3) == ["match.review_proposed", "match.review_resolved", "match.rack_started"], "\(events)")
        guard let ruled = events.first(where: { Match.eventType($0) == "match.shot" }),
            case .shotRuled(_, _, let shot, _, _, let source, _, _) = ruled
        else {
            Issue.record("\(events)")
            return
        }
        #expect(source == "players" && shot.shotId == "v1" && shot.pocketed == edit.pocketed)
        #expect(table.state.review == nil)
    }

    @Test("between racks a declaration is checked against the fresh rack the next shot breaks")
    func betweenRacks() throws {
        var table = try Self.auto(.nineBall)
        // A golden break ends rack 1 (the 9 made on the break).
        try table.send(Self.vision(Referee.Shot(shotId: "b1", firstContact: 1, pocketed: [.init(ball: 9, pocket: 3)], objectBallsToRail: 4)))
        #expect(table.state.rack == nil && table.state.racksPlayed == 1)
        // The 9 is racked again: it may be named; no push-out before the break.
        try table.send(.declare(.init(called: .init(ball: 9, pocket: 1))))
        #expect(table.state.declared?.called?.ball == 9)
        Self.refused("referee.push_out_not_available") { try table.send(.declare(.init(pushOut: true))) }
    }

    @Test("a shot the referee cannot judge as read goes to review instead of being lost")
    func refusedAsRead() throws {
        var table = try Self.auto()
        let events = try table.send(Self.vision(Referee.Shot(shotId: "v1", firstContact: 1, pocketed: [.init(ball: 12, pocket: 1)])))
        guard case .reviewOpened(let review, _) = events.first else {
            Issue.record("\(events)")
            return
        }
        #expect(review.reason.contains("ball 12 is not on the table"))
    }

    @Test("refusals: not auto, another table, not live, who may set the mode and declare, declarations the rack forbids")
    func refusals() throws {
        var manual = try Table()
        Self.refused("match.not_auto") { try manual.send(Self.vision(Referee.Shot(shotId: "v", firstContact: 1))) }
        Self.refused("match.not_auto") { try manual.send(.declare(.init(safety: true))) }
        Self.refused("match.not_scorer") { try manual.send(.setMode(.auto), as: Self.bob) }

        var table = try Self.auto()
        Self.refused("match.wrong_table") {
            try table.send(Self.vision(Referee.Shot(shotId: "v", firstContact: 1), table: "t2"))
        }
        Self.refused("match.not_player") { try table.send(.declare(.init(safety: true)), as: Self.carol) }
        Self.refused("referee.invalid_shot") { try table.send(.declare(.init(safety: true))) }
        Self.refused("referee.push_out_not_available") { try table.send(.declare(.init(pushOut: true))) }
        Self.refused("referee.invalid_pocket") { try table.send(.declare(.init(called: .init(ball: 1, pocket: 7)))) }
        Self.refused("referee.ball_not_on_table") { try table.send(.declare(.init(called: .init(ball: 12, pocket: 1)))) }
        #expect(try table.send(.setMode(.auto)).isEmpty)
        try table.send(.setMode(.manual))
        #expect(table.state.mode == nil)
    }

    @Test("a state saved before auto mode existed reads back as manual, with nothing declared or reviewed")
    func oldSnapshots() throws {
        let table = try Self.auto()
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(table.state)) as? [String: Any])
        for key in ["mode", "declared", "review"] { object.removeValue(forKey: key) }
        let state = try JSONDecoder().decode(Match.State.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(state.mode == nil && state.declared == nil && state.review == nil && state.status == .live)
    }
}
