import DojoDomain

/// A room: `kind:id`. Log rooms (`match`, `venue`) carry the entity's events with the stream's own
/// sequence numbers; the others are kept in memory only.
public struct RoomName: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case match, venue, table, tournament, territory, clan, user, challenge
        /// Benchmark rooms (`gateway.bench.enabled`): anyone connected may publish to them.
        case bench
    }

    public var kind: Kind
    public var id: String

    public init?(_ text: some StringProtocol) {
        guard text.utf8.count <= 80, let colon = text.firstIndex(of: ":"),
            let kind = Kind(rawValue: String(text[..<colon]))
        else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard EntityKey.isValidID(id) else { return nil }
        self.kind = kind
        self.id = id
    }

    public init(_ kind: Kind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    public var description: String { "\(kind.rawValue):\(id)" }

    /// The entity kind whose events the room carries (`match:` → match), nil for rooms that are
    /// no entity's (bench rooms). Whether the kind is registered is the runtime's to say.
    var entityKind: EntityKind? {
        switch kind {
        case .match: .match
        case .venue: .venue
        case .table: .table
        case .tournament: .tournament
        case .territory: .territory
        case .clan: .clan
        case .user: .user
        case .challenge: .challenge
        case .bench: nil
        }
    }

    /// The room of an entity's events.
    init?(entity key: EntityKey) {
        guard let kind = Kind(rawValue: key.kind.rawValue) else { return nil }
        self.init(kind, key.id)
    }

    /// Whether who may follow the room depends on the subscriber (membership, ownership): then
    /// admission is decided on every subscribe, even when the room is already open on this node
    /// (only its existence may be taken from the open room). Every kind says so explicitly: a
    /// new kind must decide here (no `default:`).
    var admitsPerSubscriber: Bool {
        switch kind {
        case .clan, .user, .challenge: true
        case .match, .venue, .table, .tournament, .territory, .bench: false
        }
    }

}
