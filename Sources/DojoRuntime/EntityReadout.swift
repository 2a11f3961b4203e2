/// An entity as a transport shows it: whether it exists, its sequence number, and its view for
/// clients as JSON (keys sorted).
public struct EntityReadout: Sendable {
    public var exists: Bool
    public var sequence: Int64
    public var view: [UInt8]
}

/// What a command sent through a registration did, ready for REST's answer and the socket's ack.
public struct EntityCommandOutcome: Sendable {
    public struct Event: Sendable {
        public var seq: Int64
        public var type: String
        /// The domain event as JSON (the bytes the log holds).
        public var json: [UInt8]
    }

    public var sequence: Int64
    public var firstSequence: Int64?
    public var duplicate: Bool
    public var events: [Event]
    /// The entity's view after the command, JSON.
    public var view: [UInt8]
}
