import DojoGateway
import DojoTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

/// Socket.IO checked by python-socketio (PyPI), a client nobody here wrote: every transport
/// (polling then the upgrade, WebSocket only, polling only), the same events numbered alike as
/// a native subscriber, a command with an ack, the documented refusals, recovery with `since`
/// after a forced disconnect, a refused token (`scripts/socketio-check.py`).
@Suite("Socket.IO, checked by python-socketio")
struct SocketIOTests {
    @Test("python-socketio connects, upgrades, follows a match like a native subscriber, recovers, and is refused as documented")
    func pythonSocketIO() async throws {
        guard try await WatchPageTests.run("/usr/bin/env", ["python3", "-c", "import socketio, websocket, requests"]).0 == 0 else {
            if TestServices.isCI { Issue.record("python-socketio is missing (scripts/deps.sh --services installs it); CI=true: not skipped") }
            print("note: python-socketio is not installed; skipping the Socket.IO check")
            return
        }
        var configuration = try testConfiguration()
        configuration.authRequestsPerMinute = 1_000
        let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry)
        try await server.application.test(.live) { client in
            let script = OpenAPITests.repository.appendingPathComponent("scripts/socketio-check.py").path
            let (status, output) = try await WatchPageTests.run("/usr/bin/env", ["python3", script, "--url", "http://127.0.0.1:\(client.port!)"])
            #expect(status == 0, "\(output.suffix(10_000))")
            #expect(output.contains("socketio-check: all passed"), "\(output.suffix(10_000))")
            // Every session ended with its client. One whose close was lost under load ends at the
            // heartbeat: silent for two intervals (40 s), seen at the loop's next beat (the beats
            // come every interval, 20 s), so within three intervals and a margin.
            let deadline = ContinuousClock.now + .seconds(70)
            while server.gateway.socketIOSessionCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(server.gateway.socketIOSessionCount == 0)
        }
    }
}

/// Engine.IO's HTTP side refuses what is not a session's own request, in its own shape.
@Suite("Socket.IO polling: bad requests")
struct SocketIOPollingTests {
    static func call(
        _ client: some TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ query: String,
        body: [UInt8]? = nil
    ) async throws -> (Int, String) {
        try await client.execute(uri: "/socket.io/?" + query, method: method, body: body.map { ByteBuffer(bytes: $0) }) {
            (Int($0.status.code), String(buffer: $0.body))
        }
    }

    @Test("wrong version, transport or session, no session on a POST, a body too big or not UTF-8, two polls at once, an upgrade of no session")
    func refusals() async throws {
        let server = try await buildServer(configuration: try testConfiguration(), logger: apiLogger, registry: sharedRegistry)
        try await server.application.test(.live) { client in
            #expect(
                try await Self.call(client, .get, "EIO=3&transport=polling") == (
                    400, #"{"code":5,"message":"Unsupported protocol version: EIO=4 only"}"#
                )
            )
            #expect(try await Self.call(client, .get, "EIO=4&transport=flash").1.contains(#""code":0"#))
            #expect(try await Self.call(client, .get, "EIO=4&transport=websocket").1.contains(#""code":3"#))
            #expect(try await Self.call(client, .get, "EIO=4&transport=polling&sid=nope") == (400, #"{"code":1,"message":"Session ID unknown"}"#))
            #expect(try await Self.call(client, .post, "EIO=4&transport=polling", body: Array("40".utf8)).1.contains(#""code":3"#))

            // A session: its open packet, then what it refuses.
            let (opened, open) = try await Self.call(client, .get, "EIO=4&transport=polling")
            #expect(opened == 200 && open.hasPrefix(#"0{"sid":""#))
            let sid = try #require(open.split(separator: "\"").dropFirst(3).first.map(String.init))
            let session = "EIO=4&transport=polling&sid=\(sid)"
            #expect(try await Self.call(client, .post, session, body: [0x34, 0x32, 0xFF]).1.contains("not UTF-8"))
            #expect(try await Self.call(client, .post, session, body: Array(repeating: 0x36, count: 300_000)).0 == 413)
            #expect(try await Self.call(client, .post, session, body: Array("6\u{1E}\u{1E}6".utf8)).1.contains("empty"))
            // CONNECT over polling: the namespace's answer, then hello.
            #expect(try await Self.call(client, .post, session, body: Array("40".utf8)) == (200, "ok"))
            let (_, connected) = try await Self.call(client, .get, session)
            #expect(connected.hasPrefix("40{\"sid\":") && connected.contains(#"42["hello",{"type":"hello""#))
            // Two polls at once: the second is refused and the session ends (the first gets its close).
            // (The test client has one connection: the first poll goes through curl.)
            let url = "http://127.0.0.1:\(client.port!)/socket.io/?\(session)"
            async let first = WatchPageTests.run("/usr/bin/env", ["curl", "-s", "--max-time", "30", url])
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.call(client, .get, session).1.contains("already waiting"))
            let (curled, waited) = try await first
            #expect(curled == 0 && waited.hasSuffix("41\u{1E}1"), "\(waited)")
            #expect(try await Self.call(client, .get, session).1.contains(#""code":1"#))
            // A WebSocket upgrade of a session that does not exist is refused.
            await #expect(throws: (any Error).self) {
                _ = try await TestWebSocket.connect(port: client.port!, path: "/socket.io/?EIO=4&transport=websocket&sid=nope")
            }
        }
    }
}
