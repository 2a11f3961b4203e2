public import NIOCore

extension RoomMessage {
    /// The message as it crosses nodes, with the node that published it (which ignores its own
    /// publications: they were delivered to its subscribers directly). One version byte, the
    /// delivery (`0` reliable with its sequence, `1` reliable unnumbered, `2` lossy with its key,
    /// `3` a revocation with its user), the origin, the room, then the frame's bytes as they are.
    /// A reliable sequence number is at least 1.
    public func wire(origin: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(frame.readableBytes + room.utf8.count + origin.utf8.count + 32)
        buffer.writeInteger(UInt8(1))
        switch delivery {
        case .reliable(let seq?):
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(seq)
        case .reliable(nil):
            buffer.writeInteger(UInt8(1))
        case .lossy(let key):
            buffer.writeInteger(UInt8(2))
            buffer.writeInteger(UInt16(key.utf8.count))
            buffer.writeString(key)
        case .revoked(let user):
            buffer.writeInteger(UInt8(3))
            buffer.writeInteger(UInt16(user.utf8.count))
            buffer.writeString(user)
        }
        buffer.writeInteger(UInt8(origin.utf8.count))
        buffer.writeString(origin)
        buffer.writeInteger(UInt16(room.utf8.count))
        buffer.writeString(room)
        buffer.writeImmutableBuffer(frame)
        return buffer
    }

    /// Reads a message from another node: the message and its origin, nil if the bytes are not one.
    public static func fromWire(_ bytes: ByteBuffer) -> (message: RoomMessage, origin: String)? {
        var buffer = bytes
        guard buffer.readInteger(as: UInt8.self) == 1, let kind = buffer.readInteger(as: UInt8.self) else { return nil }
        let delivery: Delivery
        switch kind {
        case 0:
            guard let seq = buffer.readInteger(as: Int64.self), seq >= 1 else { return nil }
            delivery = .reliable(seq: seq)
        case 1:
            delivery = .reliable(seq: nil)
        case 2:
            guard let length = buffer.readInteger(as: UInt16.self), let key = buffer.readString(length: Int(length)) else { return nil }
            delivery = .lossy(key: key)
        case 3:
            guard let length = buffer.readInteger(as: UInt16.self), let user = buffer.readString(length: Int(length)) else { return nil }
            delivery = .revoked(user: user)
        default:
            return nil
        }
        guard let originLength = buffer.readInteger(as: UInt8.self), let origin = buffer.readString(length: Int(originLength)),
            let roomLength = buffer.readInteger(as: UInt16.self), let room = buffer.readString(length: Int(roomLength))
        else { return nil }
        return (RoomMessage(room: room, delivery: delivery, frame: buffer), origin)
    }
}
