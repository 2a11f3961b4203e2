import DojoGateway
import DojoTesting
import Foundation
import HummingbirdTesting
import Testing

@testable import DojoAPI

/// Socket.IO checked by python-socketio (PyPI), a client nobody here wrote: every transport
/// (polling then the upgrade, WebSocket only, polling only), the same events in the same order as
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
            // Every session ended with its client.
            let deadline = ContinuousClock.now + .seconds(5)
            while server.gateway.socketIOSessionCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(server.gateway.socketIOSessionCount == 0)
        }
    }
}
