import Foundation

/// The Glicko-2 rating system (Mark E. Glickman, "Example of the Glicko-2 system", 2012;
/// docs/ratings.md): a rating, its deviation (how sure the rating is) and a volatility (how erratic
/// the player is). Pure: ``update(_:games:tau:)`` is the paper's steps 2–8 for one rating period.
///
/// DojoPool rates every completed match as a rating period of its own for both players (a race
/// won is a score of 1, lost 0), so a rating moves the moment a match ends.
public enum Glicko2 {
    /// A player's standing on the Glicko scale (1500 ± 350 for a new player).
    public struct Rating: Sendable, Codable, Equatable {
        public var rating: Double
        public var deviation: Double
        public var volatility: Double

        public init(rating: Double = 1_500, deviation: Double = 350, volatility: Double = 0.06) {
            self.rating = rating
            self.deviation = deviation
            self.volatility = volatility
        }

        public static let initial = Rating()
    }

    /// One game of the period: the opponent's rating before it and the score (1 won, 0 lost,
    /// ½ drawn).
    public struct Game: Sendable, Equatable {
        public var opponent: Rating
        public var score: Double

        public init(opponent: Rating, score: Double) {
            self.opponent = opponent
            self.score = score
        }
    }

    /// The factor between the Glicko and the Glicko-2 scales.
    public static let scale = 173.7178
    /// The system constant τ: how much the volatility may change (Glickman suggests 0.3–1.2).
    public static let tau = 0.5
    /// The largest deviation (a new player's).
    public static let maximumDeviation = 350.0
    /// The convergence tolerance of the volatility iteration.
    static let epsilon = 0.000001

    /// The rating after a period with `games` (a period without games only widens the deviation).
    public static func update(_ player: Rating, games: [Game], tau: Double = tau) -> Rating {
        // Step 2: onto the Glicko-2 scale.
        let mu = (player.rating - 1_500) / scale
        let phi = player.deviation / scale
        let sigma = player.volatility
        guard !games.isEmpty else {
            let widened = min((phi * phi + sigma * sigma).squareRoot() * scale, maximumDeviation)
            return Rating(rating: player.rating, deviation: widened, volatility: sigma)
        }
        let opponents = games.map { game in
            (mu: (game.opponent.rating - 1_500) / scale, phi: game.opponent.deviation / scale, score: game.score)
        }
        func g(_ phi: Double) -> Double { 1 / (1 + 3 * phi * phi / (Double.pi * Double.pi)).squareRoot() }
        func e(_ opponentMu: Double, _ opponentPhi: Double) -> Double { 1 / (1 + exp(-g(opponentPhi) * (mu - opponentMu))) }
        // Steps 3 and 4: the estimated variance and the improvement.
        var inverseV = 0.0
        var sum = 0.0
        for opponent in opponents {
            let expected = e(opponent.mu, opponent.phi)
            inverseV += g(opponent.phi) * g(opponent.phi) * expected * (1 - expected)
            sum += g(opponent.phi) * (opponent.score - expected)
        }
        let v = 1 / inverseV
        let delta = v * sum
        // Step 5: the new volatility (the Illinois algorithm).
        let a = log(sigma * sigma)
        func f(_ x: Double) -> Double {
            let ex = exp(x)
            let denominator = phi * phi + v + ex
            return ex * (delta * delta - phi * phi - v - ex) / (2 * denominator * denominator) - (x - a) / (tau * tau)
        }
        var lower = a
        var upper: Double
        if delta * delta > phi * phi + v {
            upper = log(delta * delta - phi * phi - v)
        } else {
            var k = 1.0
            while f(a - k * tau) < 0 { k += 1 }
            upper = a - k * tau
        }
        var fLower = f(lower)
        var fUpper = f(upper)
        while abs(upper - lower) > epsilon {
            let c = lower + (lower - upper) * fLower / (fUpper - fLower)
            let fC = f(c)
            if fC * fUpper <= 0 {
                lower = upper
                fLower = fUpper
            } else {
                fLower /= 2
            }
            upper = c
            fUpper = fC
        }
        let newSigma = exp(lower / 2)
        // Steps 6–8: the deviation and the rating, back on the Glicko scale.
        let phiStar = (phi * phi + newSigma * newSigma).squareRoot()
        let newPhi = 1 / (1 / (phiStar * phiStar) + 1 / v).squareRoot()
        let newMu = mu + newPhi * newPhi * sum
        return Rating(rating: newMu * scale + 1_500, deviation: min(newPhi * scale, maximumDeviation), volatility: newSigma)
    }
}
