import NIOCore
import NIOWebSocket

/// RFC 6455's rules for what a client sends (§5: masking, reserved bits and opcodes,
/// fragmentation, control frames; §7.4: close codes; §8.1: UTF-8), as a value: a frame from NIO's
/// decoder goes in, what to do comes out. ``WebSocketTransport`` performs the answers on the
/// socket; the unit tests drive the machine alone (WebSocketFrameMachineTests).
struct WebSocketFrameMachine {
    enum Action: Equatable {
        case none
        /// A complete text message: within the size, valid UTF-8.
        case message([UInt8])
        /// Answer a ping with its payload.
        case pong(ByteBuffer)
        /// End the session with this code: the peer broke the protocol, or closed (its code, no
        /// reason).
        case fail(code: UInt16, reason: String)
        /// The peer answered our close: the handshake is complete, close the socket.
        case closeSocket
    }

    let maximumMessageBytes: Int
    private var fragments: [UInt8]?
    private var fragmentsAreText = true
    /// We sent a close (or the socket ended): new messages are not read.
    private(set) var closing = false

    init(maximumMessageBytes: Int) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    /// Our close frame is on its way (or the socket is gone).
    mutating func startClosing() {
        closing = true
    }

    mutating func read(_ frame: WebSocketFrame) -> Action {
        guard frame.maskKey != nil else { return Self.protocolError("client frames must be masked") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return Self.protocolError("reserved bits set without an extension") }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return Self.protocolError("a new message began inside a fragmented one") }
            guard !closing else { return .none }
            fragmentsAreText = frame.opcode == .text
            if frame.fin { return message(Array(buffer: frame.unmaskedData)) }
            fragments = Array(buffer: frame.unmaskedData)
            return .none
        case .continuation:
            guard var assembled = fragments else { return Self.protocolError("a continuation frame without a message to continue") }
            fragments = nil
            assembled.append(contentsOf: frame.unmaskedData.readableBytesView)
            guard assembled.count <= maximumMessageBytes else { return tooBig("message") }
            if frame.fin { return closing ? .none : message(assembled) }
            fragments = assembled
            return .none
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            return closeReceived(frame.unmaskedData)
        default:
            return Self.protocolError("reserved opcode \(frame.opcode)")
        }
    }

    /// An error of NIO's frame decoder: the session ends with its code, or nil for an error that
    /// is not the peer's protocol (the socket is closed without a word).
    func decodingFailed(_ error: any Error) -> Action? {
        switch error as? NIOWebSocketError {
        case .invalidFrameLength?: tooBig("frame")
        case .fragmentedControlFrame?, .multiByteControlFrameLength?:
            Self.protocolError("control frames are unfragmented and at most 125 bytes")
        default: nil
        }
    }

    private static func protocolError(_ reason: String) -> Action {
        .fail(code: CloseCode.protocolError, reason: reason)
    }

    private func tooBig(_ what: String) -> Action {
        .fail(code: CloseCode.messageTooBig, reason: "\(what) larger than \(maximumMessageBytes) bytes")
    }

    private func closeReceived(_ payload: ByteBuffer) -> Action {
        var payload = payload
        var code = CloseCode.normal
        if payload.readableBytes == 1 { return Self.protocolError("a close payload of one byte") }
        if let received: UInt16 = payload.readInteger() {
            guard Wire.isValidCloseCode(received) else { return Self.protocolError("invalid close code \(received)") }
            guard UTF8Validation.isValid(payload.readableBytesView) else {
                return .fail(code: CloseCode.invalidPayload, reason: "close reason is not UTF-8")
            }
            code = received
        }
        // Our close answered: the handshake is complete. Else the peer closes first: end the
        // session with its code (the transport answers with the same).
        return closing ? .closeSocket : .fail(code: code, reason: "")
    }

    private func message(_ bytes: [UInt8]) -> Action {
        guard fragmentsAreText else {
            return .fail(code: CloseCode.unsupportedData, reason: "binary messages are not part of the protocol; send JSON text")
        }
        guard bytes.count <= maximumMessageBytes else { return tooBig("message") }
        guard UTF8Validation.isValid(bytes) else { return .fail(code: CloseCode.invalidPayload, reason: "text message is not valid UTF-8") }
        return .message(bytes)
    }
}
