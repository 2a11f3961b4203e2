import DojoDomain
import DojoGateway
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoServer

/// Keeps every log line a server writes (message and metadata), to search it for secrets.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "dojopool.captured") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))") }
        }
    }
}

@Suite("Hostile clients: the findings of the outside review, each as a regression")
struct HostileClientTests {
    // MARK: 1. Rooms keep their rules

    @Test("a clan room stays closed to an outsider after a member opened it; a member whose membership ends is removed")
    func clanRoomKeepsItsRule() async throws {
        try await withGateway { h in
            try await h.clan("k1", leader: "alice", members: ["carol"])
            let bob = try await h.socket(as: "bob")
            try await bob.send(json: ["type": "subscribe", "room": "clan:k1", "id": 1])
            #expect(try await bob.next(type: "error")["code"] as? String == "forbidden")
            let alice = try await h.socket(as: "alice")
            #expect(try await h.subscribe(alice, "clan:k1")["room"] as? String == "clan:k1")
            // The regression: with the room open on the node, the outsider was admitted.
            try await bob.send(json: ["type": "subscribe", "room": "clan:k1", "id": 2])
            let second = try await bob.next(type: "error")
            #expect(second["code"] as? String == "forbidden" && second["id"] as? Int == 2)
            // The same for a user room: open (by its user), still private.
            _ = try await h.subscribe(alice, "user:alice", id: "u")
            try await bob.send(json: ["type": "subscribe", "room": "user:alice", "id": 3])
            #expect(try await bob.next(type: "error")["code"] as? String == "forbidden")

            // Carol is a member, then leaves the clan: her subscription ends.
            let carol = try await h.socket(as: "carol")
            _ = try await h.subscribe(carol, "clan:k1", id: "c")
            #expect(try await h.call(.delete, "/v1/clans/k1/members/carol", as: "carol").0 == .ok)
            let revoked = try await carol.next(type: "error")
            #expect(revoked["code"] as? String == "room.access_revoked" && revoked["room"] as? String == "clan:k1")
            try await carol.send(json: ["type": "subscribe", "room": "clan:k1", "id": 4])
            #expect(try await carol.next(type: "error")["code"] as? String == "forbidden")
            // Alice, a member, still follows the room.
            try await alice.send(json: ["type": "unsubscribe", "room": "clan:k1", "id": "bye"])
            #expect(try await alice.next(type: "ack")["room"] as? String == "clan:k1")
        }
    }

    // MARK: 2. No integer ends the process

    @Test("a ruling with shots = Int64.max is refused with 422 and the server keeps serving")
    func hugeShotCount() async throws {
        try await withGateway { h in
            let headers = h.serviceHeaders("bob")
            for shots in [Int64.max, Int64(Int32.max), -1, 10_001] {
                let rack: [String: Any] = ["game": "9ball", "onTable": [1, 2, 9], "shooter": "A", "shots": shots]
                let (status, body) = try await h.post(
                    "/v1/referee/rulings",
                    ["game": "9ball", "rack": rack, "shot": ["firstContact": 1]],
                    headers: headers
                )
                #expect(status == .unprocessableContent && errorCode(body) == "referee.invalid_rack", "shots \(shots): \(status) \(body)")
            }
            let (ok, _) = try await h.post(
                "/v1/referee/rulings",
                ["game": "9ball", "rack": ["game": "9ball", "onTable": [1, 2, 9], "shooter": "A", "shots": 5], "shot": ["firstContact": 1]],
                headers: headers
            )
            #expect(ok == .ok)
            let health = try await h.client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(health == .ok)
        }
    }

    // MARK: 3. Slow, oversized and ambiguous requests

    @Test("slow-loris: 200 half-sent requests are closed by the header timeout while a normal client is served")
    func slowLoris() async throws {
        let checked = Mutex(false)
        // Only the harness throws here (every check is an expectation). Before the checks, that is
        // its own kept-alive REST connection meeting the 1 s header timeout under test while the
        // harness seeds users (a loaded CI run: `I/O on closed channel`): the run is made again.
        for attempt in 1...3 {
            do {
                try await slowLorisRun { checked.withLock { $0 = true } }
                break
            } catch  where checked.withLock({ $0 }) {
                // Every check below has run: what fails after is the teardown of the harness's own
                // kept-alive REST connection (it created the match before the test), which sat idle
                // while the 200 sockets were opened and was closed by the 1 s header timeout too. The
                // test client reports that as it shuts down (a reset, `I/O on closed channel`,
                // `connectionClosing`, by timing).
                break
            } catch  where attempt < 3 {
                continue
            }
        }
        #expect(checked.withLock { $0 }, "the checks ran")
    }

    private func slowLorisRun(_ done: @escaping @Sendable () -> Void) async throws {
        try await withGateway({ $0.httpLimits.headerTimeout = .seconds(1) }) { h in
            // A normal client opens its own connection for each request: a connection held open
            // from before would itself be a slow-loris once a second passes without a request
            // (under a loaded machine, opening 200 sockets takes that long).
            // On a machine so loaded that a second passes between connecting and sending, the
            // server rightly closes that connection too: such an attempt is made again.
            func healthz() async -> String {
                var answer = ""
                for _ in 0..<5 {
                    guard let client = try? await RawTCPClient.connect(port: h.port) else { continue }
                    guard (try? await client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) != nil else { continue }
                    _ = await client.waitForClose(timeout: .seconds(10))
                    answer = String(client.received.prefix(12))
                    if !answer.isEmpty { break }
                }
                return answer
            }
            var sockets: [RawTCPClient] = []
            // On a machine so loaded that the header timeout passes while a socket is being
            // opened, the server closes it before the client holds it: closed all the same.
            var closedWhileOpening = 0
            for _ in 0..<200 {
                guard let socket = try? await RawTCPClient.connect(port: h.port) else {
                    closedWhileOpening += 1
                    continue
                }
                // On a slow machine the server may already have closed the first sockets.
                try? await socket.send("GET /v1 HT")
                sockets.append(socket)
            }
            // Served throughout.
            for _ in 0..<5 { #expect(await healthz() == "HTTP/1.1 200") }
            let started = ContinuousClock.now
            var closed = closedWhileOpening
            for socket in sockets where await socket.waitForClose(timeout: .seconds(10)) { closed += 1 }
            #expect(closed == 200, "\(closed) of 200 half-open requests closed")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(await healthz() == "HTTP/1.1 200")
            done()
        }
    }

    @Test("a 100 KB header gets 431, Content-Length with Transfer-Encoding gets 400, and both connections are closed")
    func oversizedAndAmbiguous() async throws {
        try await withGateway { h in
            let big = try await RawTCPClient.connect(port: h.port)
            try await big.send("GET /v1 HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 100_000))\r\n\r\n")
            #expect(await big.waitForClose(timeout: .seconds(5)))
            #expect(big.received.hasPrefix("HTTP/1.1 431"), "\(big.received.prefix(200))")
            #expect(big.received.contains("\"headers_too_large\""))

            let smuggled = try await RawTCPClient.connect(port: h.port)
            try await smuggled.send(
                "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            )
            #expect(await smuggled.waitForClose(timeout: .seconds(5)))
            #expect(smuggled.received.hasPrefix("HTTP/1.1 400"), "\(smuggled.received.prefix(200))")
            #expect(smuggled.received.contains("\"bad_request\""))

            let health = try await h.client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(health == .ok)
        }
    }

    @Test(
        "a refused WebSocket upgrade gets an HTTP answer: 426 with Sec-WebSocket-Version: 13 for another version, 400 without a valid key (RFC 6455 §4.2.2)"
    )
    func refusedUpgrades() async throws {
        try await withGateway { h in
            func upgrade(_ extra: String) async throws -> String {
                let socket = try await RawTCPClient.connect(port: h.port)
                try await socket.send("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(extra)\r\n")
                #expect(await socket.waitForClose(timeout: .seconds(5)))
                return socket.received
            }
            let version = try await upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n")
            #expect(version.hasPrefix("HTTP/1.1 426"), "\(version.prefix(200))")
            #expect(version.lowercased().contains("sec-websocket-version: 13"))
            #expect(version.contains("\"websocket_version\""))
            let noKey = try await upgrade("Sec-WebSocket-Version: 13\r\n")
            #expect(noKey.hasPrefix("HTTP/1.1 400") && noKey.contains("\"websocket_key\""), "\(noKey.prefix(200))")
            let badKey = try await upgrade("Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n")
            #expect(badKey.hasPrefix("HTTP/1.1 400"), "\(badKey.prefix(200))")
            // A valid upgrade still works.
            let socket = try await h.socket()
            try await socket.send(json: ["type": "ping", "id": 1])
            #expect(try await socket.next(type: "ack")["pong"] as? Bool == true)
        }
    }

    @Test("a stalled body and an idle keep-alive connection are closed by the idle timeout")
    func stalledBodyAndIdle() async throws {
        try await withGateway({ $0.httpLimits.idleTimeout = .seconds(1) }) { h in
            let stalled = try await RawTCPClient.connect(port: h.port)
            try await stalled.send("POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"lo")
            #expect(await stalled.waitForClose(timeout: .seconds(5)))

            let idle = try await RawTCPClient.connect(port: h.port)
            try await idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await idle.waitForClose(timeout: .seconds(5)))
            #expect(idle.received.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("connections per client address are capped; a closed one frees its place")
    func connectionsPerAddress() async throws {
        try await withGateway({
            $0.httpLimits.connectionsPerAddress = 8
            $0.httpLimits.headerTimeout = .seconds(30)
        }) { h in
            // The test client's own pooled connection may hold places too: fill up to the cap.
            var held: [RawTCPClient] = []
            for _ in 0..<8 {
                let socket = try await RawTCPClient.connect(port: h.port)
                try? await Task.sleep(for: .milliseconds(20))
                if socket.isClosed { break }
                held.append(socket)
            }
            let refused = try await RawTCPClient.connect(port: h.port)
            #expect(await refused.waitForClose(timeout: .seconds(5)), "the connection past the cap is closed at once")
            await held.first?.close()
            try await Task.sleep(for: .milliseconds(200))
            let next = try await RawTCPClient.connect(port: h.port)
            try await next.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(await next.waitForClose(timeout: .seconds(5)))
            #expect(next.received.hasPrefix("HTTP/1.1 200"), "\(next.received.prefix(100))")
            for socket in held { await socket.close() }
        }
    }

    // MARK: 4. Floods get words, then a close frame

    @Test("1,393 subscribes at once: rate_limited errors, then close 1008 with a reason (never a bare TCP drop)")
    func subscribeFlood() async throws {
        try await withGateway { h in
            let socket = try await h.socket(as: "bob")
            try? await socket.sendTogether((0..<1_393).map { #"{"type":"subscribe","room":"match:f\#($0)","id":\#($0)}"# })
            var limited = 0
            while true {
                let frame = try await socket.nextFrame(timeout: .seconds(10))
                if frame.opcode == 0x8 {
                    #expect(
                        frame.closeCode == 1008 && frame.closeReason.hasPrefix("rate_limited"),
                        "\(String(describing: frame.closeCode)) \(frame.closeReason)"
                    )
                    break
                }
                if frame.text.contains(#""code":"rate_limited""#) { limited += 1 }
            }
            #expect(limited >= 1)
            // Others are unaffected.
            let other = try await h.socket(as: "alice")
            #expect(try await h.subscribe(other, "match:m1")["room"] as? String == "match:m1")
        }
    }

    // MARK: 6. No secret in any log

    @Test("sign-in codes: no transport answers 503; the log transport is refused in production and warned about in development")
    func mailTransport() async throws {
        try await withGateway { h in
            let (status, body) = try await h.post("/v1/auth/email/code", ["email": "dan@example.test"])
            #expect(status == .serviceUnavailable && errorCode(body) == "auth.email_unavailable", "\(body)")
        }
        let env = ["DOJO_SERVER_ENVIRONMENT": "production", "DOJO_MAIL_TRANSPORT": "log"]
        let reader = try await ServerConfiguration.makeReader(configFile: nil, environment: env)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(reader: reader) }
        let bench = try await ServerConfiguration.makeReader(
            configFile: nil,
            environment: ["DOJO_SERVER_ENVIRONMENT": "production", "DOJO_GATEWAY_BENCH_ENABLED": "true"]
        )
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(reader: bench) }

        let log = CapturedLog()
        var configuration = try testConfiguration()
        configuration.mailTransport = .log
        _ = try await buildServer(configuration: configuration, logger: log.logger(), registry: sharedRegistry)
        #expect(log.text.contains("mail.transport is log"))
    }

    @Test("a whole sign-in journey writes no password, token, refresh token or code to the log, at trace level")
    func noSecretInTheLog() async throws {
        let log = CapturedLog()
        var configuration = try testConfiguration()
        configuration.authRequestsPerMinute = 1_000
        let mail = CapturedMail()
        let server = try await buildServer(configuration: configuration, logger: log.logger(), registry: sharedRegistry, mailSender: mail)
        try await server.application.test(.live) { client in
            func post(_ uri: String, _ body: String, _ headers: HTTPFields = [:]) async throws -> [String: Any] {
                var fields = headers
                fields[.contentType] = "application/json"
                return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body)) {
                    (try? jsonObject($0.body.readableBytesView)) ?? [:]
                }
            }
            let password = "Sup3r-Secret-Passw0rd!"
            let registered = try await post("/v1/auth/register", #"{"email":"eve@example.test","username":"eve","password":"\#(password)"}"#)
            let access = try #require(registered["accessToken"] as? String)
            let refresh = try #require(registered["refreshToken"] as? String)
            _ = try await post("/v1/auth/login", #"{"login":"eve","password":"wrong-\#(password)"}"#)
            let login = try await post("/v1/auth/login", #"{"login":"eve","password":"\#(password)"}"#)
            let refreshed = try await post("/v1/auth/refresh", #"{"refreshToken":"\#(refresh)"}"#)
            _ = try await post(
                "/v1/auth/password",
                #"{"currentPassword":"\#(password)","newPassword":"An0ther-Secret-Passw0rd"}"#,
                [.authorization: "Bearer \(access)"]
            )
            _ = try await post("/v1/auth/email/code", #"{"email":"eve@example.test"}"#)
            let code = try #require(mail.code(for: "eve@example.test"))
            let viaCode = try await post("/v1/auth/email/verify", #"{"email":"eve@example.test","code":"\#(code)"}"#)
            let secrets =
                [password, "An0ther-Secret-Passw0rd", access, refresh, code]
                + [login, refreshed, viaCode].flatMap {
                    [$0["accessToken"] as? String, $0["refreshToken"] as? String].compactMap { $0 }
                }
            let text = log.text
            #expect(!text.isEmpty)
            for secret in secrets {
                #expect(!text.contains(secret), "a secret reached the log: \(secret.prefix(6))…")
            }
        }
    }

    // MARK: 7. Token responses are never cached

    @Test("every token-bearing answer, errors included, says Cache-Control: no-store and Pragma: no-cache")
    func noStore() async throws {
        var configuration = try testConfiguration()
        configuration.authRequestsPerMinute = 1_000
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            let requests: [(String, String)] = [
                ("/v1/auth/register", #"{"email":"fay@example.test","username":"fay","password":"correct horse battery"}"#),
                ("/v1/auth/login", #"{"login":"fay","password":"correct horse battery"}"#),
                ("/v1/auth/login", #"{"login":"fay","password":"wrong"}"#),
                ("/v1/auth/refresh", #"{"refreshToken":"nope"}"#),
                ("/v1/devices/token", #"{"deviceId":"nope"}"#),
            ]
            for (uri, body) in requests {
                try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.headers[.cacheControl] == "no-store", "\(uri) \(response.status)")
                    #expect(response.headers[HTTPField.Name("Pragma")!] == "no-cache", "\(uri)")
                }
            }
            try await client.execute(uri: "/v1", method: .get) { response in
                #expect(response.headers[.cacheControl] == nil)
            }
        }
    }

    // MARK: 8. A venue decides who plays on its tables

    @Test("the venue's staff move a live match to another table: the old one is freed, the new one taken; others may not")
    func staffMoveMatch() async throws {
        try await withGateway { h in
            try await h.venueWithTables()  // v1, owned by alice, tables t1 and t2
            try await seedUsers(["dora"], in: h.server.storage)
            _ = try await h.post("/v1/venues/v1/check-ins", ["method": "QR"], headers: h.serviceHeaders("bob"))
            let (created, _) = try await h.post(
                "/v1/matches",
                ["id": "mv", "playerA": "bob", "playerB": "dora", "gameType": "9-ball", "raceTo": 3, "venueId": "v1", "tableId": "t1"],
                headers: h.serviceHeaders("bob")
            )
            #expect(created == .created)
            _ = try await h.post("/v1/matches/mv/start", [:], headers: h.serviceHeaders("bob"))
            func liveAt() async throws -> [String: [String]] {
                let venue = try await h.rest("/v1/venues/v1", .get)
                let tables = (venue["venue"] as? [String: Any])?["tables"] as? [[String: Any]] ?? []
                return Dictionary(uniqueKeysWithValues: tables.map { ($0["id"] as? String ?? "", $0["liveMatches"] as? [String] ?? []) })
            }
            func waitFor(_ expected: [String: [String]]) async throws -> Bool {
                for _ in 0..<250 {
                    if try await liveAt() == expected { return true }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return false
            }
            #expect(try await waitFor(["t1": ["mv"], "t2": []]))
            let (byPlayer, _) = try await h.post("/v1/matches/mv/move", ["tableId": "t2"], headers: h.serviceHeaders("bob"))
            #expect(byPlayer == .forbidden, "the scorer is no staff")
            let (unknown, unknownBody) = try await h.post("/v1/matches/mv/move", ["tableId": "t9"], headers: h.serviceHeaders("alice"))
            #expect(unknown == .notFound && (unknownBody["error"] as? [String: Any])?["code"] as? String == "venue.unknown_table")
            let (moved, movedBody) = try await h.post("/v1/matches/mv/move", ["tableId": "t2"], headers: h.serviceHeaders("alice"))
            #expect(moved == .ok && (movedBody["match"] as? [String: Any])?["tableID"] as? String == "t2", "\(movedBody)")
            #expect(try await waitFor(["t1": [], "t2": ["mv"]]), "the move frees t1 and occupies t2")
            let (maintenance, _) = try await h.post("/v1/venues/v1/tables/t1/maintenance", ["on": true], headers: h.serviceHeaders("alice"))
            #expect(maintenance == .ok)
            let (intoMaintenance, body) = try await h.post("/v1/matches/mv/move", ["tableId": "t1"], headers: h.serviceHeaders("alice"))
            #expect(intoMaintenance == .conflict && (body["error"] as? [String: Any])?["code"] as? String == "venue.table_maintenance")
        }
    }

    @Test("a stranger cannot put a match on a venue's table; a checked-in player can; open tables let anyone; staff end or cancel any match there")
    func venueTables() async throws {
        try await withGateway { h in
            try await h.venueWithTables()  // v1, owned by alice, tables t1 and t2
            func create(_ id: String, by user: String, table: String = "t1") async throws -> (HTTPResponse.Status, [String: Any]) {
                try await h.post(
                    "/v1/matches",
                    ["id": id, "playerA": user, "playerB": "dora", "gameType": "9-ball", "raceTo": 3, "venueId": "v1", "tableId": table],
                    headers: h.serviceHeaders(user)
                )
            }
            try await seedUsers(["dora", "erin"], in: h.server.storage)
            // The venue's reference checks are one rule on every route: the specific one, the
            // generic commands route (and the socket, which shares it).
            for (uri, body) in [
                ("/v1/venues/v1/admins", ["userId": "ghost"]), ("/v1/venues/v1/commands", ["type": "grantAdmin", "userId": "ghost"]),
            ] {
                let (status, answer) = try await h.post(uri, body, headers: h.serviceHeaders("alice"))
                #expect(status == .unprocessableContent && errorCode(answer) == "venue.unknown_user", "\(uri): \(answer)")
            }
            for (uri, body) in [
                ("/v1/venues/v1/tables", ["id": "t1", "name": "Again"]),
                ("/v1/venues/v1/commands", ["type": "addTable", "tableId": "t2", "name": "Again"]),
            ] {
                let (status, answer) = try await h.post(uri, body, headers: h.serviceHeaders("alice"))
                #expect(status == .conflict && errorCode(answer) == "venue.table_exists", "\(uri): \(answer)")
            }
            // The regression: bob, with no tie to v1, put a match on its table and started it.
            let stranger = try await create("s1", by: "bob")
            #expect(stranger.0 == .forbidden && errorCode(stranger.1) == "forbidden", "\(stranger.1)")
            // Without a table, anyone may still create a match that names the venue.
            let (free, _) = try await h.post(
                "/v1/matches",
                ["id": "s0", "playerA": "bob", "playerB": "dora", "gameType": "9-ball", "raceTo": 3, "venueId": "v1"],
                headers: h.serviceHeaders("bob")
            )
            #expect(free == .created)
            // Checked in, bob may.
            let (checked, _) = try await h.post("/v1/venues/v1/check-ins", ["method": "QR"], headers: h.serviceHeaders("bob"))
            #expect(checked == .ok)
            #expect(try await create("s2", by: "bob").0 == .created)
            // Erin is not checked in; the venue opens its tables; a stranger may not flip that.
            #expect(try await create("s3", by: "erin").0 == .forbidden)
            let (notOwner, notOwnerBody) = try await h.post("/v1/venues/v1/settings", ["openTables": true], headers: h.serviceHeaders("erin"))
            #expect(notOwner == .forbidden, "\(notOwnerBody)")
            let (opened, openedBody) = try await h.post("/v1/venues/v1/settings", ["openTables": true], headers: h.serviceHeaders("alice"))
            #expect(opened == .ok && (openedBody["venue"] as? [String: Any])?["openTables"] as? Bool == true, "\(openedBody)")
            #expect((openedBody["venue"] as? [String: Any])?["present"] == nil, "who is checked in stays private")
            #expect(try await create("s3", by: "erin", table: "t2").0 == .created)
            // Erin starts her match: t2 is occupied. The owner can neither set maintenance nor is
            // stuck: she cancels the stranger's match, which frees the table.
            _ = try await h.post("/v1/matches/s3/start", [:], headers: h.serviceHeaders("erin"))
            var occupied = false
            for _ in 0..<200 where !occupied {
                let venue = try await h.rest("/v1/venues/v1", .get)
                let tables = (venue["venue"] as? [String: Any])?["tables"] as? [[String: Any]] ?? []
                occupied = tables.contains { $0["id"] as? String == "t2" && ($0["liveMatches"] as? [String] ?? []).contains("s3") }
                if !occupied { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(occupied)
            let (busy, _) = try await h.post("/v1/venues/v1/tables/t2/maintenance", ["on": true], headers: h.serviceHeaders("alice"))
            #expect(busy == .conflict)
            let (cancelledByPlayer, _) = try await h.post("/v1/matches/s3/cancel", [:], headers: h.serviceHeaders("dora"))
            #expect(cancelledByPlayer == .forbidden, "a player may not cancel a live match; the staff may")
            let (cancelled, cancelledBody) = try await h.post("/v1/matches/s3/cancel", ["reason": "table needed"], headers: h.serviceHeaders("alice"))
            #expect(cancelled == .ok, "\(cancelledBody)")
            var freed = false
            for _ in 0..<200 where !freed {
                let (status, _) = try await h.post("/v1/venues/v1/tables/t2/maintenance", ["on": true], headers: h.serviceHeaders("alice"))
                freed = status == .ok
                if !freed { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(freed, "the owner's maintenance switch works once the match is cancelled")
            // Staff may also end a live match with a winner.
            #expect(try await create("s4", by: "bob").0 == .created)
            _ = try await h.post("/v1/matches/s4/start", [:], headers: h.serviceHeaders("bob"))
            let (ended, endedBody) = try await h.post(
                "/v1/matches/s4/end",
                ["winner": "A", "reason": "closing time"],
                headers: h.serviceHeaders("alice")
            )
            #expect(ended == .ok && (endedBody["match"] as? [String: Any])?["status"] as? String == "COMPLETED", "\(endedBody)")
        }
    }
}
