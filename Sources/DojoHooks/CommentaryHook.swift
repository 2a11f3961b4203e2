import DojoDomain
import DojoRuntime
public import DojoStorage
public import Foundation

/// Where commentary goes besides the match room (`commentary.hook.*`; off when no URL is set).
public typealias CommentaryHookConfiguration = HookEndpoint

/// The external commentary service, as one of the partners (docs/webhooks.md): configured, not
/// registered by an ADMIN, it receives every `match.commentary` line through the partners' outbox
/// — exactly the committed lines, in order per match, signed, retried with a doubling pause,
/// dead-lettered and replayable — in its own body format:
/// `{"event": "COMMENTARY", "matchId", "seq", "text", "at"}`.
public enum CommentaryHook {
    /// The partner's id: reserved (an ADMIN may not register it).
    public static let partnerID = "commentary-hook"

    /// The partner the configuration names: enabled and up to date at every start.
    static func partner(_ configuration: CommentaryHookConfiguration, now: Date) -> PartnerRecord {
        PartnerRecord(
            id: partnerID,
            name: "commentary hook (commentary.hook.url)",
            url: configuration.url.absoluteString,
            secret: configuration.secret,
            events: ["match.commentary"],
            createdAt: now,
            format: .commentary
        )
    }

    /// Registers or updates the configured commentary partner; with no URL configured, disables
    /// one a previous configuration left.
    public static func configure(_ configuration: CommentaryHookConfiguration?, storage: any Storage, now: Date) async throws {
        if let configuration {
            try await storage.configurePartner(partner(configuration, now: now))
        } else if try await storage.partners(active: true).contains(where: { $0.id == partnerID }) {
            _ = try await storage.disablePartner(partnerID)
        }
    }

    /// A commentary line's body; nil for any other event.
    static func body(stream: String, _ recorded: RecordedEvent) throws -> String? {
        guard recorded.type == "match.commentary", let key = EntityKey(stream),
            case .commentary(let text, let at) = try recorded.event(of: Match.self)
        else { return nil }
        var body = JSONWriter(capacity: 128 + text.utf8.count)
        body.beginObject()
        body.member("at", at)
        body.member("event", "COMMENTARY")
        body.member("matchId", key.id)
        body.member("seq", recorded.sequence)
        body.member("text", text)
        body.endObject()
        return String(decoding: body.bytes, as: UTF8.self)
    }
}
