import DojoDomain
import DojoStorage
import Foundation
import Hummingbird

/// `GET /v1/users/{id}/rating`: a player's Glicko-2 rating, whether it is still provisional, and
/// the latest rated games (docs/ratings.md). Public, like the matches it comes from, unless the
/// player made their profile private (then only they and admins read it).
struct RatingRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication
    /// Games before a rating stops being provisional.
    static let provisionalGames = 10

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/users/:id/rating") { request, context in
            let id = try context.parameters.require("id")
            guard EntityKey.isValidID(id), try await !storage.existingIDs(in: "users", [id]).isEmpty else {
                throw APIError(.notFound, code: "user.not_found", message: "no such user")
            }
            if try await storage.settings(of: id).privacy == "private" {
                let principal = try? await authentication.principal(request)
                guard principal?.userID == id || principal?.isAdmin == true else {
                    throw APIError(.forbidden, code: "user.private", message: "this player's profile is private")
                }
            }
            let limit = try Query.integer(request, "limit", default: 20, in: 1...100)
            let rating = try await storage.rating(of: id)
            let history = try await storage.ratingHistory(of: id, limit: limit)
            let current = rating?.rating ?? .initial
            return try Response.json(
                .ok,
                RatingView(
                    userId: id,
                    rating: current.rating,
                    deviation: current.deviation,
                    volatility: current.volatility,
                    games: rating?.games ?? 0,
                    provisional: (rating?.games ?? 0) < Self.provisionalGames,
                    history: history.map {
                        RatingView.Entry(
                            matchId: $0.matchID,
                            opponentId: $0.opponentID,
                            result: $0.score > 0.5 ? "WIN" : $0.score < 0.5 ? "LOSS" : "DRAW",
                            ratingBefore: $0.before.rating,
                            rating: $0.after.rating,
                            deviation: $0.after.deviation,
                            at: Timestamp($0.at)
                        )
                    }
                )
            )
        }
    }
}

struct RatingView: Encodable {
    struct Entry: Encodable {
        var matchId: String
        var opponentId: String
        var result: String
        var ratingBefore: Double
        var rating: Double
        var deviation: Double
        var at: Timestamp
    }

    var userId: String
    var rating: Double
    var deviation: Double
    var volatility: Double
    var games: Int
    var provisional: Bool
    /// Newest first.
    var history: [Entry]
}
