/// The kinds of entity that own state in the platform, one actor (and one event stream) per entity.
public enum EntityKind: String, Sendable, Hashable, CaseIterable, Codable {
    case match
    case venue
    case table
    case clan
    case territory
    case tournament
    case user
    /// A challenge between two players (`challenge:{id}`), with its stakes in escrow.
    case challenge
    /// A coin account of the ledger (private: no room, no generic REST route).
    case account
}

/// The key of one live entity, written `kind:id` (`match:42`, `venue:9f1c…`).
///
/// The same key names the entity's actor, its event stream in the durable log and its room.
/// Parsing is strict because keys arrive from the network: the id is 1–64 characters of
/// ASCII letters, digits, `-` and `_`.
public struct EntityKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kind of entity.
    public let kind: EntityKind
    /// The entity's id within its kind.
    public let id: String

    /// The longest id accepted.
    public static let maximumIDLength = 64

    /// Creates a key, or returns `nil` when `id` is not a valid id.
    public init?(kind: EntityKind, id: String) {
        guard Self.isValidID(id) else { return nil }
        self.kind = kind
        self.id = id
    }

    /// Parses `kind:id`; returns `nil` for an unknown kind or a malformed id.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        guard let kind = EntityKind(rawValue: String(text[..<colon])) else { return nil }
        self.init(kind: kind, id: String(text[text.index(after: colon)...]))
    }

    /// `kind:id`.
    public var description: String { "\(kind.rawValue):\(id)" }

    /// Whether `id` is 1–64 ASCII letters, digits, `-` or `_`.
    public static func isValidID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= maximumIDLength else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default:
                false
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let key = EntityKey(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an entity key: kind:id")
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
