import DojoDomain
import DojoStorage
import Foundation
import Hummingbird

/// A player's record from play, public like the matches it comes from unless the player made their
/// profile private (then only they and admins read it):
/// - `GET /v1/users/{id}/rating`: the Glicko-2 rating, whether it is still provisional, and the
///   latest rated games (docs/ratings.md);
/// - `GET /v1/users/{id}/stats`: totals per game type (docs/statistics.md);
/// - `GET /v1/users/{id}/head-to-head/{opponentId}`: the totals of their matches against one player;
/// - `GET /v1/users/{id}/achievements` (and the catalog, `GET /v1/achievements`; docs/achievements.md).
struct PlayerRecordRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication
    /// Games before a rating stops being provisional.
    static let provisionalGames = 10

    /// The user id when the user exists and the sender may see their record.
    private func visibleUser(_ id: String, _ request: Request) async throws -> String {
        guard EntityKey.isValidID(id), try await !storage.existingIDs(in: "users", [id]).isEmpty else {
            throw APIError(.notFound, code: "user.not_found", message: "no such user")
        }
        if try await storage.settings(of: id).privacy == "private" {
            let principal = try? await authentication.principal(request)
            guard principal?.userID == id || principal?.isAdmin == true else {
                throw APIError(.forbidden, code: "user.private", message: "this player's profile is private")
            }
        }
        return id
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/achievements") { _, _ in
            try Response.json(
                .ok,
                AchievementsView(userId: nil, points: nil, achievements: Achievement.allCases.map { AchievementsView.Entry($0, at: nil) })
            )
        }
        router.get("/v1/users/:id/achievements") { request, context in
            let id = try await visibleUser(try context.parameters.require("id"), request)
            let earned = try await storage.achievements(of: id)
            return try Response.json(
                .ok,
                AchievementsView(
                    userId: id,
                    points: earned.reduce(0) { $0 + $1.achievement.points },
                    achievements: earned.map { AchievementsView.Entry($0.achievement, at: Timestamp($0.earnedAt)) }
                )
            )
        }
        router.get("/v1/users/:id/collectibles") { request, context in
            let id = try await visibleUser(try context.parameters.require("id"), request)
            let owned = try await storage.collectibles(of: id)
            return try Response.json(.ok, CollectiblePage(collectibles: owned.map { CollectibleView($0.collectible, acquiredAt: $0.acquiredAt) }))
        }
        router.get("/v1/users/:id/stats") { request, context in
            let id = try await visibleUser(try context.parameters.require("id"), request)
            let totals = try await storage.statsTotals(of: id)
            return try Response.json(.ok, StatsView(userId: id, byGameType: totals.map(StatsView.Line.init)))
        }
        router.get("/v1/users/:id/head-to-head/:opponent") { request, context in
            let id = try await visibleUser(try context.parameters.require("id"), request)
            let opponent = try await visibleUser(try context.parameters.require("opponent"), request)
            let totals = try await storage.statsTotals(of: id, against: opponent).first ?? StatsTotals()
            return try Response.json(.ok, HeadToHeadView(userId: id, opponentId: opponent, totals: StatsView.Line(totals)))
        }

        router.get("/v1/users/:id/rating") { request, context in
            let id = try await visibleUser(try context.parameters.require("id"), request)
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
