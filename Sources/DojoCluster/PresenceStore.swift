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
