/// Any JSON value, kept as it was given (a tournament's `rewards`): decoded, re-encoded and
/// compared structurally. Objects keep their keys sorted, so an encoding is stable.
public indirect enum JSONValue: Sendable, Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// How deep the value nests (a scalar is 1).
    public var depth: Int {
        switch self {
        case .null, .bool, .number, .string: 1
        case .array(let items): 1 + (items.map(\.depth).max() ?? 0)
        case .object(let members): 1 + (members.values.map(\.depth).max() ?? 0)
        }
    }

    /// A bound on the size of its encoding, in bytes (strings counted in UTF-8, numbers as 24).
    public var approximateSize: Int {
        switch self {
        case .null, .bool: 5
        case .number: 24
        case .string(let value): value.utf8.count + 2
        case .array(let items): 2 + items.reduce(0) { $0 + $1.approximateSize + 1 }
        case .object(let members): 2 + members.reduce(0) { $0 + $1.key.utf8.count + 4 + $1.value.approximateSize }
        }
    }
}
