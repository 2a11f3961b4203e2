import DojoGateway
import DojoTesting
import Foundation
import Testing

@testable import DojoAPI
@testable import DojoServer

/// RFC 6455 conformance, checked with a raw-socket client (the Autobahn suite cannot run here).
@Suite("RFC 6455 conformance")
struct WebSocketConformanceTests {
    /// Sends `frames` on a fresh connection and returns the server's close code.
    private func closeCode(_ h: GatewayHarness, _ send: (TestWebSocket) async throws -> Void) async throws -> UInt16? {
        let socket = try await h.socket()
        // The server may close while the client is still writing: the close frame is what counts.
        try? await send(socket)
        let close = try await socket.expectClose()
        // After its close frame the server ends the TCP connection.
        let deadline = ContinuousClock.now + .seconds(5)
        while !socket.isClosed && ContinuousClock.now < deadline {
            _ = try? await socket.nextFrame(timeout: .milliseconds(200))
        }
        #expect(socket.isClosed, "the server closes the TCP connection after the close frame")
        return close.code
    }

    private func check(
        _ h: GatewayHarness,
        _ expected: UInt16,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ send: (TestWebSocket) async throws -> Void
    ) async throws {
        let code = try await closeCode(h, send)
        #expect(code == expected, comment, sourceLocation: sourceLocation)
    }

    static let ping = Array(#"{"type":"ping","id":"f"}"#.utf8)

    @Test("protocol violations close with 1002")
    func protocolErrors() async throws {
        try await withGateway { h in
            try await check(h, 1002, "unmasked client frame") { try await $0.send(opcode: 0x1, Self.ping, masked: false) }
            for rsv: UInt8 in [1, 2, 4] {
                try await check(h, 1002, "reserved bit \(rsv)") { try await $0.send(opcode: 0x1, Self.ping, rsv: rsv) }
            }
            for opcode: UInt8 in [0x3, 0x7, 0xB, 0xF] {
                try await check(h, 1002, "reserved opcode \(opcode)") { try await $0.send(opcode: opcode, []) }
            }
            try await check(h, 1002, "ping over 125 bytes") { try await $0.send(opcode: 0x9, Array(repeating: 0x61, count: 126)) }
            try await check(h, 1002, "fragmented ping") { try await $0.send(opcode: 0x9, [1], fin: false) }
            try await check(h, 1002, "continuation without a message") { try await $0.send(opcode: 0x0, Self.ping) }
            try await check(h, 1002, "a new message inside a fragmented one") { socket in
                try await socket.send(opcode: 0x1, Array(Self.ping.prefix(5)), fin: false)
                try await socket.send(opcode: 0x1, Array(Self.ping.dropFirst(5)))
            }
            for code: UInt16 in [0, 999, 1004, 1005, 1006, 1012, 1016, 2000, 2999, 5000] {
                try await check(h, 1002, "close code \(code)") { try await $0.send(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]) }
            }
            try await check(h, 1002, "a one-byte close payload") { try await $0.send(opcode: 0x8, [0x03]) }
        }
    }

    @Test("invalid UTF-8 closes with 1007, also when split across fragments; valid UTF-8 split across fragments is fine")
    func utf8() async throws {
        try await withGateway { h in
            try await check(h, 1007) { try await $0.send(opcode: 0x1, [0x7B, 0xC3, 0x28, 0x7D]) }
            try await check(h, 1007) { socket in
                try await socket.send(opcode: 0x1, Array(#"{"type":"ping","id":"\#u{3BA}"#.utf8) + [0xCE], fin: false)
                try await socket.send(opcode: 0x0, [0x41] + Array(#""}"#.utf8))
            }
            try await check(h, 1007, "close reason not UTF-8") { try await $0.send(opcode: 0x8, [0x03, 0xE8, 0xFF, 0xFE]) }
            // κ (0xCE 0xBA) split between two fragments, with a ping between them.
            let socket = try await h.socket()
            try await socket.send(opcode: 0x1, Array(#"{"type":"ping","id":"x"#.utf8) + [0xCE], fin: false)
            try await socket.send(opcode: 0x9, Array("mid".utf8))
            try await socket.send(opcode: 0x0, [0xBA] + Array(#""}"#.utf8))
            let pong = try await socket.nextFrame()
            #expect(pong.opcode == 0xA && pong.text == "mid", "a control frame inside a fragmented message is answered at once")
            let ack = try await socket.next(type: "ack")
            #expect(ack["id"] as? String == "x\u{3BA}")
        }
    }

    @Test("oversized frames and messages close with 1009; binary messages with 1003")
    func sizes() async throws {
        try await withGateway({ $0.gateway.maximumMessageBytes = 4_096 }) { h in
            try await check(h, 1009, "one big frame") { try await $0.send(opcode: 0x1, Array(repeating: 0x20, count: 5_000)) }
            try await check(h, 1009, "fragments adding up past the limit") { socket in
                for index in 0..<3 { try await socket.send(opcode: index == 0 ? 0x1 : 0x0, Array(repeating: 0x20, count: 2_000), fin: false) }
            }
            try await check(h, 1003, "binary message") { try await $0.send(opcode: 0x2, Self.ping) }
        }
    }

    @Test("ping is answered with the same payload; the closing handshake echoes the code and ends the connection")
    func pingAndClose() async throws {
        try await withGateway { h in
            let socket = try await h.socket()
            try await socket.send(opcode: 0x9, Array("hello".utf8))
            let pong = try await socket.nextFrame()
            #expect(pong.opcode == 0xA && pong.text == "hello")
            try await socket.send(opcode: 0xA, Array("unsolicited".utf8))  // ignored
            try await socket.close(code: 1000)
            let close = try await socket.expectClose()
            #expect(close.code == 1000)
            try await check(h, 1000, "a close without a code is answered with 1000") { try await $0.send(opcode: 0x8, []) }
            try await check(h, 4000, "an application code is echoed") { try await $0.send(opcode: 0x8, [0x0F, 0xA0] + Array("bye".utf8)) }
        }
    }

    @Test("the upgrade: only at /v1/ws; a token in Authorization or in Sec-WebSocket-Protocol signs the connection in; a bad one closes it with 4001")
    func upgrade() async throws {
        try await withGateway { h in
            let wrongPath = try await TestWebSocket.connect(port: h.port, path: "/v1/elsewhere", requireUpgrade: false)
            #expect(wrongPath.upgradeResponse.hasPrefix("HTTP/1.1 400"), "\(wrongPath.upgradeResponse)")

            let token = try await h.token("alice")
            let byHeader = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token)")])
            let helloByHeader = try await byHeader.next()
            #expect(helloByHeader["user"] as? String == "alice")

            let byProtocol = try await TestWebSocket.connect(port: h.port, headers: [("Sec-WebSocket-Protocol", "dojo.v1, bearer.\(token)")])
            #expect(byProtocol.upgradeResponse.lowercased().contains("sec-websocket-protocol: dojo.v1"))
            let helloByProtocol = try await byProtocol.next()
            #expect(helloByProtocol["user"] as? String == "alice")

            let forged = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token.dropLast(4))AAAA")])
            let error = try await forged.next()
            #expect(error["type"] as? String == "error" && error["code"] as? String == "auth.token_signature", "\(error)")
            let refusedClose = try await forged.expectClose()
            #expect(refusedClose.code == 4001)
        }
    }
}
