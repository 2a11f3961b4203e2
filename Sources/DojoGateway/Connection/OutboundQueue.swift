import NIOCore

/// What waits to be written to one connection while its transport cannot take more: reliable
/// messages in order, within a budget of messages and bytes, and lossy ones as the newest value
/// per slot (a room's frames, its presence, one entity's notice). A value, written to only on the
/// connection's loop; the connection writes what it hands out.
struct OutboundQueue {
    enum Placement: Equatable {
        /// Nothing waits and the transport takes it: write it now.
        case writeNow
        case queued
        /// Queued past the budget: the consumer is too slow, close it.
        case overBudget
        /// A lossy value replaced an older one of its slot (the older one is dropped, counted).
        case replaced
        /// The connection is closing: nothing is written any more.
        case discarded
    }

    private var reliable = CircularBuffer<ByteBuffer>(initialCapacity: 1)
    private(set) var queuedBytes = 0
    private var lossy: [String: ByteBuffer] = [:]
    private var lossyOrder: [String] = []
    /// The transport's writability, as last reported.
    private(set) var writable = true
    /// Closed for good: everything is dropped and nothing more is taken.
    private(set) var closed = false

    var queuedMessages: Int { reliable.count }
    var isEmpty: Bool { reliable.isEmpty && lossy.isEmpty }

    /// A reliable message; past `maximumMessages` or `maximumBytes` waiting, it is over budget.
    mutating func reliable(_ frame: ByteBuffer, maximumMessages: Int, maximumBytes: Int) -> Placement {
        guard !closed else { return .discarded }
        if writable && reliable.isEmpty { return .writeNow }
        reliable.append(frame)
        queuedBytes += frame.readableBytes
        return reliable.count > maximumMessages || queuedBytes > maximumBytes ? .overBudget : .queued
    }

    mutating func lossy(_ frame: ByteBuffer, slot: @autoclosure () -> String) -> Placement {
        guard !closed else { return .discarded }
        if writable && reliable.isEmpty && lossy.isEmpty { return .writeNow }
        let slot = slot()
        if lossy.updateValue(frame, forKey: slot) != nil { return .replaced }
        lossyOrder.append(slot)
        return .queued
    }

    /// The slot of a lossy message: one per room for frames, one for its presence, one per entity
    /// for notices.
    static func slot(room: String, key: Room.LossyKey) -> String {
        switch key {
        case .frame: room
        case .presence: "presence " + room
        case .notice(let entity): entity + " " + room
        }
    }

    mutating func writabilityChanged(_ writable: Bool) {
        self.writable = writable
    }

    /// The next message to write now that the transport is writable: reliable ones first, in
    /// order, then (once none wait) the lossy values in the order their slots first filled. Nil
    /// when nothing waits, or the transport is full again, or the queue is closed. Called once
    /// per message, so a write that makes the transport unwritable stops the drain.
    mutating func next() -> ByteBuffer? {
        guard writable, !closed else { return nil }
        if let frame = reliable.popFirst() {
            queuedBytes -= frame.readableBytes
            return frame
        }
        while let slot = lossyOrder.first {
            lossyOrder.removeFirst()
            if let frame = lossy.removeValue(forKey: slot) { return frame }
        }
        return nil
    }

    /// Drops everything and refuses what comes after.
    mutating func close() {
        closed = true
        reliable.removeAll()
        queuedBytes = 0
        lossy.removeAll()
        lossyOrder.removeAll()
    }
}
