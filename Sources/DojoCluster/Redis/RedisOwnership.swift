/// Who owns which actor, in Redis (docs/cluster.md, "One owner per actor"): `<cluster>:owner:<entity>`
/// holds `<node>|<token>`. A claim is valid while its node's membership record
/// (`<cluster>:node:<id>`, renewed by the node's heartbeat) exists, so a node that dies or stalls
/// loses every claim at once when its heartbeat lapses, with no renewal per actor. Taking an
/// entity is one Lua call: kept when this node holds it, refused while a live node holds it, else
/// taken with a fencing token from `<cluster>:owner-token`, which only grows.
public struct RedisOwnership: Sendable {
    /// The outcome of a claim.
    public enum Claim: Sendable, Equatable {
        /// This node holds the entity, under this token.
        case owned(token: Int64)
        /// A live node holds it.
        case ownedBy(node: String, token: Int64)
    }

    let redis: RedisClient
    let prefix: String

    public init(redis: RedisClient, cluster: String) {
        self.redis = redis
        prefix = cluster + ":"
    }

    static let claimScript = """
        local value = redis.call('GET', KEYS[1])
        if value then
          local bar = string.find(value, '|', 1, true)
          local owner = string.sub(value, 1, bar - 1)
          if owner == ARGV[1] or redis.call('EXISTS', ARGV[2] .. owner) == 1 then return value end
        end
        local token = redis.call('INCR', KEYS[2])
        value = ARGV[1] .. '|' .. token
        redis.call('SET', KEYS[1], value)
        return value
        """

    static let releaseScript = """
        local value = redis.call('GET', KEYS[1])
        if value and string.sub(value, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
          redis.call('DEL', KEYS[1])
          return 1
        end
        return 0
        """

    /// Takes `entity` (`match:42`) for `node`, or says which live node holds it.
    public func claim(_ entity: String, node: String) async throws -> Claim {
        let reply = try await redis.command([
            "EVAL", .text(Self.claimScript), "2", .text(prefix + "owner:" + entity), .text(prefix + "owner-token"), .text(node),
            .text(prefix + "node:"),
        ])
        guard case .string(let value) = reply, let bar = value.lastIndex(of: "|"), let token = Int64(value[value.index(after: bar)...]) else {
            throw RedisError(message: "a claim answered \(reply)")
        }
        let owner = String(value[..<bar])
        return owner == node ? .owned(token: token) : .ownedBy(node: owner, token: token)
    }

    /// Gives `entity` up if `node` holds it.
    public func release(_ entity: String, node: String) async throws {
        _ = try await redis.command(["EVAL", .text(Self.releaseScript), "1", .text(prefix + "owner:" + entity), .text(node)])
    }

    /// The holder of `entity` as recorded (live or not), or nil.
    public func holder(_ entity: String) async throws -> (node: String, token: Int64)? {
        guard case .string(let value) = try await redis.command(["GET", prefix + "owner:" + entity]), let bar = value.lastIndex(of: "|"),
            let token = Int64(value[value.index(after: bar)...])
        else { return nil }
        return (String(value[..<bar]), token)
    }
}
