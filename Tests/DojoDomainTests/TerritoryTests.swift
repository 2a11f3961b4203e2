import DojoDomain
import Foundation
import Testing

private let alice = Principal.user("alice")
private let bob = Principal.user("bob")
private let carol = Principal.user("carol")
private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

private func run(
    _ commands: [(Territory.Command, Principal)],
    from start: Territory.State = Territory.initialState(id: "tr1")
) throws -> (
    Territory.State, [Territory.Event]
) {
    var state = start
    var all: [Territory.Event] = []
    for (command, principal) in commands {
        let events = try Territory.decide(state, command, CommandContext(principal: principal, now: now))
        for event in events { Territory.apply(&state, event) }
        all += events
    }
    return (state, all)
}

private func refusal(_ commands: [(Territory.Command, Principal)]) -> String? {
    do {
        _ = try run(commands)
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return "\(error)"
    }
}

private let created: [(Territory.Command, Principal)] = [(.create(name: "The Hall", venueID: "v1", location: .init(lat: 51.5, lng: -0.1)), alice)]

/// A contest for the territory, played in `match`, won by `winner`.
private func contest(
    _ challenger: Principal,
    opponent: String? = nil,
    clan: String? = nil,
    match: String,
    winner: String,
    answeredBy: Principal
)
    -> [(Territory.Command, Principal)]
{
    [
        (.challenge(opponentID: opponent, clanID: clan), challenger),
        (.respond(accept: true, matchID: match, gameType: .nineBall, raceTo: 3), answeredBy),
        (.resolve(matchID: match, winnerID: winner, winnerClanID: winner == challenger.userID ? clan : nil), .system),
    ]
}

/// Alice claims the unclaimed territory by beating bob in m1.
private let claimed = created + contest(alice, opponent: "bob", clan: "k1", match: "m1", winner: "alice", answeredBy: bob)

@Suite("Territory: decide and apply")
struct TerritoryTests {
    @Test("an unclaimed territory goes to the winner of its first match; the holder's wins defend it, every third upgrades it")
    func claimAndDefend() throws {
        let (state, events) = try run(claimed)
        #expect(state.ownerID == "alice" && state.clanID == "k1" && state.level == 1 && state.contest == nil)
        #expect(events.map(Territory.eventType).suffix(3) == ["territory.challenged", "territory.match_scheduled", "territory.claimed"])
        var commands = claimed
        for round in 1...6 { commands += contest(bob, match: "d\(round)", winner: "alice", answeredBy: alice) }
        let (defended, all) = try run(commands)
        #expect(defended.ownerID == "alice" && defended.defenseScore == 6 && defended.level == 3)
        #expect(all.filter { Territory.eventType($0) == "territory.upgraded" }.count == 2)
        #expect(Territory.replay(all, from: Territory.initialState(id: "tr1")) == defended, "replay == live")
    }

    @Test("the challenger wins: LOSE for the holder, CLAIM for the challenger (and their clan), one level down")
    func capture() throws {
        var commands = claimed
        for round in 1...3 { commands += contest(bob, match: "d\(round)", winner: "alice", answeredBy: alice) }
        commands += contest(carol, clan: "k2", match: "m9", winner: "carol", answeredBy: alice)
        let (state, events) = try run(commands)
        #expect(state.ownerID == "carol" && state.clanID == "k2" && state.level == 1 && state.defenseScore == 0)
        #expect(events.suffix(2).map(Territory.eventType) == ["territory.lost", "territory.claimed"])
        if case .lost(let owner, let clan, let match, _) = events.suffix(2).first! { #expect(owner == "alice" && clan == "k1" && match == "m9") }
    }

    @Test(
        "the legacy import's restore: a new territory gets its holder, clan, level and score as a match would leave them; once; never over a history, never by a player"
    )
    func restore() throws {
        let (state, events) = try run(created + [(.restore(ownerID: "bob", clanID: "k2", level: 3, defenseScore: 4), .system)])
        #expect(state.ownerID == "bob" && state.clanID == "k2" && state.level == 3 && state.defenseScore == 4)
        #expect(events.dropFirst().map(\.at) == [now, now] && events.count == 3)
        guard case .claimed(_, _, let match, _, _) = events[1] else {
            Issue.record("no claim: \(events)")
            return
        }
        #expect(match == Territory.restoredMatchID)
        // The same restore again changes nothing (a second import run).
        #expect(
            try Territory.decide(
                state,
                .restore(ownerID: "bob", clanID: "k2", level: 3, defenseScore: 4),
                CommandContext(principal: .system, now: now)
            ).isEmpty
        )
        #expect(try run(created + [(.restore(ownerID: "bob", clanID: nil, level: 1, defenseScore: 0), .system)]).1.count == 2)
        #expect(refusal(claimed + [(.restore(ownerID: "bob", clanID: nil, level: 1, defenseScore: 0), .system)]) == "territory.has_history")
        #expect(refusal(created + [(.restore(ownerID: "bob", clanID: nil, level: 1, defenseScore: 0), alice)]) == "forbidden")
        #expect(refusal(created + [(.restore(ownerID: "bob", clanID: nil, level: 0, defenseScore: 0), .system)]) == "territory.invalid_level")
        #expect(refusal(created + [(.restore(ownerID: "bob", clanID: nil, level: 6, defenseScore: 0), .system)]) == "territory.invalid_level")
        #expect(
            refusal(created + [(.restore(ownerID: "bob", clanID: nil, level: 1, defenseScore: -1), .system)]) == "territory.invalid_defense_score"
        )
        #expect(refusal(created + [(.restore(ownerID: "b o b", clanID: nil, level: 1, defenseScore: 0), .system)]) == "territory.invalid_id")
    }

    @Test("the level never passes the maximum")
    func maximumLevel() throws {
        var commands = claimed
        for round in 1...(Territory.defencesPerLevel * (Territory.maximumLevel + 2)) {
            commands += contest(bob, match: "d\(round)", winner: "alice", answeredBy: alice)
        }
        let (state, events) = try run(commands)
        #expect(state.level == Territory.maximumLevel)
        #expect(events.filter { Territory.eventType($0) == "territory.upgraded" }.count == Territory.maximumLevel - 1)
    }

    @Test("a result is applied once: a redelivered or stale resolve changes nothing; a cancelled match ends the contest with no change")
    func idempotentResults() throws {
        let (state, _) = try run(claimed)
        #expect(
            try Territory.decide(state, .resolve(matchID: "m1", winnerID: "bob", winnerClanID: nil), CommandContext(principal: .system, now: now))
                .isEmpty
        )
        let (abandoned, events) = try run(
            claimed + [
                (.challenge(opponentID: nil, clanID: nil), bob), (.respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 2), alice),
                (.abandon(matchID: "m2"), .system),
            ]
        )
        #expect(abandoned.ownerID == "alice" && abandoned.contest == nil && events.last.map(Territory.eventType) == "territory.contest_abandoned")
        #expect(try Territory.decide(abandoned, .abandon(matchID: "m2"), CommandContext(principal: .system, now: now)).isEmpty)
    }

    @Test(
        "refusals: each with its code, changing nothing",
        arguments: [
            ([(Territory.Command.resolve(matchID: "m1", winnerID: "bob", winnerClanID: nil), bob)], "forbidden"),  // claiming without a match
            ([(.abandon(matchID: "m1"), alice)], "forbidden"),
            ([(.challenge(opponentID: nil, clanID: nil), alice)], "territory.own_territory"),
            ([(.challenge(opponentID: nil, clanID: "k1"), carol)], "territory.same_clan"),
            ([(.challenge(opponentID: "carol", clanID: nil), bob)], "territory.wrong_opponent"),
            ([(.challenge(opponentID: nil, clanID: nil), bob), (.challenge(opponentID: nil, clanID: nil), carol)], "territory.contested"),
            (
                [(.challenge(opponentID: nil, clanID: nil), bob), (.respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 3), bob)],
                "forbidden"
            ),
            (
                [(.challenge(opponentID: nil, clanID: nil), bob), (.respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 100), alice)],
                "match.invalid_race"
            ),
            (
                [
                    (.challenge(opponentID: nil, clanID: nil), bob),
                    (.respond(accept: true, matchID: "bad id", gameType: .eightBall, raceTo: 3), alice),
                ], "territory.invalid_id"
            ),
            ([(.respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 3), alice)], "territory.no_challenge"),
            (
                [
                    (.challenge(opponentID: nil, clanID: nil), bob), (.respond(accept: true, matchID: "m2", gameType: .eightBall, raceTo: 3), alice),
                    (.withdraw, bob),
                ], "territory.match_scheduled"
            ),
            ([(.challenge(opponentID: nil, clanID: nil), bob), (.withdraw, carol)], "forbidden"),
            ([(.create(name: "Again", venueID: "v1", location: .init(lat: 0, lng: 0)), alice)], "territory.already_exists"),
        ] as [([(Territory.Command, Principal)], String)]
    )
    func refusals(_ commands: [(Territory.Command, Principal)], _ code: String) throws {
        #expect(refusal(claimed + commands) == code)
    }

    @Test("creation: a name, an unclaimed territory needs a named opponent, nothing exists before creation")
    func creation() {
        #expect(refusal([(.create(name: "  ", venueID: "v1", location: .init(lat: 0, lng: 0)), alice)]) == "territory.invalid_name")
        #expect(
            refusal([(.create(name: String(repeating: "n", count: 81), venueID: "v1", location: .init(lat: 0, lng: 0)), alice)])
                == "territory.invalid_name"
        )
        #expect(refusal(created + [(.challenge(opponentID: nil, clanID: nil), bob)]) == "territory.opponent_required")
        #expect(refusal(created + [(.challenge(opponentID: "bob", clanID: nil), bob)]) == "territory.wrong_opponent")
        #expect(refusal([(.challenge(opponentID: "bob", clanID: nil), alice)]) == "territory.not_found")
    }

    @Test("a territory match's end, as a reaction: completion resolves with the winner, cancellation abandons")
    func reactions() {
        var match = Match.initialState(id: "m1")
        match.playerA = "alice"
        match.playerB = "bob"
        match.territoryID = "tr1"
        let done = Reactions.onTerritoryMatchEvent(.completed(winner: .b, scoreA: 1, scoreB: 3, reason: nil, at: now), state: match)
        #expect(done?.territoryID == "tr1" && done?.command == .resolve(matchID: "m1", winnerID: "bob", winnerClanID: nil))
        #expect(Reactions.onTerritoryMatchEvent(.cancelled(reason: nil, at: now), state: match)?.command == .abandon(matchID: "m1"))
        #expect(Reactions.onTerritoryMatchEvent(.started(at: now), state: match) == nil)
        match.territoryID = nil
        #expect(Reactions.onTerritoryMatchEvent(.completed(winner: .a, scoreA: 3, scoreB: 0, reason: nil, at: now), state: match) == nil)
    }
}
