/// The gateway's limits and tuning (`gateway.*` keys; see the README's configuration table).
public struct GatewayConfiguration: Sendable, Equatable {
    /// The largest message (a text frame, or the fragments of one message together) a client may send.
    public var maximumMessageBytes = 64 * 1024
    /// Rooms one connection may follow at once.
    public var maximumSubscriptions = 64
    /// Messages a client may send per second (sustained), and the burst allowed above that.
    public var messagesPerSecond = 20
    public var messageBurst = 40
    /// Commands of one connection waiting for their actor at once.
    public var maximumCommandsInFlight = 16
    /// The outbound budget of one connection: reliable messages (and their bytes) waiting for a
    /// socket that is not writable. Past either, the connection is closed with 4008 `slow_consumer`.
    public var outboundMessages = 4_096
    public var outboundBytes = 4 * 1024 * 1024
    /// Reliable messages each room keeps in memory for recovery.
    public var recoveryBuffer = 512
    /// The most missed events a subscriber may recover from the durable log; beyond, a snapshot.
    public var recoveryLogMaximum = 2_000
    /// Seconds between server pings; a client silent for two intervals is dropped (4000).
    public var heartbeatSeconds = 20
    /// Milliseconds between two presence updates of one room (joins and leaves are batched).
    public var presenceIntervalMilliseconds = 1_000
    /// Benchmark rooms (`bench:*`), to which any connection may publish. Off in production.
    public var benchRooms = false
    /// The shot detector's confidence at or above which a shot read from a table's frames is
    /// judged without review (matches in `auto` mode).
    public var visionThreshold = 0.8
    /// This node's id, put into its Socket.IO session ids (`<random>~<node>`) so that any node of
    /// the platform can relay a session's polls to it (set with `cluster.secret`; nil: untagged).
    public var socketIONode: String?

    public init() {}
}
