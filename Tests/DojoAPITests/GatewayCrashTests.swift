import DojoStorage
import DojoTesting
import Foundation
import Synchronization
import Testing

/// The real server behind its socket: commands acknowledged over WebSocket survive `kill -9`, and
/// a graceful stop closes every socket with 1001 and a reconnect hint.
@Suite("WebSocket against the real server", .serialized)
struct GatewayCrashTests {
    /// Registers a user on a running server and returns (id, access token).
    static func register(_ client: Client, _ name: String) async throws -> (String, String) {
        let reply = try await client.post(
            "/v1/auth/register",
            user: "nobody",
            [
                "email": "\(name)@example.test", "username": name, "password": "correct horse battery",
            ]
        )
        let user = try #require(reply.json["user"] as? [String: Any], "\(reply.json)")
        return (try #require(user["id"] as? String), try #require(reply.json["accessToken"] as? String))
    }

    @Test(
        "every command acknowledged over the socket (commentary and referee shots) is in the log after kill -9; the referee's rack is rebuilt",
        arguments: Backend.allCases
    )
    func killMidLoad(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["bob"], in: storage)
            let environment = try await CrashTests.serverEnvironment(storage: storage, backend: backend)
            let server = try await ServerChild.start(environment: environment)
            let client = Client(port: server.port, key: CrashTests.serviceKey)
            let (alice, token) = try await Self.register(client, "alice")
            _ = try await client.post(
                "/v1/matches",
                user: alice,
                ["id": "m1", "playerA": alice, "playerB": "bob", "gameType": "9-ball", "raceTo": 9]
            )
            _ = try await client.post("/v1/matches/m1/start", user: alice, [:])

            let socket = try await TestWebSocket.connect(port: server.port, headers: [("Authorization", "Bearer \(token)")])
            _ = try await socket.next()
            let acked = Locked<[Int: Int]>([:])  // command number → sequence
            let inFlight = Locked<Int>(0)
            let reader = Task {
                while true {
                    let message = try await socket.next(timeout: .seconds(30))
                    guard let id = message["id"] as? Int else { continue }
                    inFlight.withLock { $0 -= 1 }
                    if message["type"] as? String == "ack", let sequence = message["sequence"] as? Int {
                        acked.withLock { $0[id] = sequence }
                    }
                }
            }
            let writer = Task {
                for index in 0..<1_500 {
                    while inFlight.withLock({ $0 }) >= 12 { try await Task.sleep(for: .milliseconds(1)) }
                    inFlight.withLock { $0 += 1 }
                    // Every other command is a referee shot (a legal miss; the first is the break).
                    let command: [String: any Sendable] =
                        index % 2 == 0
                        ? ["type": "commentary", "text": "c\(index)"]
                        : ["type": "shot", "shotId": "k\(index)", "firstContact": 1, "railAfterContact": true, "objectBallsToRail": 4]
                    try await socket.send(json: ["type": "command", "room": "match:m1", "id": index, "commandId": "k\(index)", "command": command])
                }
            }
            // Kill mid-load: once some commands are acknowledged, at a random moment after.
            let deadline = ContinuousClock.now + .seconds(30)
            while acked.withLock({ $0.count }) < 20 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...500)))
            server.kill9()
            _ = await server.child.exitStatus()
            writer.cancel()
            reader.cancel()
            let acknowledged = acked.withLock { $0 }
            #expect(acknowledged.count >= 20, "the load ran before the kill")

            let restarted = try await ServerChild.start(environment: environment)
            defer { restarted.stop() }
            let spectator = try await TestWebSocket.connect(port: restarted.port)
            _ = try await spectator.next()
            try await spectator.send(json: ["type": "subscribe", "room": "match:m1", "since": ["seq": 0, "epoch": "log"], "id": "s"])
            let ack = try await spectator.next(type: "ack")
            #expect(ack["recovered"] as? Bool == true, "\(ack)")
            let head = ack["seq"] as! Int
            var texts: [Int: String] = [:]
            while texts.count < head {
                let event = try await spectator.next(type: "event")
                let body = String(decoding: try JSONSerialization.data(withJSONObject: event["event"] as Any), as: UTF8.self)
                texts[event["seq"] as! Int] = body
            }
            for (index, sequence) in acknowledged {
                let mark = index % 2 == 0 ? "\"c\(index)\"" : "\"shotId\":\"k\(index)\""
                #expect(sequence <= head && texts[sequence]?.contains(mark) == true, "acknowledged command \(index) at \(sequence) is missing")
            }
            // The match rebuilt from its snapshot and log has judged exactly the shots in the log.
            let shotsInLog = texts.values.filter { $0.contains("\"shotRuled\"") }.count
            let state = try await Client(port: restarted.port, key: CrashTests.serviceKey).get("/v1/matches/m1").json["match"] as? [String: Any]
            #expect((state?["referee"] as? [String: Any])?["shots"] as? Int == shotsInLog && shotsInLog >= 10)
        }
    }

    @Test("a graceful stop closes every socket with 1001 going_away and exits 0")
    func gracefulStop() async throws {
        try await withFreshStorage(.sqlite) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let environment = try await CrashTests.serverEnvironment(storage: storage, backend: .sqlite)
            let server = try await ServerChild.start(environment: environment)
            let client = Client(port: server.port, key: CrashTests.serviceKey)
            _ = try await client.post(
                "/v1/matches",
                user: "alice",
                ["id": "m1", "playerA": "alice", "playerB": "bob", "gameType": "8-ball", "raceTo": 3]
            )
            var sockets: [TestWebSocket] = []
            for _ in 0..<3 {
                let socket = try await TestWebSocket.connect(port: server.port)
                _ = try await socket.next()
                try await socket.send(json: ["type": "subscribe", "room": "match:m1", "id": 1])
                _ = try await socket.next(type: "ack")
                sockets.append(socket)
            }
            server.stop()
            for socket in sockets {
                let close = try await socket.expectClose()
                #expect(close.code == 1001 && close.reason.hasPrefix("going_away"), "\(close)")
                try await socket.close(code: 1001)
            }
            let status = await server.child.exitStatus()
            #expect(status == 0)
        }
    }
}
