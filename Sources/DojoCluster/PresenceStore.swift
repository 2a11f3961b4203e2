import Synchronization

/// Who is in a room across the nodes: the number of subscribers, how many are anonymous, and the
/// signed-in users (each once, however many connections they hold).
public struct PresenceCount: Sendable, Equatable {
    public var members: Int
    public var anonymous: Int
    public var users: Set<String>

    public init(members: Int = 0, anonymous: Int = 0, users: Set<String> = []) {
        self.members = members
        self.anonymous = anonymous
        self.users = users
    }
}

/// The port that keeps presence for the whole platform (ARCHITECTURE §2): each node reports its
/// joins and leaves; any node reads a room's count; a node that dies is expired and its members
/// leave every room.
///
/// Contract (``PresenceStoreContract`` in the tests, run against every adapter):
/// - joins and leaves are counted per node; a room's count sums every node;
/// - a user is listed once however many connections (on however many nodes) they hold, and
///   leaves the list when their last one leaves;
/// - `expire(node:)` removes exactly that node's members, from every room;
/// - a leave without a join changes nothing (never a negative count).
///
/// `join` and `leave` do not wait (the gateway calls them on its event loops); an adapter that
/// talks to a server batches them and makes them visible to `count` shortly after.
public protocol PresenceStore: Sendable {
    func join(_ room: String, user: String?, node: String)
    func leave(_ room: String, user: String?, node: String)
    /// The room's presence over every live node.
    func count(_ room: String) async throws -> PresenceCount
    /// A node is gone: every member it reported leaves.
    func expire(node: String) async throws
}

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
        rooms.withLock { rooms in
            var count = PresenceCount()
            for tally in (rooms[room] ?? [:]).values {
                count.anonymous += tally.anonymous
                count.members += tally.anonymous + tally.users.values.reduce(0, +)
                count.users.formUnion(tally.users.keys)
            }
            return count
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
