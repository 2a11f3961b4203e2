public import NIOCore

/// One message of a room, framed once: the same bytes go to every subscriber on every node.
public struct RoomMessage: Sendable {
    public enum Delivery: Sendable, Equatable {
        /// In order, never dropped; `seq` is the room's sequence number (nil: the receiving
        /// room numbers it, for rooms whose numbers live in memory).
        case reliable(seq: Int64?)
        /// Newest value wins for a slow reader (camera frames); `key` names the stream.
        case lossy(key: String)
        /// `user` may no longer follow the room (a clan member who left): every node ends their
        /// subscriptions to it. The frame is empty.
        case revoked(user: String)
    }

    public var room: String
    public var delivery: Delivery
    public var frame: ByteBuffer

    public init(room: String, delivery: Delivery, frame: ByteBuffer) {
        self.room = room
        self.delivery = delivery
        self.frame = frame
    }
}
