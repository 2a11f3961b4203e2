import DojoAPI
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoServer

private let key = "rest-test-service-key-0123456789abcdef"

private func headers(_ user: String?, role: String? = nil, key: String? = key, idempotency: String? = nil) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    if let key { fields[.authorization] = "Bearer \(key)" }
    if let user { fields[HTTPField.Name("X-Dojo-User")!] = user }
    if let role { fields[HTTPField.Name("X-Dojo-Role")!] = role }
    if let idempotency { fields[HTTPField.Name("Idempotency-Key")!] = idempotency }
    return fields
}

private func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// Runs a server with a service key and players alice, bob and owner.
private func withCommandServer(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    var configuration = try testConfiguration()
    configuration.serviceKey = key
    let server = try await makeServer(configuration)
    try await server.application.test(.live) { client in
        try await seedUsers(["alice", "bob", "owner"], in: server.storage)
        try await test(client)
    }
}

private func expectError(
    _ response: TestResponse,
    _ status: HTTPResponse.Status,
    _ code: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    let error = try jsonObject(response.body.readableBytesView)["error"] as? [String: Any]
    #expect(error?["code"] as? String == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
}

@Suite("REST commands")
struct CommandRoutesTests {
    static let createMatch = #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":2}"#

    @Test("create, start, record racks to the race; every answer carries the sequence; GET reads the state")
    func matchLifecycle() async throws {
        try await withCommandServer { client in
            try await client.execute(uri: "/v1/matches", method: .post, headers: headers("alice"), body: body(Self.createMatch)) { response in
                #expect(response.status == .created)
                let json = try jsonObject(response.body.readableBytesView)
                #expect(json["sequence"] as? Int == 1)
                #expect((json["match"] as? [String: Any])?["status"] as? String == "SCHEDULED")
                #expect((json["events"] as? [[String: Any]])?.first?["type"] as? String == "match.created")
            }
            try await client.execute(uri: "/v1/matches/m1/start", method: .post, headers: headers("alice")) { response in
                #expect(response.status == .ok)
                let sequenceJSON = try jsonObject(response.body.readableBytesView)
                #expect(sequenceJSON["sequence"] as? Int == 2)
            }
            for expected in [4, 7] {
                try await client.execute(uri: "/v1/matches/m1/racks", method: .post, headers: headers("alice"), body: body(#"{"winner":"B"}"#)) {
                    response in
                    #expect(response.status == .ok)
                    let sequenceJSON = try jsonObject(response.body.readableBytesView)
                    #expect(sequenceJSON["sequence"] as? Int == expected)
                }
            }
            try await client.execute(uri: "/v1/matches/m1", method: .get) { response in
                let json = try jsonObject(response.body.readableBytesView)
                let match = json["match"] as? [String: Any]
                #expect(json["sequence"] as? Int == 7)
                #expect(match?["status"] as? String == "COMPLETED" && match?["winner"] as? String == "B" && match?["scoreB"] as? Int == 2)
            }
            // The generic command endpoint takes the same commands.
            try await client.execute(
                uri: "/v1/matches/m1/commands",
                method: .post,
                headers: headers("alice"),
                body: body(#"{"type":"recordRack","winner":"A"}"#)
            ) { response in
                try expectError(response, .conflict, "match.finished")
            }
        }
    }

    @Test("an Idempotency-Key makes a command safe to retry")
    func idempotency() async throws {
        try await withCommandServer { client in
            for attempt in 0..<2 {
                try await client.execute(
                    uri: "/v1/matches",
                    method: .post,
                    headers: headers("alice", idempotency: "create-m1"),
                    body: body(Self.createMatch)
                ) { response in
                    #expect(response.status == (attempt == 0 ? .created : .ok))
                    let json = try jsonObject(response.body.readableBytesView)
                    #expect(json["duplicate"] as? Bool == (attempt == 1))
                    #expect(json["sequence"] as? Int == 1)
                }
            }
            try await client.execute(
                uri: "/v1/matches/m1/start",
                method: .post,
                headers: headers("alice", idempotency: String(repeating: "k", count: 129))
            ) { response in
                try expectError(response, .badRequest, "invalid_command_id")
            }
        }
    }

    @Test("who is asking: no key, a wrong key, no user, a bad role; the wrong person; nothing changes")
    func authentication() async throws {
        try await withCommandServer { client in
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                (headers("alice", key: nil), .unauthorized, "auth.missing_token"),
                (headers("alice", key: "wrong-key-wrong-key-wrong-key-wrong"), .unauthorized, "auth.invalid_token"),
                (headers(nil), .unauthorized, "auth.missing_user"),
                (headers("alice", role: "KING"), .badRequest, "auth.invalid_role"),
                (headers("owner"), .forbidden, "forbidden"),
            ]
            for (fields, status, code) in cases {
                try await client.execute(uri: "/v1/matches", method: .post, headers: fields, body: body(Self.createMatch)) { response in
                    try expectError(response, status, code)
                }
            }
            try await client.execute(uri: "/v1/matches/m1", method: .get) { response in
                try expectError(response, .notFound, "match.not_found")
            }
            try await client.execute(uri: "/v1/matches", method: .post, headers: headers("alice"), body: body(Self.createMatch)) { _ in }
            try await client.execute(uri: "/v1/matches/m1/start", method: .post, headers: headers("bob")) { response in
                try expectError(response, .forbidden, "match.not_scorer")
            }
            try await client.execute(uri: "/v1/matches/m1", method: .get) { response in
                let sequenceJSON = try jsonObject(response.body.readableBytesView)
                #expect(sequenceJSON["sequence"] as? Int == 1)
            }
        }
    }

    @Test("a server without a service key refuses a backend's key as a credential with 401")
    func noServiceKey() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/v1/matches", method: .post, headers: headers("alice"), body: body(Self.createMatch)) { response in
                try expectError(response, .unauthorized, "auth.invalid_token")
            }
        }
    }

    @Test(
        "bad input gets a clear error and changes nothing",
        arguments: [
            ("/v1/matches", #"{"id":"m1","playerA":"alice""#, HTTPResponse.Status.badRequest, "invalid_json"),
            ("/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"snooker","raceTo":2}"#, .badRequest, "invalid_json"),
            ("/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"8-ball"}"#, .badRequest, "invalid_json"),
            (
                "/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":0}"#, .unprocessableContent,
                "match.invalid_race"
            ),
            (
                "/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"alice","gameType":"8-ball","raceTo":2}"#, .unprocessableContent,
                "match.same_players"
            ),
            (
                "/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"nobody","gameType":"8-ball","raceTo":2}"#, .unprocessableContent,
                "match.unknown_user"
            ),
            ("/v1/matches", #"{"id":"m 1","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":2}"#, .unprocessableContent, "invalid_id"),
            (
                "/v1/matches", #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":2,"venueId":"nowhere","tableId":"t1"}"#,
                .unprocessableContent, "match.unknown_venue"
            ),
            ("/v1/matches/m1/commands", #"{"type":"explode"}"#, .badRequest, "invalid_command"),
            ("/v1/matches/m1/commands", #"{"type":"recordRack"}"#, .badRequest, "invalid_command"),
            ("/v1/matches/m1/racks", #"{"winner":"C"}"#, .badRequest, "invalid_json"),
            ("/v1/matches/m1/racks", "\u{FEFF}not json at all", .badRequest, "invalid_json"),
        ]
    )
    func badInput(_ path: String, _ text: String, _ status: HTTPResponse.Status, _ code: String) async throws {
        try await withCommandServer { client in
            try await client.execute(uri: path, method: .post, headers: headers("alice"), body: body(text)) { response in
                try expectError(response, status, code)
            }
            try await client.execute(uri: "/v1/matches/m1", method: .get) { response in
                try expectError(response, .notFound, "match.not_found")
            }
        }
    }

    @Test("invalid UTF-8 and an oversized body are refused")
    func invalidBytes() async throws {
        try await withCommandServer { client in
            var invalid = ByteBuffer(string: #"{"id":"m1","playerA":""#)
            invalid.writeBytes([0xFF, 0xFE])
            invalid.writeString(#"","playerB":"bob","gameType":"8-ball","raceTo":2}"#)
            try await client.execute(uri: "/v1/matches", method: .post, headers: headers("alice"), body: invalid) { response in
                try expectError(response, .badRequest, "invalid_json")
            }
            let huge = ByteBuffer(string: #"{"id":"m1","pad":""# + String(repeating: "x", count: 100_000) + #""}"#)
            try await client.execute(uri: "/v1/matches", method: .post, headers: headers("alice"), body: huge) { response in
                try expectError(response, .contentTooLarge, "payload_too_large")
            }
        }
    }

    @Test("venues: register, tables, maintenance; a live match occupies its table")
    func venueAndReaction() async throws {
        try await withCommandServer { client in
            try await client.execute(
                uri: "/v1/venues",
                method: .post,
                headers: headers("owner", role: "VENUE_ADMIN"),
                body: body(#"{"id":"hall","name":"The Hall","lat":51.5,"lng":-0.1}"#)
            ) { response in
                #expect(response.status == .created)
            }
            try await client.execute(
                uri: "/v1/venues",
                method: .post,
                headers: headers("alice"),
                body: body(#"{"id":"hall2","name":"Mine","lat":1,"lng":1}"#)
            ) { response in
                try expectError(response, .forbidden, "forbidden")
            }
            try await client.execute(
                uri: "/v1/venues/hall/tables",
                method: .post,
                headers: headers("owner"),
                body: body(#"{"id":"t1","name":"Table 1"}"#)
            ) { response in
                #expect(response.status == .created)
            }
            try await client.execute(
                uri: "/v1/venues/hall/tables",
                method: .post,
                headers: headers("owner"),
                body: body(#"{"id":"t1","name":"Again"}"#)
            ) { response in
                try expectError(response, .conflict, "venue.table_exists")
            }
            try await client.execute(
                uri: "/v1/venues/hall/tables/t1/maintenance",
                method: .post,
                headers: headers("alice"),
                body: body(#"{"on":true}"#)
            ) { response in
                try expectError(response, .forbidden, "forbidden")
            }
            try await client.execute(uri: "/v1/venues/hall/check-ins", method: .post, headers: headers("alice"), body: body(#"{"method":"QR"}"#)) {
                response in
                #expect(response.status == .ok)
            }
            try await client.execute(
                uri: "/v1/matches",
                method: .post,
                headers: headers("alice"),
                body: body(#"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"10-ball","raceTo":3,"venueId":"hall","tableId":"t9"}"#)
            ) { response in
                try expectError(response, .unprocessableContent, "match.unknown_table")
            }
            try await client.execute(
                uri: "/v1/matches",
                method: .post,
                headers: headers("alice"),
                body: body(#"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"10-ball","raceTo":3,"venueId":"hall","tableId":"t1"}"#)
            ) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/v1/matches/m1/start", method: .post, headers: headers("alice")) { _ in }
            var status = ""
            for _ in 0..<100 where status != "occupied" {
                try await client.execute(uri: "/v1/venues/hall", method: .get) { response in
                    let venue = try jsonObject(response.body.readableBytesView)["venue"] as? [String: Any]
                    let table = (venue?["tables"] as? [[String: Any]])?.first
                    status = (table?["liveMatches"] as? [String])?.isEmpty == false ? "occupied" : "free"
                }
                if status != "occupied" { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(status == "occupied")
            try await client.execute(
                uri: "/v1/venues/hall/tables/t1/maintenance",
                method: .post,
                headers: headers("owner"),
                body: body(#"{"on":true}"#)
            ) { response in
                try expectError(response, .conflict, "venue.table_occupied")
            }
        }
    }
}
