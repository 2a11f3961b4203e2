public import DojoDomain
public import DojoStorage
import Foundation

/// Stores notifications and tells their players' `user:` rooms (docs/notifications.md). A
/// notification's id is derived from what caused it, so a redelivery stores and tells nothing new.
struct NotificationSink: Sendable {
    let storage: any Storage
    /// The channels each new notification is queued on besides the app (`email`, `push`).
    let channels: [String]
    let now: @Sendable () -> Date
    /// Tells the `user:` rooms (the runtime's notices).
    let notify: @Sendable ([NotificationRecord]) -> Void
    /// Stores nothing (``RuntimeConfiguration/quietNotifications``: history being imported).
    var quiet = false

    func deliver(_ drafts: [NotificationDraft], source: String, at: Date) async throws {
        try await deliver(drafts.map { ($0, source, at) })
    }

    /// Drafts of several sources and times, stored in one transaction.
    func deliver(_ drafts: [(draft: NotificationDraft, source: String, at: Date)]) async throws {
        guard !quiet else { return }
        let records = drafts.map { draft, source, at in
            NotificationRecord(
                id: "\(source):\(draft.userID):\(draft.type)",
                userID: draft.userID,
                type: draft.type,
                payload: draft.payload,
                createdAt: at
            )
        }
        let stored = try await storage.insertNotifications(records, channels: channels, due: now())
        if !stored.isEmpty { notify(stored) }
    }
}

/// The notifications that follow from challenges, tournaments and territories
/// (``NotificationRules``), at the time of their event.
struct NotificationsProjection: EventConsumer {
    let name = "projection.notifications"
    let kinds = [EntityKind.challenge, .tournament, .territory, .match]
    let challenges: EntityDirectory<Challenge>
    let tournaments: EntityDirectory<Tournament>
    let territories: EntityDirectory<Territory>
    let matches: EntityDirectory<Match>
    let clans: EntityDirectory<Clan>
    let sink: NotificationSink

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        let decoder = JSONDecoder()
        for recorded in events {
            let payload = Data(recorded.payload.utf8)
            let drafts: [NotificationDraft]
            switch key.kind {
            case .challenge:
                let event = try decoder.decode(EventEnvelope<Challenge.Event>.self, from: payload).event
                drafts = NotificationRules.onChallenge(event, state: try await challenges.read(key.id).state)
            case .tournament:
                guard ["tournament.match_assigned", "tournament.completed"].contains(recorded.type) else { continue }
                let event = try decoder.decode(EventEnvelope<Tournament.Event>.self, from: payload).event
                drafts = NotificationRules.onTournament(event, state: try await tournaments.read(key.id).state)
            case .territory:
                let event = try decoder.decode(EventEnvelope<Territory.Event>.self, from: payload).event
                var members: [String] = []
                if case .lost(_, let clanID?, _, _) = event {
                    members = Array(try await clans.read(clanID).state.members.keys)
                }
                drafts = NotificationRules.onTerritory(
                    event,
                    territoryID: key.id,
                    name: try await territories.read(key.id).state.name,
                    clanMembers: members
                )
            case .match:
                // Only the two events that put a match at a table; a match's shots are skipped unread.
                switch recorded.type {
                case "match.created":
                    drafts = NotificationRules.onMatch(try decoder.decode(EventEnvelope<Match.Event>.self, from: payload).event)
                case "match.table_moved":
                    guard case .tableMoved(_, let table, _) = try decoder.decode(EventEnvelope<Match.Event>.self, from: payload).event else {
                        continue
                    }
                    drafts = NotificationRules.onMatchMoved(to: table, state: try await matches.read(key.id).state)
                default:
                    continue
                }
            case .venue, .table, .clan, .user, .account:
                continue
            }
            try await sink.deliver(drafts, source: "\(stream)@\(recorded.sequence)", at: recorded.recordedAt)
        }
    }
}

/// What clients see of a notification (REST and the `notice` in `user:` rooms).
public struct NotificationView: Sendable, Encodable {
    public var id: String
    public var type: String
    public var payload: [String: String]
    public var read: Bool
    public var createdAt: Timestamp

    public init(_ record: NotificationRecord) {
        id = record.id
        type = record.type
        payload = record.payload
        read = record.read
        createdAt = Timestamp(record.createdAt)
    }
}
