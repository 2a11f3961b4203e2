/// Presence across nodes in Redis (docs/cluster.md): each room is a hash
/// `<cluster>:presence:<room>` whose fields are `<node> <user>` (a signed-in user's connections on
/// that node) or `<node> ` (anonymous ones), each a count; and each node keeps the set
/// `<cluster>:presence-rooms:<node>` of the rooms it has reported, so that its members can be
/// removed from every room at once when it is gone (``expire(node:)``, called by the nodes that
/// see its heartbeat lapse, and by the node itself when it starts again).
///
/// Joins and leaves are pipelined without waiting (one Lua call each, which never lets a count go
/// below zero); a count reads one hash.
public struct RedisPresenceStore: PresenceStore {
    let redis: RedisClient
    let prefix: String

    public init(redis: RedisClient, cluster: String) {
        self.redis = redis
        prefix = cluster + ":"
    }

    /// Adds `ARGV[2]` to the field `ARGV[1]` and removes it at zero or below; on a join, records
    /// the room under its node.
    static let change = """
        local v = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
        if v <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
        if tonumber(ARGV[2]) > 0 then redis.call('SADD', KEYS[2], ARGV[3]) end
        return v
        """

    /// Removes one node's fields from every room it reported.
    static let expireNode = """
        local rooms = redis.call('SMEMBERS', KEYS[1])
        local n = string.len(ARGV[2])
        for _, room in ipairs(rooms) do
          local key = ARGV[1] .. room
          for _, field in ipairs(redis.call('HKEYS', key)) do
            if string.sub(field, 1, n) == ARGV[2] then redis.call('HDEL', key, field) end
          end
        end
        redis.call('DEL', KEYS[1])
        return #rooms
        """

    /// Sets this node's fields in one room to the counts given (`ARGV`: field, count, field,
    /// count, …; `ARGV[#ARGV]` the room), recording the room under the node.
    static let set = """
        for i = 1, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        redis.call('SADD', KEYS[2], ARGV[#ARGV])
        return 1
        """

    private func field(_ user: String?, node: String) -> String { node + " " + (user ?? "") }

    public func setState(_ room: String, user: String, state: String?) {
        if let state {
            redis.send(["HSET", .text(prefix + "presence-state:" + room), .text(user), .text(state)])
        } else {
            redis.send(["HDEL", .text(prefix + "presence-state:" + room), .text(user)])
        }
    }

    public func report(node: String, rooms: [String: PresenceTally]) async throws {
        try await expire(node: node)
        for (room, tally) in rooms where tally.anonymous > 0 || !tally.users.isEmpty {
            var arguments: [RedisArgument] = []
            if tally.anonymous > 0 { arguments += [.text(field(nil, node: node)), .text(String(tally.anonymous))] }
            for (user, connections) in tally.users where connections > 0 {
                arguments += [.text(field(user, node: node)), .text(String(connections))]
            }
            _ = try await redis.command(
                ["EVAL", .text(Self.set), "2", .text(prefix + "presence:" + room), .text(prefix + "presence-rooms:" + node)] + arguments
                    + [.text(room)]
            )
        }
    }

    public func join(_ room: String, user: String?, node: String) {
        redis.send([
            "EVAL", .text(Self.change), "2", .text(prefix + "presence:" + room), .text(prefix + "presence-rooms:" + node),
            .text(field(user, node: node)), "1", .text(room),
        ])
    }

    public func leave(_ room: String, user: String?, node: String) {
        redis.send([
            "EVAL", .text(Self.change), "2", .text(prefix + "presence:" + room), .text(prefix + "presence-rooms:" + node),
            .text(field(user, node: node)), "-1", .text(room),
        ])
    }

    public func count(_ room: String) async throws -> PresenceCount {
        // Both hashes in one round trip (pipelined).
        async let members = redis.command(["HGETALL", .text(prefix + "presence:" + room)])
        async let states = redis.command(["HGETALL", .text(prefix + "presence-state:" + room)])
        guard case .array(let flat) = try await members, case .array(let stateFlat) = try await states else {
            throw RedisError(message: "unexpected answer to HGETALL")
        }
        var count = PresenceCount()
        var index = 0
        while index + 1 < flat.count {
            defer { index += 2 }
            guard case .string(let field) = flat[index], case .string(let value) = flat[index + 1], let n = Int(value), n > 0,
                let space = field.firstIndex(of: " ")
            else { continue }
            let user = field[field.index(after: space)...]
            count.members += n
            if user.isEmpty {
                count.anonymous += n
            } else {
                count.users.insert(String(user))
            }
        }
        var gone: [RedisArgument] = []
        index = 0
        while index + 1 < stateFlat.count {
            defer { index += 2 }
            guard case .string(let user) = stateFlat[index], case .string(let state) = stateFlat[index + 1] else { continue }
            if count.users.contains(user) { count.states[user] = state } else { gone.append(.text(user)) }
        }
        // A user gone from the room takes their state with them.
        if !gone.isEmpty { redis.send(["HDEL", .text(prefix + "presence-state:" + room)] + gone) }
        return count
    }

    public func expire(node: String) async throws {
        _ = try await redis.command([
            "EVAL", .text(Self.expireNode), "1", .text(prefix + "presence-rooms:" + node), .text(prefix + "presence:"), .text(node + " "),
        ])
    }
}
