import DojoDomain
import DojoStorage
import Foundation

/// The achievements earned outside a match's own play (docs/achievements.md): a territory claimed
/// (its new holder), a clan war won (the clan's members when the war ends), a tournament won (its
/// champion, who also receives the collectible its `rewards` name as `collectibleId`). Each is
/// awarded once (``Storage/award(_:to:at:)``), at the time of its event.
struct AchievementsProjection: EventConsumer {
    static let relevant: Set<String> = ["territory.claimed", "clan.war_ended", "tournament.completed"]
    let name = "projection.achievements"
    let kinds = [EntityKind.territory, .clan, .tournament]
    let clans: EntityDirectory<Clan>
    let tournaments: EntityDirectory<Tournament>
    let storage: any Storage
    let notifications: NotificationSink

    private func award(_ achievement: Achievement, to user: String, at: Date) async throws {
        guard try await storage.award(achievement, to: user, at: at) else { return }
        try await notifications.deliver(
            [NotificationRules.onAchievement(achievement, userID: user)],
            source: "achievement-\(achievement.rawValue)",
            at: at
        )
    }

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        let decoder = JSONDecoder()
        for recorded in events where Self.relevant.contains(recorded.type) {
            let payload = Data(recorded.payload.utf8)
            switch key.kind {
            case .territory:
                guard case .claimed(let owner, _, _, _, _) = try decoder.decode(EventEnvelope<Territory.Event>.self, from: payload).event else {
                    continue
                }
                try await award(.firstTerritory, to: owner, at: recorded.recordedAt)
            case .clan:
                guard case .warEnded(_, let result, _, _, _, _) = try decoder.decode(EventEnvelope<Clan.Event>.self, from: payload).event,
                    result == .won
                else { continue }
                for member in try await clans.read(key.id).state.members.keys.sorted() {
                    try await award(.clanWarWon, to: member, at: recorded.recordedAt)
                }
            case .tournament:
                guard case .completed(let placings, _, _) = try decoder.decode(EventEnvelope<Tournament.Event>.self, from: payload).event,
                    let champion = placings.first?.first
                else { continue }
                try await award(.tournamentWon, to: champion, at: recorded.recordedAt)
                if case .object(let rewards) = try await tournaments.read(key.id).state.terms?.rewards,
                    case .string(let id) = rewards["collectibleId"],
                    EntityKey.isValidID(id), try await storage.collectible(id) != nil,
                    try await storage.giveCollectible(id, to: champion, at: recorded.recordedAt)
                {
                    try await notifications.deliver(
                        [NotificationDraft(userID: champion, type: "collectible.received", payload: ["collectibleId": id, "tournamentId": key.id])],
                        source: "collectible-\(id)",
                        at: recorded.recordedAt
                    )
                }
            case .match, .venue, .table, .user, .challenge, .account:
                continue
            }
        }
    }
}
