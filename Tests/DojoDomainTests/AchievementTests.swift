import DojoDomain
import Testing

@Suite("Achievements")
struct AchievementTests {
    @Test("the match rules: a win, a golden break, a break-and-run, ten wins in a row, a hundred matches")
    func rules() {
        var line = MatchPlayerStats()
        #expect(Achievement.earned(by: line, matches: 1, recent: [false]).isEmpty)
        line.won = true
        line.goldenBreaks = 1
        line.breakAndRuns = 2
        #expect(Achievement.earned(by: line, matches: 1, recent: [true]) == [.firstWin, .goldenBreak, .breakAndRun])
        line = MatchPlayerStats()
        line.won = true
        let nine = Array(repeating: true, count: 9)
        #expect(!Achievement.earned(by: line, matches: 9, recent: nine).contains(.tenWinsInARow))
        #expect(Achievement.earned(by: line, matches: 10, recent: nine + [true]).contains(.tenWinsInARow))
        #expect(!Achievement.earned(by: line, matches: 12, recent: nine + [false, true, true]).contains(.tenWinsInARow))
        #expect(Achievement.earned(by: line, matches: 100, recent: [true]).contains(.hundredMatches))
        #expect(!Achievement.earned(by: line, matches: 99, recent: [true]).contains(.hundredMatches))
        #expect(Set(Achievement.allCases.map(\.rawValue)).count == Achievement.allCases.count)
        #expect(Achievement.allCases.allSatisfy { $0.points > 0 && !$0.name.isEmpty && !$0.description.isEmpty })
    }
}
