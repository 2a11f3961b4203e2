import DojoDomain
import Foundation
import Testing

@Suite("Player statistics from a match")
struct MatchPlayerStatsTests {
    typealias Shot = Referee.Shot

    @Test("a scripted 9-ball match: golden breaks, a break-and-run, a foul, a corrected shot that counts nowhere, visits and balls")
    func scripted() throws {
        var table = try MatchRefereeTests.Table(.nineBall, raceTo: 3)
        try table.shot(MatchRefereeTests.made(9, hit: 1))  // rack 1: A's golden break
        try table.shot(MatchRefereeTests.made(1, hit: 1), as: MatchRefereeTests.alice)  // rack 2: B breaks (scorer alice), pockets the 1…
        try table.shot(MatchRefereeTests.made(2, hit: 2))  // …the 2…
        try table.shot(MatchRefereeTests.made(9, hit: 3))  // …and the 9 off the 3: B's break-and-run
        try table.shot(Shot(firstContact: 1, railAfterContact: true, objectBallsToRail: 4))  // rack 3: A breaks dry
        try table.shot(Shot(firstContact: 2, railAfterContact: true))  // B hits the 2 first: foul
        try table.shot(MatchRefereeTests.made(1, hit: 1))  // A, ball in hand, pockets the 1…
        try table.send(.correct(reason: "wrong ball reported", venueAdmin: false))  // …taken back
        try table.shot(MatchRefereeTests.made(9, hit: 1))  // A pockets the 9 off the 1
        try table.shot(MatchRefereeTests.made(9, hit: 1))  // rack 4: B's golden break
        try table.shot(MatchRefereeTests.made(9, hit: 1))  // rack 5: A's golden break: 3–2
        #expect(table.state.status == .completed)

        let (a, b) = try #require(MatchPlayerStats.of(table.events))
        var expectedA = MatchPlayerStats()
        expectedA.won = true
        expectedA.racksWon = 3
        expectedA.racksLost = 2
        expectedA.breaks = 3
        expectedA.goldenBreaks = 2
        expectedA.visits = 4
        expectedA.ballsInVisits = 3
        var expectedB = MatchPlayerStats()
        expectedB.racksWon = 2
        expectedB.racksLost = 3
        expectedB.breaks = 2
        expectedB.goldenBreaks = 1
        expectedB.breakAndRuns = 1
        expectedB.fouls = 1
        expectedB.visits = 3
        expectedB.ballsInVisits = 4
        #expect(a == expectedA)
        #expect(b == expectedB)
    }

    @Test("racks entered whole count as racks only; a match not completed has no statistics")
    func wholeRacks() throws {
        var table = try MatchRefereeTests.Table(.eightBall, raceTo: 2)
        try table.send(.recordRack(winner: .b, breaker: nil))
        #expect(MatchPlayerStats.of(table.events) == nil)
        try table.send(.recordRack(winner: .b, breaker: nil))
        let (a, b) = try #require(MatchPlayerStats.of(table.events))
        #expect(b.won && b.racksWon == 2 && a.racksLost == 2 && b.breakAndRuns == 0 && b.goldenBreaks == 0 && b.visits == 0)
        #expect(a.breaks + b.breaks == 2)
    }
}
