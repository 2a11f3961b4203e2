import DojoDomain
import Foundation
import Testing

@Suite("Glicko-2")
struct Glicko2Tests {
    @Test("Glickman's published example: 1500 ± 200 beats 1400 ± 30, loses to 1550 ± 100 and 1700 ± 300 → 1464.06 ± 151.52, σ 0.05999")
    func glickmanExample() {
        let player = Glicko2.Rating(rating: 1_500, deviation: 200, volatility: 0.06)
        let after = Glicko2.update(
            player,
            games: [
                .init(opponent: .init(rating: 1_400, deviation: 30), score: 1),
                .init(opponent: .init(rating: 1_550, deviation: 100), score: 0),
                .init(opponent: .init(rating: 1_700, deviation: 300), score: 0),
            ]
        )
        #expect(abs(after.rating - 1_464.06) < 0.01, "\(after)")
        #expect(abs(after.deviation - 151.52) < 0.01, "\(after)")
        #expect(abs(after.volatility - 0.05999) < 0.00001, "\(after)")
    }

    @Test("a win raises, a loss lowers, an upset moves more; the deviation shrinks with games and widens without")
    func directions() {
        let even = Glicko2.Rating()
        let won = Glicko2.update(even, games: [.init(opponent: even, score: 1)])
        let lost = Glicko2.update(even, games: [.init(opponent: even, score: 0)])
        #expect(won.rating > 1_500 && lost.rating < 1_500 && abs((won.rating - 1_500) + (lost.rating - 1_500)) < 1e-9)
        #expect(won.deviation < 350)
        let strong = Glicko2.Rating(rating: 1_900, deviation: 60)
        let upset = Glicko2.update(Glicko2.Rating(rating: 1_500, deviation: 60), games: [.init(opponent: strong, score: 1)])
        let expected = Glicko2.update(Glicko2.Rating(rating: 1_500, deviation: 60), games: [.init(opponent: strong, score: 0)])
        #expect(upset.rating - 1_500 > 1_500 - expected.rating)
        let idle = Glicko2.update(Glicko2.Rating(rating: 1_600, deviation: 50), games: [])
        #expect(idle.rating == 1_600 && idle.deviation > 50)
        #expect(Glicko2.update(Glicko2.Rating(), games: []).deviation == Glicko2.maximumDeviation)
    }
}
