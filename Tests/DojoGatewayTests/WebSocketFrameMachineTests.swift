import NIOCore
import NIOWebSocket
import Testing

@testable import DojoGateway

/// RFC 6455's inbound rules alone: frames in, actions out, no channel.
@Suite("WebSocket frame machine")
struct WebSocketFrameMachineTests {
    typealias Action = WebSocketFrameMachine.Action

    static func frame(
        _ opcode: WebSocketOpcode,
        _ bytes: [UInt8],
        fin: Bool = true,
        masked: Bool = true,
        rsv1: Bool = false
    ) -> WebSocketFrame {
        let key = WebSocketMaskingKey([9, 8, 7, 6])!
        var data = ByteBuffer(bytes: bytes)
        if masked { data.webSocketMask(key) }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? key : nil, data: data)
    }

    static func text(_ string: String, fin: Bool = true) -> WebSocketFrame { frame(.text, Array(string.utf8), fin: fin) }

    static func close(_ code: UInt16?, _ reason: [UInt8] = []) -> WebSocketFrame {
        var payload: [UInt8] = []
        if let code { payload = [UInt8(code >> 8), UInt8(code & 0xFF)] }
        return frame(.connectionClose, payload + reason)
    }

    static func code(_ action: Action) -> UInt16? {
        if case .fail(let code, _) = action { return code }
        return nil
    }

    @Test("a text message, whole or in fragments (with a ping between them), is one message; a ping's payload is its pong's")
    func messages() {
        var machine = WebSocketFrameMachine(maximumMessageBytes: 64)
        do {
            let got = machine.read(Self.text("{}"))
            #expect(got == .message(Array("{}".utf8)))
        }
        do {
            let got = machine.read(Self.text(#"{"a""#, fin: false))
            #expect(got == .none)
        }
        do {
            let got = machine.read(Self.frame(.ping, Array("hb".utf8)))
            #expect(got == .pong(ByteBuffer(string: "hb")))
        }
        do {
            let got = machine.read(Self.frame(.continuation, Array(":".utf8), fin: false))
            #expect(got == .none)
        }
        do {
            let got = machine.read(Self.frame(.continuation, Array("1}".utf8)))
            #expect(got == .message(Array(#"{"a":1}"#.utf8)))
        }
        do {
            let got = machine.read(Self.frame(.pong, []))
            #expect(got == .none)
        }
        // A multi-byte character split across fragments is checked whole.
        let euro = Array("€".utf8)
        do {
            let got = machine.read(Self.frame(.text, [euro[0]], fin: false))
            #expect(got == .none)
        }
        do {
            let got = machine.read(Self.frame(.continuation, Array(euro[1...])))
            #expect(got == .message(euro))
        }
    }

    @Test(
        "violations end the session with their code",
        arguments: [
            ("unmasked", UInt16(1002)), ("reserved bit", 1002), ("reserved opcode", 1002), ("binary", 1003), ("invalid UTF-8", 1007),
            ("truncated UTF-8", 1007), ("stray continuation", 1002), ("message inside a message", 1002), ("too big", 1009),
        ]
    )
    func violations(_ kind: String, _ code: UInt16) {
        var machine = WebSocketFrameMachine(maximumMessageBytes: 16)
        let last: WebSocketFrame
        switch kind {
        case "unmasked": last = Self.frame(.text, Array("{}".utf8), masked: false)
        case "reserved bit": last = Self.frame(.text, Array("{}".utf8), rsv1: true)
        case "reserved opcode": last = Self.frame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, [])
        case "binary": last = Self.frame(.binary, [1, 2])
        case "invalid UTF-8": last = Self.frame(.text, [0x7B, 0xFF, 0x7D])
        case "truncated UTF-8": last = Self.frame(.text, [0x7B, 0xE2, 0x82])
        case "stray continuation": last = Self.frame(.continuation, [0x7B])
        case "message inside a message":
            _ = machine.read(Self.text("{", fin: false))
            last = Self.text("}")
        default:
            do {
                let got = machine.read(Self.text("0123456789", fin: false))
                #expect(got == .none)
            }
            last = Self.frame(.continuation, Array("0123456789".utf8))
        }
        do {
            let got = machine.read(last)
            #expect(Self.code(got) == code, "\(kind)")
        }
    }

    @Test("a binary message in fragments is refused when it is whole (1003)")
    func binaryFragments() {
        var machine = WebSocketFrameMachine(maximumMessageBytes: 64)
        do {
            let got = machine.read(Self.frame(.binary, [1], fin: false))
            #expect(got == .none)
        }
        do {
            let got = machine.read(Self.frame(.continuation, [2]))
            #expect(Self.code(got) == 1003)
        }
    }

    @Test("the peer's close: its code is the session's, an empty close is 1000, a bad code 1002, one byte 1002, a reason not UTF-8 1007")
    func peerCloses() {
        var machine = WebSocketFrameMachine(maximumMessageBytes: 64)
        do {
            let got = machine.read(Self.close(4321, Array("bye".utf8)))
            #expect(got == .fail(code: 4321, reason: ""))
        }
        do {
            let got = machine.read(Self.close(nil))
            #expect(got == .fail(code: 1000, reason: ""))
        }
        for invalid: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            do {
                let got = machine.read(Self.close(invalid))
                #expect(Self.code(got) == 1002, "code \(invalid)")
            }
        }
        do {
            let got = machine.read(Self.frame(.connectionClose, [0x03]))
            #expect(Self.code(got) == 1002)
        }
        do {
            let got = machine.read(Self.close(1000, [0xC3, 0x28]))
            #expect(Self.code(got) == 1007)
        }
    }

    @Test("once closing: the peer's close completes the handshake, new messages are not read, control frames still are")
    func closing() {
        var machine = WebSocketFrameMachine(maximumMessageBytes: 64)
        do {
            let got = machine.read(Self.text("{", fin: false))
            #expect(got == .none)
        }
        machine.startClosing()
        do {
            let got = machine.read(Self.frame(.continuation, Array("}".utf8)))
            #expect(got == .none, "a message finished while closing is dropped")
        }
        do {
            let got = machine.read(Self.text("{}"))
            #expect(got == .none)
        }
        do {
            let got = machine.read(Self.frame(.ping, [1]))
            #expect(got == .pong(ByteBuffer(bytes: [1])))
        }
        do {
            let got = machine.read(Self.frame(.text, [], masked: false))
            #expect(Self.code(got) == 1002, "masking is still checked")
        }
        do {
            let got = machine.read(Self.close(1000))
            #expect(got == .closeSocket)
        }
    }

    @Test("the decoder's errors: an oversized frame 1009, a fragmented or long control frame 1002, anything else closes quietly")
    func decoderErrors() {
        let machine = WebSocketFrameMachine(maximumMessageBytes: 64)
        #expect(Self.code(machine.decodingFailed(NIOWebSocketError.invalidFrameLength)!) == 1009)
        #expect(Self.code(machine.decodingFailed(NIOWebSocketError.fragmentedControlFrame)!) == 1002)
        #expect(Self.code(machine.decodingFailed(NIOWebSocketError.multiByteControlFrameLength)!) == 1002)
        struct Other: Error {}
        #expect(machine.decodingFailed(Other()) == nil)
    }
}
