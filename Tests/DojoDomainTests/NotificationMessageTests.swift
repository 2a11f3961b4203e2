import DojoDomain
import Foundation
import Testing

@Suite("Notification messages and the delivery policy")
struct NotificationMessageTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func item(
        _ index: Int,
        _ type: String = "challenge.received",
        _ payload: [String: String] = ["from": "alice", "stakeCoins": "50"]
    )
        -> NotificationMessage.Item
    {
        NotificationMessage.Item(id: "n\(index)", type: type, payload: payload, createdAt: t0.addingTimeInterval(Double(index)))
    }

    @Test("one notification is its own message; several make a digest, oldest first, at most 20 lines and a count of the rest")
    func compose() {
        let single = NotificationMessage.compose([item(0)])
        #expect(
            single
                == NotificationMessage(subject: "alice challenged you for 50 coins.", body: "alice challenged you for 50 coins.\n", isDigest: false)
        )

        let digest = NotificationMessage.compose([
            item(2, "territory.lost", ["territoryName": "Soho"]), item(1, "achievement.earned", ["name": "First win", "points": "10"]),
        ])
        #expect(digest.isDigest && digest.subject == "DojoPool: 2 new notifications")
        #expect(digest.body == "- Achievement earned: First win (10 points).\n- You lost Soho.\n")

        let busy = NotificationMessage.compose((0..<50).map { item($0) })
        #expect(busy.subject == "DojoPool: 50 new notifications")
        #expect(busy.body.split(separator: "\n").count == 21 && busy.body.hasSuffix("… and 30 more in the app.\n"))
    }

    @Test("every notification type has its words; an unknown one and a missing member still read")
    func lines() {
        let lines = [
            NotificationMessage.line("challenge.accepted", ["by": "bob", "matchId": "m1"]),
            NotificationMessage.line("challenge.declined", ["by": "bob"]),
            NotificationMessage.line("tournament.match_ready", ["opponentId": "carol", "tournamentName": "Friday 9-ball", "tableId": "t3"]),
            NotificationMessage.line("tournament.match_ready", ["opponentId": "carol", "tournamentName": "Friday 9-ball"]),
            NotificationMessage.line("tournament.finished", ["tournamentName": "Friday 9-ball", "place": "2"]),
            NotificationMessage.line("territory.challenged", ["by": "dan", "territoryName": "Soho"]),
            NotificationMessage.line("clan.territory_lost", ["territoryName": "Soho", "holderId": "erin"]),
            NotificationMessage.line("match.ready", ["opponentId": "bob", "tableId": "t3"]),
            NotificationMessage.line("something.new", [:]),
            NotificationMessage.line("challenge.declined", [:]),
        ]
        #expect(
            lines == [
                "bob accepted your challenge: match m1.", "bob declined your challenge.",
                "Your match against carol in Friday 9-ball is ready at table t3.", "Your match against carol in Friday 9-ball is ready.",
                "Friday 9-ball is over: you placed 2.", "dan challenged you for Soho.", "Your clan lost Soho: erin was beaten.",
                "Your match against bob is ready at table t3.", "New notification: something.new.",
                "? declined your challenge.",
            ]
        )
    }

    @Test("at most `limit` messages in any window: below it send; at it wait until the oldest that must leave is a window old")
    func policy() {
        let policy = DeliveryPolicy(limit: 2, window: .seconds(3_600))
        #expect(policy.decide(sent: [], now: t0) == .send)
        #expect(policy.decide(sent: [t0], now: t0.addingTimeInterval(1)) == .send)
        #expect(policy.decide(sent: [t0.addingTimeInterval(10), t0], now: t0.addingTimeInterval(20)) == .wait(until: t0.addingTimeInterval(3_600)))
        // Messages older than the window do not count.
        #expect(policy.decide(sent: [t0.addingTimeInterval(-4_000), t0.addingTimeInterval(-3_700), t0], now: t0.addingTimeInterval(5)) == .send)
        // Three in the window with a limit of 2: two must leave, so the wait ends when the second oldest is a window old.
        let three = [t0, t0.addingTimeInterval(100), t0.addingTimeInterval(200)]
        #expect(policy.decide(sent: three, now: t0.addingTimeInterval(300)) == .wait(until: t0.addingTimeInterval(3_700)))
        #expect(policy.decide(sent: three, now: t0.addingTimeInterval(3_701)) == .send)
        #expect(
            DeliveryPolicy(limit: 1, window: .seconds(60)).decide(sent: [t0], now: t0.addingTimeInterval(59))
                == .wait(until: t0.addingTimeInterval(60))
        )
    }

    @Test(
        "who is told: a territory lost tells its holder and every other member of its clan; a match put at a table tells its players but its creator; tournament matches are their tournament's"
    )
    func rules() {
        let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
        let lost = NotificationRules.onTerritory(
            .lost(ownerID: "erin", clanID: "k1", matchID: "m9", at: now),
            territoryID: "tr1",
            name: "Soho",
            clanMembers: ["zed", "erin", "amy"]
        )
        #expect(
            lost.map(\.userID) == ["erin", "amy", "zed"] && lost.map(\.type) == ["territory.lost", "clan.territory_lost", "clan.territory_lost"]
        )
        #expect(lost.allSatisfy { $0.payload["clanId"] == "k1" && $0.payload["holderId"] == "erin" && $0.payload["matchId"] == "m9" })
        #expect(
            NotificationRules.onTerritory(.lost(ownerID: "erin", clanID: nil, matchID: "m9", at: now), territoryID: "tr1", name: "Soho").count == 1
        )

        let terms = Match.Terms(playerA: "ann", playerB: "ben", gameType: .nineBall, raceTo: 5, venueID: "v1", tableID: "t3")
        let created = NotificationRules.onMatch(.created(terms: terms, scorer: "ann", createdBy: "ann", at: now))
        #expect(created == [NotificationDraft(userID: "ben", type: "match.ready", payload: ["tableId": "t3", "opponentId": "ann", "venueId": "v1"])])
        #expect(NotificationRules.onMatch(.created(terms: terms, scorer: "staff", createdBy: "staff", at: now)).map(\.userID) == ["ann", "ben"])
        var noTable = terms
        noTable.tableID = nil
        #expect(NotificationRules.onMatch(.created(terms: noTable, scorer: "ann", createdBy: "staff", at: now)).isEmpty)
        var tournament = terms
        tournament.tournamentID = "tn1"
        #expect(NotificationRules.onMatch(.created(terms: tournament, scorer: "ann", createdBy: nil, at: now)).isEmpty)
        var state = Match.State(id: "m1")
        state.playerA = "ann"
        state.playerB = "ben"
        #expect(NotificationRules.onMatchMoved(to: "t4", state: state).map(\.payload["tableId"]) == ["t4", "t4"])
    }
}
