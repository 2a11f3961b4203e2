import DojoDomain
import DojoGateway
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import DojoAPI
@testable import DojoIdentity
@testable import DojoServer

private let key = "ws-test-service-key-0123456789abcdef0"

/// A live server with users alice, bob, carol and a match m1 (alice v bob, alice scores).
struct GatewayHarness: Sendable {
    let server: DojoPoolServer
    let client: any TestClientProtocol
    var port: Int { client.port! }

    func token(_ user: String, role: UserRole = .user) async throws -> String {
        try await server.tokens.issue(userID: user, role: role).token
    }

    /// A connected socket past its `hello`, signed in as `user` when given.
    func socket(as user: String? = nil, headers: [(String, String)] = [], receiveBuffer: Int? = nil) async throws -> TestWebSocket {
        let socket = try await TestWebSocket.connect(port: port, headers: headers, receiveBuffer: receiveBuffer)
        let hello = try await socket.next()
        #expect(hello["type"] as? String == "hello")
        if let user {
            try await socket.send(json: ["type": "auth", "token": try await token(user), "id": "auth"])
            let ack = try await socket.next(type: "ack")
            #expect(ack["user"] as? String == user)
        }
        return socket
    }

    func rest(
        _ uri: String,
        _ method: HTTPRequest.Method = .post,
        as user: String = "alice",
        role: String? = nil,
        _ body: String? = nil
    ) async throws -> [String: Any] {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.authorization] = "Bearer \(key)"
        fields[HTTPField.Name("X-Dojo-User")!] = user
        if let role { fields[HTTPField.Name("X-Dojo-Role")!] = role }
        return try await client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }) { response in
            try jsonObject(response.body.readableBytesView)
        }
    }

    func subscribe(_ socket: TestWebSocket, _ room: String, since: (Int, String)? = nil, id: String = "s") async throws -> [String: Any] {
        var message: [String: Any] = ["type": "subscribe", "room": room, "id": id]
        if let since { message["since"] = ["seq": since.0, "epoch": since.1] }
        try await socket.send(json: message)
        return try await socket.next(type: "ack")
    }
}

func withGateway(
    _ configure: (inout ServerConfiguration) -> Void = { _ in },
    mail: (any MailSender)? = nil,
    _ test: @Sendable (GatewayHarness) async throws -> Void
) async throws {
    var configuration = try testConfiguration()
    configuration.serviceKey = key
    configuration.gateway.presenceIntervalMilliseconds = 50
    configure(&configuration)
    let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry, mailSender: mail)
    try await server.application.test(.live) { client in
        try await seedUsers(["alice", "bob", "carol"], in: server.storage)
        let harness = GatewayHarness(server: server, client: client)
        _ = try await harness.rest("/v1/matches", as: "alice", #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":5}"#)
        try await test(harness)
    }
}

@Suite("WebSocket gateway")
struct GatewayTests {
    @Test("hello, subscribe with a snapshot, then live events in order with the stream's sequence numbers")
    func subscribeAndEvents() async throws {
        try await withGateway { h in
            let spectator = try await h.socket()
            let ack = try await h.subscribe(spectator, "match:m1")
            #expect(ack["room"] as? String == "match:m1" && ack["seq"] as? Int == 1 && ack["epoch"] as? String == "log")
            let snapshot = try await spectator.next(type: "snapshot")
            #expect(snapshot["seq"] as? Int == 1)
            #expect((snapshot["state"] as? [String: Any])?["status"] as? String == "SCHEDULED")

            _ = try await h.rest("/v1/matches/m1/start")
            _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"A"}"#)
            var seqs: [Int] = []
            var types: [String] = []
            while seqs.count < 3 {
                let event = try await spectator.next(type: "event")
                seqs.append(event["seq"] as? Int ?? -1)
                types.append(event["eventType"] as? String ?? "")
                #expect(event["room"] as? String == "match:m1" && event["epoch"] as? String == "log")
                #expect(event["event"] is [String: Any])
            }
            #expect(seqs == [2, 3, 4], "\(types)")
        }
    }

    @Test("commands over the socket: ack after the append, refusals with the domain's code, auth required")
    func commands() async throws {
        try await withGateway { h in
            let anonymous = try await h.socket()
            try await anonymous.send(json: ["type": "command", "room": "match:m1", "command": ["type": "start"], "id": 1])
            let refused = try await anonymous.next(type: "error")
            #expect(refused["code"] as? String == "auth.required" && refused["id"] as? Int == 1)

            let alice = try await h.socket(as: "alice")
            _ = try await h.subscribe(alice, "match:m1")
            try await alice.send(json: ["type": "command", "room": "match:m1", "command": ["type": "start"], "commandId": "c1", "id": 2])
            let ack = try await alice.next(type: "ack")
            #expect(ack["id"] as? Int == 2 && ack["sequence"] as? Int == 2 && ack["duplicate"] as? Bool == false)
            // A repeat of the command id is a duplicate and appends nothing.
            try await alice.send(json: ["type": "command", "room": "match:m1", "command": ["type": "start"], "commandId": "c1", "id": 3])
            let again = try await alice.next(type: "ack")
            #expect(again["duplicate"] as? Bool == true && again["sequence"] as? Int == 2)

            let carol = try await h.socket(as: "carol")
            try await carol.send(json: ["type": "command", "room": "match:m1", "command": ["type": "recordRack", "winner": "A"], "id": 4])
            let forbidden = try await carol.next(type: "error")
            #expect(forbidden["code"] as? String == "match.not_scorer")

            try await alice.send(json: ["type": "command", "room": "match:m1", "command": ["type": "explode"], "id": 5])
            #expect(try await alice.next(type: "error")["code"] as? String == "invalid_command")
            try await alice.send(json: ["type": "command", "room": "table:t1", "command": ["type": "start"], "id": 6])
            #expect(try await alice.next(type: "error")["code"] as? String == "command.unsupported_room")
            try await alice.send(json: ["type": "command", "room": "tournament:t1", "command": ["type": "start"], "id": 7])
            #expect(try await alice.next(type: "error")["code"] as? String == "tournament.not_found")

            let state = try await h.rest("/v1/matches/m1", .get)
            #expect(state["sequence"] as? Int == 2, "the refused commands appended nothing")
        }
    }

    @Test("venue commands over the socket: the owner's admin commands, a check-in, refusals with their codes")
    func venueCommands() async throws {
        try await withGateway { h in
            _ = try await h.rest("/v1/venues", as: "alice", role: "VENUE_ADMIN", #"{"id":"v1","name":"Hall","lat":1,"lng":2}"#)
            let alice = try await h.socket(as: "alice")
            let watcher = try await h.socket()
            _ = try await h.subscribe(watcher, "venue:v1")
            func command(_ socket: TestWebSocket, _ body: [String: Any], id: Int) async throws -> [String: Any] {
                try await socket.send(json: ["type": "command", "room": "venue:v1", "command": body, "id": id])
                while true {
                    let message = try await socket.next()
                    if message["id"] as? Int == id { return message }
                }
            }
            let added = try await command(alice, ["type": "addTable", "tableId": "t1", "name": "Table 1"], id: 1)
            #expect(added["type"] as? String == "ack" && added["sequence"] as? Int == 2, "\(added)")
            let maintenance = try await command(alice, ["type": "setMaintenance", "tableId": "t1", "on": true], id: 2)
            #expect(maintenance["type"] as? String == "ack")
            let duplicate = try await command(alice, ["type": "addTable", "tableId": "t1", "name": "Again"], id: 3)
            #expect(duplicate["code"] as? String == "venue.table_exists")
            let unknown = try await command(alice, ["type": "grantAdmin", "userId": "nobody"], id: 4)
            #expect(unknown["code"] as? String == "venue.unknown_user")
            let bob = try await h.socket(as: "bob")
            let forbidden = try await command(bob, ["type": "setMaintenance", "tableId": "t1", "on": false], id: 5)
            #expect(forbidden["type"] as? String == "error" && forbidden["code"] as? String != nil, "\(forbidden)")
            let checkIn = try await command(bob, ["type": "checkIn", "method": "QR"], id: 6)
            #expect(checkIn["type"] as? String == "ack", "\(checkIn)")
            // The watcher saw the three accepted commands' events, in order.
            var seqs: [Int] = []
            while seqs.count < 3 { seqs.append(try await watcher.next(type: "event")["seq"] as? Int ?? -1) }
            #expect(seqs == [2, 3, 4])
            let state = try await h.rest("/v1/venues/v1", .get)
            #expect(state["sequence"] as? Int == 4, "the refused commands appended nothing")
        }
    }

    @Test("a connection whose token has expired may not send commands until it signs in again")
    func tokenExpiry() async throws {
        try await withGateway { h in
            let socket = try await h.socket()
            let lifetime = 900.0
            let shortLived = try await h.server.tokens.issue(userID: "alice", role: .user, now: Date().addingTimeInterval(-lifetime + 1.5)).token
            try await socket.send(json: ["type": "auth", "token": shortLived, "id": "a"])
            _ = try await socket.next(type: "ack")
            try await Task.sleep(for: .seconds(2))
            try await socket.send(json: ["type": "command", "room": "match:m1", "command": ["type": "start"], "id": 1])
            #expect(try await socket.next(type: "error")["code"] as? String == "auth.token_expired")
            try await socket.send(json: ["type": "auth", "token": try await h.token("alice"), "id": "b"])
            _ = try await socket.next(type: "ack")
            try await socket.send(json: ["type": "command", "room": "match:m1", "command": ["type": "start"], "id": 2])
            #expect(try await socket.next(type: "ack")["sequence"] as? Int == 2)
        }
    }

    @Test("bad messages get an error with a code and the connection stays open")
    func badMessages() async throws {
        try await withGateway { h in
            let socket = try await h.socket()
            let cases: [(String, String)] = [
                ("{not json", "invalid_json"),
                ("[1,2]", "invalid_json"),
                (#"{"type":"subscribe"}"#, "invalid_message"),
                (#"{"type":"teleport"}"#, "unknown_type"),
                (#"{"type":"subscribe","room":"match"}"#, "room.invalid"),
                (#"{"type":"subscribe","room":"galaxy:1"}"#, "room.invalid"),
                (#"{"type":"subscribe","room":"match:a b"}"#, "room.invalid"),
                (#"{"type":"subscribe","room":"bench:x"}"#, "room.invalid"),
                (#"{"type":"subscribe","room":"match:nope"}"#, "room.not_found"),
                (#"{"type":"subscribe","room":"user:alice"}"#, "auth.required"),
                (#"{"type":"subscribe","room":"clan:c1"}"#, "auth.required"),
                (#"{"type":"unsubscribe","room":"match:m1"}"#, "room.not_subscribed"),
                (#"{"type":"auth","token":"x.y.z"}"#, "auth.token_malformed"),
                (#"{"type":"subscribe","room":"match:m1","since":{"seq":"x"}}"#, "invalid_message"),
                (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "invalid_json"),
                (#"{"type":"ping","id":{"a":1}}"#, "invalid_id"),
                (#"{"type":"subscribe","room":"match:m1'; DROP TABLE users;--"}"#, "room.invalid"),
            ]
            for (text, code) in cases {
                try await socket.send(text)
                let error = try await socket.next(type: "error")
                #expect(error["code"] as? String == code, "\(text) → \(error)")
            }
            try await socket.send(json: ["type": "ping", "id": "p"])
            let pong = try await socket.next(type: "ack")
            #expect(pong["id"] as? String == "p" && pong["pong"] as? Bool == true)
        }
    }

    @Test("user rooms are private; clan rooms are for members")
    func roomPermissions() async throws {
        try await withGateway { h in
            let bob = try await h.socket(as: "bob")
            try await bob.send(json: ["type": "subscribe", "room": "user:alice", "id": 1])
            #expect(try await bob.next(type: "error")["code"] as? String == "forbidden")
            let ack = try await h.subscribe(bob, "user:bob")
            #expect(ack["room"] as? String == "user:bob")
            try await h.clan("c1", leader: "alice")
            try await bob.send(json: ["type": "subscribe", "room": "clan:c1", "id": 2])
            #expect(try await bob.next(type: "error")["code"] as? String == "forbidden")
            let alice = try await h.socket(as: "alice")
            #expect(try await h.subscribe(alice, "clan:c1")["room"] as? String == "clan:c1")
            try await alice.send(json: ["type": "subscribe", "room": "clan:c1", "id": 3])
            #expect(try await alice.next(type: "error")["code"] as? String == "room.already_subscribed")
        }
    }
}
