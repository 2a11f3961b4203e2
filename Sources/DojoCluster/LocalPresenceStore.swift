import Synchronization

/// The in-process presence store: the one node's tallies in memory (also several nodes of one
/// process, for tests).
public final class LocalPresenceStore: PresenceStore {
    private struct Tally {
        var anonymous = 0
        var users: [String: Int] = [:]
        var isEmpty: Bool { anonymous == 0 && users.isEmpty }
    }

    /// room → node → tally.
    private let rooms = Mutex<[String: [String: Tally]]>([:])
    /// room → user → state.
    private let states = Mutex<[String: [String: String]]>([:])

    public init() {}

    public func join(_ room: String, user: String?, node: String) {
        rooms.withLock { rooms in
            if let user {
                rooms[room, default: [:]][node, default: Tally()].users[user, default: 0] += 1
            } else {
                rooms[room, default: [:]][node, default: Tally()].anonymous += 1
            }
        }
    }

    public func leave(_ room: String, user: String?, node: String) {
        rooms.withLock { rooms in
            guard var tally = rooms[room]?[node] else { return }
            if let user {
                guard let count = tally.users[user] else { return }
                tally.users[user] = count > 1 ? count - 1 : nil
            } else {
                guard tally.anonymous > 0 else { return }
                tally.anonymous -= 1
            }
            rooms[room]?[node] = tally.isEmpty ? nil : tally
            if rooms[room]?.isEmpty == true { rooms[room] = nil }
        }
    }

    public func count(_ room: String) async throws -> PresenceCount {
        var count = rooms.withLock { rooms in
            var count = PresenceCount()
            for tally in (rooms[room] ?? [:]).values {
                count.anonymous += tally.anonymous
                count.members += tally.anonymous + tally.users.values.reduce(0, +)
                count.users.formUnion(tally.users.keys)
            }
            return count
        }
        let present = count.users
        count.states = states.withLock { states in
            // A user gone from the room takes their state with them.
            states[room] = states[room]?.filter { present.contains($0.key) }
            if states[room]?.isEmpty == true { states[room] = nil }
            return states[room] ?? [:]
        }
        return count
    }

    public func setState(_ room: String, user: String, state: String?) {
        states.withLock { $0[room, default: [:]][user] = state }
    }

    public func report(node: String, rooms reported: [String: PresenceTally]) async throws {
        rooms.withLock { rooms in
            for room in Array(rooms.keys) {
                rooms[room]?[node] = nil
                if rooms[room]?.isEmpty == true { rooms[room] = nil }
            }
            for (room, tally) in reported where tally.anonymous > 0 || !tally.users.isEmpty {
                rooms[room, default: [:]][node] = Tally(anonymous: tally.anonymous, users: tally.users.filter { $0.value > 0 })
            }
        }
    }

    public func expire(node: String) async throws {
        rooms.withLock { rooms in
            for room in Array(rooms.keys) {
                rooms[room]?[node] = nil
                if rooms[room]?.isEmpty == true { rooms[room] = nil }
            }
        }
    }
}
