import NIOCore

/// The protocol logic of one connection, as a value: inputs (a message or packet arrived, the
/// heartbeat ticked, the transport's writability changed, a message is to be sent, the session
/// closes or its transport ends) go in with the time, and what to do comes out. No sockets, no
/// clocks, no metrics: ``Connection`` owns one, performs its answers on the loop, and the unit
/// tests drive it alone (ConnectionStateMachineTests).
///
/// The lifecycle is `open` → `closing` (the server said why and closes; nothing more is read or
/// written) → `ended` (the transport is gone; torn down once), or `open` → `ended` directly.
struct ConnectionStateMachine {
    enum Lifecycle: Equatable {
        case open
        case closing
        case ended
    }

    enum Tick: Equatable {
        /// Closing or ended: nothing to do.
        case idle
        /// The client was heard within two intervals: probe it.
        case probe
        /// Silent for two intervals: close it (4000).
        case timeout
    }

    struct Limits {
        var messagesPerSecond: Int
        var messageBurst: Int
        var outboundMessages: Int
        var outboundBytes: Int

        /// Refusals are said on the first in a row and every 16th; four bursts' worth in a row
        /// with nothing admitted is flooding.
        var messagePolicy: TokenBudget.Policy {
            .init(rate: messagesPerSecond, burst: messageBurst, sayEvery: 16, abusiveAfter: messageBurst * 4)
        }
    }

    /// A camera's frame budget: 60 per second, 60 at once.
    static let framesPerSecond = 60
    /// Frames refused in a row before the device is closed (10 seconds' worth).
    static let abusiveFrameRefusals = 600

    let limits: Limits
    private(set) var lifecycle = Lifecycle.open
    private(set) var lastInbound: NIODeadline
    private var messages: TokenBudget
    private var frames: TokenBudget
    private(set) var outbound = OutboundQueue()

    init(limits: Limits, now: NIODeadline) {
        self.limits = limits
        lastInbound = now
        messages = TokenBudget(limits.messagePolicy, now: now)
        frames = TokenBudget(Self.framePolicy, now: now)
    }

    static let framePolicy = TokenBudget.Policy(
        rate: framesPerSecond,
        burst: framesPerSecond,
        sayEvery: framesPerSecond,
        abusiveAfter: abusiveFrameRefusals
    )

    var isOpen: Bool { lifecycle == .open }

    // MARK: Inbound

    /// Any frame or packet arrived: the client is alive.
    mutating func touched(now: NIODeadline) {
        lastInbound = now
    }

    /// A complete message arrived: a camera's frame (its own budget) or anything else (the
    /// message budget). Nil while closing or ended: it is not read.
    mutating func message(isFrame: Bool, now: NIODeadline) -> TokenBudget.Verdict? {
        guard isOpen else { return nil }
        lastInbound = now
        return isFrame ? frames.take(Self.framePolicy, now: now) : messages.take(limits.messagePolicy, now: now)
    }

    // MARK: Timers

    mutating func tick(now: NIODeadline, interval: TimeAmount) -> Tick {
        guard isOpen else { return .idle }
        return now - lastInbound > interval * 2 ? .timeout : .probe
    }

    // MARK: Outbound

    mutating func sendReliable(_ frame: ByteBuffer) -> OutboundQueue.Placement {
        guard isOpen else { return .discarded }
        return outbound.reliable(frame, maximumMessages: limits.outboundMessages, maximumBytes: limits.outboundBytes)
    }

    mutating func sendLossy(_ frame: ByteBuffer, room: String, key: Room.LossyKey) -> OutboundQueue.Placement {
        guard isOpen else { return .discarded }
        return outbound.lossy(frame, slot: OutboundQueue.slot(room: room, key: key))
    }

    mutating func writabilityChanged(_ writable: Bool) {
        outbound.writabilityChanged(writable)
    }

    /// The next waiting message to write (see ``OutboundQueue/next()``).
    mutating func nextToWrite() -> ByteBuffer? {
        guard isOpen else { return nil }
        return outbound.next()
    }

    // MARK: Ending

    /// The server ends the session: true the first time (say why and close the transport).
    mutating func close() -> Bool {
        guard isOpen else { return false }
        lifecycle = .closing
        outbound.close()
        return true
    }

    /// The transport is gone: true the first time (tear the session down).
    mutating func end() -> Bool {
        guard lifecycle != .ended else { return false }
        lifecycle = .ended
        outbound.close()
        return true
    }
}
