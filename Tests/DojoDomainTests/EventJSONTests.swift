import DojoDomain
import Foundation
import Testing

@Suite("Event JSON: the hand-written encoding reads back through Codable")
struct EventJSONTests {
    static let at = Timestamp(millisecondsSince1970: 1_795_881_920_513)
    static let tricky = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} ünïcødé ✓ 🎱 </script>"

    static let matchEvents: [Match.Event] = [
        .created(terms: .init(playerA: "a", playerB: "b", gameType: .tenBall, raceTo: 7), scorer: "a", createdBy: nil, at: at),
        .created(terms: .init(playerA: "a", playerB: "b", gameType: .nineBall, raceTo: 7, breakRule: .winner), scorer: "a", createdBy: nil, at: at),
        .created(
            terms: .init(playerA: "a", playerB: "b", gameType: .eightBall, raceTo: 1, venueID: "v", tableID: "t", tournamentID: "x", scorer: "s"),
            scorer: "s",
            createdBy: "root",
            at: at
        ),
        .started(at: at),
        .rackStarted(rack: 3, breaker: .b, at: at),
        .shot(rack: 1, shooter: .a, pocketed: [], at: at),
        .shot(rack: 1, shooter: .b, pocketed: [1, 9, 15], at: at),
        .rackEnded(rack: 2, winner: .a, scoreA: 2, scoreB: 0, at: at),
        ruled(Referee.Shot(shotId: "s \"1\"", firstContact: 1, pocketed: [.init(ball: 9, pocket: 2)], objectBallsToRail: 3, observedAt: tricky)),
        ruled(Referee.Shot(firstContact: nil, cueBallPocketed: true)),
        .decided(
            rack: 1,
            side: .b,
            ruling: try! Referee.decide(Referee.Rack(game: .eightBall, breaker: .a), .init(.concede, by: .b)).ruling,
            after: Referee.Rack(game: .eightBall, breaker: .b),
            at: at
        ),
        .corrected(
            rack: 1,
            shotID: "s1",
            reason: tricky,
            by: "root",
            restored: Match.Undo(shotID: nil, rack: nil, referee: nil, scoreA: 1, scoreB: 0, racksPlayed: 1, nextBreaker: .b),
            at: at
        ),
        .commentary(text: tricky, at: at),
        .completed(winner: .b, scoreA: 1, scoreB: 3, reason: nil, at: at),
        .completed(winner: .b, scoreA: 1, scoreB: 3, reason: tricky, at: at),
        .cancelled(reason: nil, at: Timestamp(millisecondsSince1970: -1)),
        .cancelled(reason: "rain", at: at),
        .created(terms: .init(playerA: "a", playerB: "b", gameType: .nineBall, raceTo: 3, mode: .auto), scorer: "a", createdBy: "a", at: at),
        .modeSet(mode: .auto, at: at),
        .modeSet(mode: .manual, at: at),
        .declared(declaration: .init(called: .init(ball: 3, pocket: 6), safety: false, pushOut: false), by: "a", at: at),
        .declared(declaration: .init(pushOut: true), by: nil, at: at),
        .reviewOpened(
            review: .init(
                shot: Referee.Shot(shotId: "vision-c1-500", firstContact: 2, pocketed: [.init(ball: 2, pocket: 3)]),
                detection: detection,
                reason: tricky,
                openedAt: at
            ),
            at: at
        ),
        .reviewProposed(side: .b, proposal: .init(shot: nil), by: "b", at: at),
        .reviewProposed(side: .a, proposal: .init(shot: Referee.Shot(firstContact: 2, railAfterContact: true)), by: "a", at: at),
        .reviewOpened(
            review: .init(
                shot: Referee.Shot(shotId: "v9", firstContact: 1),
                detection: detection,
                reason: "r",
                openedAt: at,
                proposals: ["A": .init(shot: nil), "B": .init(shot: Referee.Shot(firstContact: 1))]
            ),
            at: at
        ),
        .reviewResolved(shotID: "vision-c1-500", edited: true, by: "s", at: at),
        .reviewResolved(shotID: nil, edited: false, by: nil, at: at),
        ruled(Referee.Shot(shotId: "vision-c1-900", firstContact: 1, railAfterContact: true), detection: detection),
    ]

    static let detection = Match.Detection(deviceID: "c1", from: 500, to: 3_467, confidence: 0.62, doubts: [tricky, "ball 3 vanished"])

    static func ruled(_ shot: Referee.Shot, detection: Match.Detection? = nil) -> Match.Event {
        let rack = Referee.Rack(game: .nineBall, breaker: .a)
        let (ruling, after) = try! Referee.judge(rack, shot)
        return .shotRuled(
            rack: 1,
            shooter: .a,
            shot: shot,
            ruling: ruling,
            after: after,
            source: detection == nil ? "camera:c1" : "vision:c1",
            detection: detection,
            at: at
        )
    }

    static let venueEvents: [Venue.Event] = [
        .registered(name: tricky, location: .init(lat: 51.5074, lng: -0.1278), address: nil, ownerID: nil, at: at),
        .registered(name: "Hall", location: .init(lat: -90, lng: 180), address: "1 Cue St", ownerID: "o", at: at),
        .registered(name: "Hall", location: .init(lat: 1e-7, lng: 0.1 + 0.2), address: nil, ownerID: "o", at: at),
        .tableAdded(tableID: "t1", name: "Table 1", at: at),
        .maintenanceChanged(tableID: "t1", on: true, at: at),
        .maintenanceChanged(tableID: "t1", on: false, at: at),
        .adminGranted(userID: "u", at: at),
        .adminRevoked(userID: "u", at: at),
        .checkedIn(userID: "u", method: .geo, at: at),
        .tableOccupied(tableID: "t1", matchID: "m1", at: at),
        .tableReleased(tableID: "t1", matchID: "m1", at: at),
    ]

    static let clanEvents: [Clan.Event] = [
        .created(name: "Breakers", description: nil, leaderID: "a", at: at),
        .created(name: "Ｂreakers ✓", description: tricky, leaderID: "a", at: at),
        .described(description: "d", by: "a", at: at),
        .described(description: nil, by: nil, at: at),
        .invited(userID: "b", by: "a", at: at),
        .requested(userID: "b", at: at),
        .declined(userID: "b", by: nil, at: at),
        .joined(userID: "b", role: .member, at: at),
        .left(userID: "b", at: at),
        .kicked(userID: "b", by: "a", at: at),
        .roleChanged(userID: "b", role: .officer, by: "a", at: at),
        .leadershipTransferred(from: "a", to: "b", at: at),
        .disbanded(by: "a", at: at),
        .disbanded(by: nil, at: at),
        .warStarted(war: Clan.War(id: "w", declaredBy: "k1", defenderID: "k2", target: 3, startsAt: at, endsAt: at, side: "k2"), at: at),
        .warScored(warID: "w", matchID: "m", won: true, ours: 1, theirs: 0, at: at),
        .warEnded(warID: "w", result: .drawn, ours: 1, theirs: 1, reason: "deadline", at: at),
    ]

    @Test("every clan event: decodes back, and the same bytes as JSONEncoder with sorted keys", arguments: clanEvents)
    func clan(_ event: Clan.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Clan.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(writer.text == String(decoding: try encoder.encode(event), as: UTF8.self))
    }

    static let territoryEvents: [Territory.Event] = [
        .created(name: tricky, venueID: "v1", location: .init(lat: 51.5, lng: -0.25), at: at),
        .challenged(challengerID: "a", clanID: "k1", opponentID: "b", at: at),
        .challenged(challengerID: "a", clanID: nil, opponentID: "b", at: at),
        .challengeDeclined(by: "b", at: at),
        .challengeWithdrawn(at: at),
        .matchScheduled(matchID: "m1", at: at),
        .claimed(ownerID: "a", clanID: nil, matchID: "m1", level: 2, at: at),
        .lost(ownerID: "a", clanID: "k1", matchID: "m1", at: at),
        .defended(ownerID: "a", matchID: "m1", defenseScore: 4, at: at),
        .upgraded(level: 3, at: at),
        .contestAbandoned(matchID: "m1", at: at),
    ]

    static let accountEvents: [Account.Event] = [
        .debited(
            Account.Transfer(id: "t1", from: "issuance", to: "user-a", amount: 5, type: .credit, reference: "grant:welcome"),
            balance: -5,
            at: at
        ),
        .credited(Account.Transfer(id: "t2", from: "user-b", to: "user-a", amount: 1_000_000_000, type: .prize), balance: 7, at: at),
    ]

    static let challengeEvents: [Challenge.Event] = [
        .created(Challenge.Terms(challengerID: "a", defenderID: "b", expiresAt: at), at: at),
        .created(
            Challenge.Terms(
                challengerID: "a",
                defenderID: "b",
                venueID: "v1",
                tableID: "t1",
                gameType: .nineBall,
                raceTo: 5,
                stake: 500_000_000,
                feeBasisPoints: 250,
                expiresAt: at
            ),
            at: at
        ),
        .acceptRequested(attempt: 2, matchID: "m1", at: at),
        .acceptFailed(attempt: 1, failure: .init(code: "ledger.insufficient_funds", message: tricky, debited: [.challenger]), at: at),
        .acceptFailed(attempt: 1, failure: .init(code: "x", message: "", debited: []), at: at),
        .accepted(matchID: "m1", at: at),
        .declined(at: at), .withdrawn(at: at), .expired(at: at),
        .settled(matchID: "m1", winnerID: "b", prize: 975, fee: 25, at: at),
        .refunded(matchID: "m1", at: at),
    ]

    @Test("every challenge event: decodes back, and the same bytes as JSONEncoder with sorted keys", arguments: challengeEvents)
    func challenge(_ event: Challenge.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Challenge.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(writer.text == String(decoding: try encoder.encode(event), as: UTF8.self))
    }

    @Test("every account event: decodes back, and the same bytes as JSONEncoder with sorted keys", arguments: accountEvents)
    func account(_ event: Account.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Account.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(writer.text == String(decoding: try encoder.encode(event), as: UTF8.self))
    }

    @Test("every territory event decodes back", arguments: territoryEvents)
    func territory(_ event: Territory.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Territory.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
    }

    @Test("every match event", arguments: matchEvents)
    func match(_ event: Match.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Match.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
        #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes)) is [String: Any])
    }

    @Test("every venue event", arguments: venueEvents)
    func venue(_ event: Venue.Event) throws {
        var writer = JSONWriter()
        event.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(Venue.Event.self, from: Data(writer.bytes)) == event, "\(writer.text)")
    }

    @Test("the same bytes as JSONEncoder with sorted keys, where no floating point is involved")
    func sameAsFoundation() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for event in Self.matchEvents where !{ if case .commentary = event { true } else { false } }() {
            var writer = JSONWriter()
            event.writeJSON(to: &writer)
            #expect(writer.text == String(decoding: try encoder.encode(event), as: UTF8.self))
        }
    }
}
