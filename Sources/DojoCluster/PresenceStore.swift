/// Who is in a room across the nodes: the number of subscribers, how many are anonymous, and the
/// signed-in users (each once, however many connections they hold).
public struct PresenceCount: Sendable, Equatable {
    public var members: Int
    public var anonymous: Int
    public var users: Set<String>
    /// The states present users set (`typing`, …), by user.
    public var states: [String: String]

    public init(members: Int = 0, anonymous: Int = 0, users: Set<String> = [], states: [String: String] = [:]) {
        self.members = members
        self.anonymous = anonymous
        self.users = users
        self.states = states
    }
}

/// What one node has in one room: its anonymous members and its signed-in users with their
/// connections (``PresenceStore/report(node:rooms:)``).
public struct PresenceTally: Sendable, Equatable {
    public var anonymous: Int
    public var users: [String: Int]

    public init(anonymous: Int = 0, users: [String: Int] = [:]) {
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
/// - a leave without a join changes nothing (never a negative count);
/// - a state is shown for a user while they are present, and not once they have left;
/// - `report(node:rooms:)` leaves the node with exactly the members given, in exactly those rooms.
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
    /// Sets what a present user shows the room (`typing`; nil: nothing), kept while the user is
    /// present; a user gone from the room has no state in its count.
    func setState(_ room: String, user: String, state: String?)
    /// Replaces everything `node` reported with `rooms`: after the store was unreachable, the
    /// joins and leaves it missed are made good.
    func report(node: String, rooms: [String: PresenceTally]) async throws
}
