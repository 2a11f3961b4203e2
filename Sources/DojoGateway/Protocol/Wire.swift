import NIOCore

/// Server-to-client WebSocket frames (RFC 6455 §5.2). Server frames are never masked, so one
/// buffer (header and payload together) is written as is to every subscriber of a room.
enum Wire {
    static let text: UInt8 = 0x1
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// A final frame with `opcode` and `payload`, header included.
    static func frame(_ opcode: UInt8, _ payload: some Collection<UInt8>) -> ByteBuffer {
        let count = payload.count
        var buffer = ByteBufferAllocator().buffer(capacity: count + 10)
        buffer.writeInteger(0x80 | opcode)
        if count < 126 {
            buffer.writeInteger(UInt8(count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(count))
        }
        buffer.writeBytes(payload)
        return buffer
    }

    /// A close frame with a status code and a reason (cut to fit the 125-byte control-frame limit).
    static func closeFrame(_ code: UInt16, _ reason: String) -> ByteBuffer {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        while String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        payload.append(contentsOf: reasonBytes)
        return frame(close, payload)
    }

    /// Whether a close code received from a client is one a peer may send (RFC 6455 §7.4; the
    /// registered 1000–1003 and 1007–1011, and 3000–4999 for libraries and applications).
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }
}

/// The close codes the gateway sends (documented in docs/protocol.md).
enum CloseCode {
    static let normal: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let protocolError: UInt16 = 1002
    static let unsupportedData: UInt16 = 1003
    static let invalidPayload: UInt16 = 1007
    static let policyViolation: UInt16 = 1008
    static let messageTooBig: UInt16 = 1009
    static let internalError: UInt16 = 1011
    /// The client answered no ping for two heartbeat intervals.
    static let heartbeatTimeout: UInt16 = 4000
    /// The token given at the upgrade was refused.
    static let unauthorized: UInt16 = 4001
    /// The client did not read fast enough: its outbound budget of reliable messages overflowed.
    static let slowConsumer: UInt16 = 4008
}
