import Foundation

/// The REST contract as an OpenAPI 3.1 document, written here beside the routes it describes and
/// checked against them: `OpenAPITests` fails when the router holds a route the document does not
/// name, or the document names one the router does not hold, and CI runs schemathesis over every
/// operation against a live server (`scripts/openapi-check.sh`). Served at `GET /v1/openapi.json`;
/// `docs/openapi.json` is the same document, kept for SDK generators (`dojopool openapi`).
///
/// Why written rather than generated from a spec (swift-openapi-generator): the routes, their
/// limits and their errors are already built and tested; a generator would mean rewriting every
/// handler around generated types. A written document checked by the router and by an outside
/// fuzzer stays as true, at a fraction of the change.
enum OpenAPI {
    /// A JSON Schema (or any part of the document) as plain JSON.
    typealias Node = [String: Any]

    /// Who may call an operation.
    enum Access {
        /// Anyone, signed in or not (also the routes whose credential is in the body: a refresh
        /// token, an email code, a device's signature).
        case open
        /// A user's access token (or the service key acting for a user).
        case user
        /// A user's access token only (not the service key): the account's own routes.
        case token
        /// An ADMIN's access token.
        case admin
    }

    /// One operation: a method on a path, what it takes and what it answers.
    struct Operation {
        var method: String
        var path: String
        var tag: String
        var summary: String
        var access: Access = .user
        var query: [Parameter] = []
        var idempotencyKey = false
        var body: Node?
        var bodyRequired = true
        var status = 200
        var response: Node?
        var responseType = "application/json"
        /// The error codes by status, beyond those every operation of its kind can answer.
        var errors: [Int: [String]] = [:]
        /// The areas whose refusals it answers (`domainRefusals`: `match`, `referee`, …).
        var areas: [String] = []
        /// The kind of entity it creates (`match`): its answer links to every operation on
        /// `…/{id}` of the same collection, with the new id (schemathesis follows them).
        var creates: String?
        /// The error body when it is not the `Error` envelope (Engine.IO's own).
        var errorSchema: Node?
        /// Path parameters that are not ids (`Id`), by name.
        var pathSchemas: [String: Node] = [:]
    }

    /// A query parameter.
    struct Parameter {
        var name: String
        var schema: Node
        var description: String
        var required = false
    }

    // MARK: Schemas

    static var string: Node { ["type": "string"] }
    static var boolean: Node { ["type": "boolean"] }
    static var number: Node { ["type": "number"] }
    static var integer: Node { ["type": "integer"] }
    /// Milliseconds since 1970.
    static var timestamp: Node { ["type": "integer", "description": "milliseconds since 1970-01-01T00:00:00Z"] }

    static func string(_ description: String, maxLength: Int? = nil, pattern: String? = nil, format: String? = nil) -> Node {
        var node: Node = ["type": "string", "description": description]
        if let maxLength { node["maxLength"] = maxLength }
        if let pattern { node["pattern"] = pattern }
        if let format { node["format"] = format }
        return node
    }

    /// A comma-separated list of some of `values`.
    static func list(of values: [String]) -> Node {
        let one = "(" + values.joined(separator: "|") + ")"
        return string("comma-separated: \(values.joined(separator: ", ")); empty: all", pattern: "^(\(one)(,\(one))*)?$")
    }

    /// A string of `range` characters. The server counts characters as people read them
    /// (grapheme clusters), JSON Schema counts code points: the upper bound is said in words only,
    /// since `é` written as `e` + U+0301 is one character and two code points.
    static func text(_ range: ClosedRange<Int>, _ description: String? = nil) -> Node {
        var node: Node = [
            "type": "string", "description": "\(range.lowerBound)–\(range.upperBound) characters" + (description.map { ": " + $0 } ?? ""),
        ]
        if range.lowerBound > 0 { node["minLength"] = range.lowerBound }
        return node
    }

    static func integer(_ range: ClosedRange<Int>? = nil, _ description: String? = nil) -> Node {
        var node: Node = ["type": "integer"]
        if let range {
            node["minimum"] = range.lowerBound
            node["maximum"] = range.upperBound
        }
        if let description { node["description"] = description }
        return node
    }

    static func oneOf(_ values: [String], _ description: String? = nil) -> Node {
        var node: Node = ["type": "string", "enum": values]
        if let description { node["description"] = description }
        return node
    }

    static func array(_ items: Node, maxItems: Int? = nil) -> Node {
        var node: Node = ["type": "array", "items": items]
        if let maxItems { node["maxItems"] = maxItems }
        return node
    }

    /// An object; members not named are allowed (clients ignore what they do not know). A member
    /// not required may also be `null`, which the server reads as absent.
    static func object(_ properties: [String: Node], required: [String] = [], description: String? = nil) -> Node {
        let properties = properties.mapValues { $0 }.reduce(into: [String: Node]()) { result, member in
            result[member.key] = required.contains(member.key) ? member.value : nullable(member.value)
        }
        var node: Node = ["type": "object", "properties": properties]
        if !required.isEmpty { node["required"] = required.sorted() }
        if let description { node["description"] = description }
        return node
    }

    /// A JSON object whose members are not described (an event's body, a free-form map).
    static func freeObject(_ description: String) -> Node {
        ["type": "object", "description": description]
    }

    static func map(_ values: Node, _ description: String) -> Node {
        ["type": "object", "additionalProperties": values, "description": description]
    }

    static func nullable(_ node: Node) -> Node {
        if let types = node["oneOf"] as? [Node], types.contains(where: { $0["type"] as? String == "null" }) { return node }
        return ["oneOf": [node, ["type": "null"]]]
    }

    static func ref(_ name: String) -> Node {
        ["$ref": "#/components/schemas/\(name)"]
    }

    // MARK: Parameters

    static func limit(_ range: ClosedRange<Int>, default value: Int) -> Parameter {
        Parameter(name: "limit", schema: integer(range), description: "page size (default \(value))")
    }

    /// The cursor of id-ordered pages: the last id of the previous page.
    static var after: Parameter { Parameter(name: "after", schema: ref("Id"), description: "the last id of the previous page") }

    static var offset: Parameter { Parameter(name: "offset", schema: integer(0...100_000), description: "items to skip") }
}

/// The OpenAPI document, for the command that prints it.
public enum OpenAPIDocument {
    /// The document's bytes (pretty-printed JSON, keys sorted, a final newline).
    public static var json: [UInt8] { OpenAPI.json }
}
