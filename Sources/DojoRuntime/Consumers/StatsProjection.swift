import DojoDomain
import DojoStorage
import Foundation

/// Every completed match's line per player (docs/statistics.md): read from the match's whole log
/// when it completes, counted by ``MatchPlayerStats/of(_:)``, written whole (so a redelivery or a
/// rebuild writes the same rows, in any order); then the achievements the match earns its players
/// (``Achievement/earned(by:matches:recent:)``, awarded once each; docs/achievements.md).
struct StatsProjection: EventConsumer {
    let name = "projection.stats"
    let kinds = [EntityKind.match]
    let matches: EntityDirectory<Match>
    let storage: any Storage
    let notifications: NotificationSink

    func handle(stream: String, events: [RecordedEvent]) async throws {
        try await record(try await rows(stream: stream, events: events))
    }

    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        var rows: [MatchStatsRow] = []
        for (stream, events) in batch { rows += try await self.rows(stream: stream, events: events) }
        try await record(rows)
    }

    /// The round's rows in one transaction, then the achievements they earn in another, then
    /// their notifications (a few statements per round, not per match: docs/benchmarks.md).
    private func record(_ rows: [MatchStatsRow]) async throws {
        guard !rows.isEmpty else { return }
        try await storage.putMatchStats(rows)
        var candidates: [AchievementAward] = []
        let records = try await storage.matchRecords(of: rows.map(\.userID), limit: 10)
        for row in rows {
            let (matches, recent) = records[row.userID] ?? (0, [])
            for achievement in Achievement.earned(by: row.stats, matches: matches, recent: recent) {
                candidates.append(AchievementAward(userID: row.userID, achievement: achievement, at: row.completedAt))
            }
        }
        let awarded = try await storage.award(candidates)
        try await notifications.deliver(
            awarded.map { (NotificationRules.onAchievement($0.achievement, userID: $0.userID), "achievement-\($0.achievement.rawValue)", $0.at) }
        )
    }

    private func rows(stream: String, events: [RecordedEvent]) async throws -> [MatchStatsRow] {
        guard let completed = events.first(where: { $0.type == "match.completed" }), let key = EntityKey(stream) else { return [] }
        let decoder = JSONDecoder()
        let log = try await storage.readEvents(stream: stream, after: 0, limit: 1_000_000)
        let history = try log.map { try decoder.decode(EventEnvelope<Match.Event>.self, from: Data($0.payload.utf8)).event }
        guard let (a, b) = MatchPlayerStats.of(history) else { return [] }
        let state = try await matches.read(key.id).state
        let game = state.gameType.rawValue
        return [
            MatchStatsRow(
                matchID: key.id,
                userID: state.playerA,
                opponentID: state.playerB,
                gameType: game,
                stats: a,
                completedAt: completed.recordedAt
            ),
            MatchStatsRow(
                matchID: key.id,
                userID: state.playerB,
                opponentID: state.playerA,
                gameType: game,
                stats: b,
                completedAt: completed.recordedAt
            ),
        ]
    }
}
