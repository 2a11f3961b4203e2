import DojoDomain
import DojoStorage
import Foundation

/// Rates every completed match (Glicko-2, docs/ratings.md): both players' ratings, their history
/// and `profiles.skill_rating`. Games are rated in the log's order (commit time, then stream),
/// whatever order the consumer's rounds deliver them in (``Storage/rate(_:)`` rewinds for a late
/// one), so rebuilding from the log gives the same ratings.
struct RatingsProjection: EventConsumer {
    let name = "projection.ratings"
    let kinds = [EntityKind.match]
    let matches: EntityDirectory<Match>
    let storage: any Storage

    func handle(stream: String, events: [RecordedEvent]) async throws {
        try await storage.rate(try await games(stream: stream, events: events))
    }

    /// Every completion of the round in one transaction.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        var games: [RatedGame] = []
        for (stream, events) in batch { games += try await self.games(stream: stream, events: events) }
        try await storage.rate(games)
    }

    private func games(stream: String, events: [RecordedEvent]) async throws -> [RatedGame] {
        guard let completed = events.first(where: { $0.type == "match.completed" }), let key = EntityKey(stream) else { return [] }
        guard
            case .completed(let winner, _, _, _, _) = try JSONDecoder().decode(EventEnvelope<Match.Event>.self, from: Data(completed.payload.utf8))
                .event
        else { return [] }
        let state = try await matches.read(key.id).state
        return [
            RatedGame(
                matchID: key.id,
                recordedAt: completed.recordedAt,
                stream: stream,
                playerA: state.playerA,
                playerB: state.playerB,
                winnerIsA: winner == .a
            )
        ]
    }
}
