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
@testable import DojoServer

/// Who is asking, in the authorization matrix (docs/security.md shows the same table).
enum MatrixRole: String, CaseIterable, Sendable {
    case anonymous, stranger, member, owner, admin, device
}

/// The world of the matrix: venue v1 (owner alice, tables t1, t2), match m1 at t1 (alice v
/// carol, alice scores), clan k1 (leader alice, member carol), bob a stranger to all of it, root
/// an ADMIN, and a camera device of table t1.
private struct MatrixWorld {
    let h: GatewayHarness
    let deviceToken: String

    /// The user a role signs in as (nil: anonymous or the device).
    func user(_ role: MatrixRole) -> (String, UserRole)? {
        switch role {
        case .anonymous, .device: nil
        case .stranger: ("bob", .user)
        case .member: ("carol", .user)
        case .owner: ("alice", .venueAdmin)
        case .admin: ("root", .admin)
        }
    }

    func bearer(_ role: MatrixRole) async throws -> String? {
        if role == .device { return deviceToken }
        guard let (user, userRole) = user(role) else { return nil }
        return try await h.token(user, role: userRole)
    }

    func socket(_ role: MatrixRole) async throws -> TestWebSocket {
        guard let token = try await bearer(role) else { return try await h.socket() }
        let socket = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token)")])
        _ = try await socket.next(type: "hello")
        return socket
    }

    /// The answer to a subscribe: `ack`, or the error's code.
    func subscribe(_ socket: TestWebSocket, _ room: String) async throws -> String {
        try await socket.send(json: ["type": "subscribe", "room": room, "id": "m"])
        while true {
            let message = try await socket.next()
            guard message["id"] as? String == "m" else { continue }
            if message["type"] as? String == "ack" { return "ack" }
            return message["code"] as? String ?? "?"
        }
    }
}

@Suite("Authorization matrix: every room kind and REST route with a rule, every role, both orders")
struct AuthorizationMatrixTests {
    private static func withWorld(_ test: @Sendable (MatrixWorld) async throws -> Void) async throws {
        try await withGateway { h in
            try await seedUsers(["root"], in: h.server.storage)
            try await h.venueWithTables()
            _ = try await h.rest(
                "/v1/matches",
                as: "alice",
                #"{"id":"mx","playerA":"alice","playerB":"carol","gameType":"9-ball","raceTo":3,"venueId":"v1","tableId":"t1"}"#
            )
            try await h.clan("k1", leader: "alice", members: ["carol"])
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "cx", "defenderId": "carol"])
            _ = try await h.call(.post, "/v1/tournaments", as: "alice", ["id": "tx", "name": "Cup", "venueId": "v1", "format": "single_elimination"])
            let camera = Camera()
            let id = try #require((try await h.register(camera).1["device"] as? [String: Any])?["id"] as? String)
            let token = try #require(try await h.deviceToken(camera, id: id).1["accessToken"] as? String)
            try await test(MatrixWorld(h: h, deviceToken: token))
        }
    }

    /// Rooms: the expected answer per role; the same whether the role arrives first or after an
    /// admitted client has opened the room on this node.
    static let rooms: [(String, [MatrixRole: String])] = [
        ("match:mx", [.anonymous: "ack", .stranger: "ack", .member: "ack", .owner: "ack", .admin: "ack", .device: "ack"]),
        ("venue:v1", [.anonymous: "ack", .stranger: "ack", .member: "ack", .owner: "ack", .admin: "ack", .device: "ack"]),
        ("table:t1", [.anonymous: "ack", .stranger: "ack", .member: "ack", .owner: "ack", .admin: "ack", .device: "ack"]),
        (
            "user:carol",
            [.anonymous: "auth.required", .stranger: "forbidden", .member: "ack", .owner: "forbidden", .admin: "ack", .device: "auth.required"]
        ),
        ("clan:k1", [.anonymous: "auth.required", .stranger: "forbidden", .member: "ack", .owner: "ack", .admin: "ack", .device: "auth.required"]),
        // A challenge's room is its two players' (alice challenged carol).
        (
            "challenge:cx",
            [.anonymous: "auth.required", .stranger: "forbidden", .member: "ack", .owner: "ack", .admin: "ack", .device: "auth.required"]
        ),
        (
            "match:nowhere",
            [
                .anonymous: "room.not_found", .stranger: "room.not_found", .member: "room.not_found", .owner: "room.not_found",
                .admin: "room.not_found", .device: "room.not_found",
            ]
        ),
    ]

    @Test("rooms: each role first to arrive, and after an admitted client opened the room")
    func rooms() async throws {
        try await Self.withWorld { world in
            for (room, expected) in Self.rooms {
                for role in MatrixRole.allCases {
                    let want = try #require(expected[role])
                    // First to arrive: nobody follows the room on this node.
                    let first = try await world.socket(role)
                    let alone = try await world.subscribe(first, room)
                    #expect(alone == want, "\(room) \(role) first: \(alone), expected \(want)")
                    await first.disconnect()
                    // After an admin (always admitted to existing rooms) opened it.
                    let opener = try await world.socket(.admin)
                    let opened = try await world.subscribe(opener, room)
                    let second = try await world.socket(role)
                    let after = try await world.subscribe(second, room)
                    #expect(after == want, "\(room) \(role) after an admitted client (\(opened)): \(after), expected \(want)")
                    await second.disconnect()
                    await opener.disconnect()
                }
            }
        }
    }

    /// REST routes with a rule: the expected status per role (the same table in docs/security.md).
    /// A camera token is no user credential: REST answers it 401.
    static let routes: [(String, String, @Sendable (MatrixRole) -> String, [MatrixRole: Int])] = [
        (
            "POST", "/v1/venues/v1/tables", { #"{"id":"x-\#($0.rawValue)","name":"Extra"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 201, .admin: 201, .device: 401]
        ),
        (
            "POST", "/v1/venues/v1/tables/t2/maintenance", { _ in #"{"on":true}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "POST", "/v1/venues/v1/settings", { _ in #"{"openTables":false}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "POST", "/v1/venues/v1/admins", { _ in #"{"userId":"alice"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "POST", "/v1/matches",
            { #"{"id":"mm-\#($0.rawValue)","playerA":"carol","playerB":"bob","gameType":"8-ball","raceTo":3,"venueId":"v1","tableId":"t1"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 201, .admin: 201, .device: 401]
        ),
        (
            "POST", "/v1/matches/mx/start", { _ in "{}" },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 409, .device: 401]
        ),
        (
            "POST", "/v1/admin/users/bob/role", { _ in #"{"role":"USER"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 403, .admin: 200, .device: 401]
        ),
        (
            "GET", "/v1/admin/audit", { _ in "" },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 403, .admin: 200, .device: 401]
        ),
        // Clans: the leader (owner), a plain member, an outsider.
        (
            "PATCH", "/v1/clans/k1", { _ in #"{"description":"Tuesdays"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "GET", "/v1/clans/k1/applications", { _ in "" },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "POST", "/v1/clans/k1/invitations", { _ in #"{"userId":"root"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        (
            "PATCH", "/v1/clans/k1/members/carol", { _ in #"{"role":"MEMBER"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 200, .device: 401]
        ),
        // Territories: the venue's staff put it on the map (the admin's is the venue's second: 409,
        // past the check); nobody claims one by a command.
        (
            "POST", "/v1/territories", { #"{"id":"tx-\#($0.rawValue)","venueId":"v1"}"# },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 201, .admin: 409, .device: 401]
        ),
        // Challenges: the defender (carol) declines; the challenger may not; the admin may moderate
        // (409: already declined, past the check).
        (
            "POST", "/v1/challenges/cx/decline", { _ in "" },
            [.anonymous: 401, .stranger: 403, .member: 200, .owner: 403, .admin: 409, .device: 401]
        ),
        // The director (alice, the venue's owner) cancels; the admin finds it cancelled.
        (
            "POST", "/v1/tournaments/tx/cancel", { _ in "" },
            [.anonymous: 401, .stranger: 403, .member: 403, .owner: 200, .admin: 409, .device: 401]
        ),
    ]

    @Test("REST routes with a rule, every role")
    func restRoutes() async throws {
        try await Self.withWorld { world in
            // Carol, a player of the match, is not checked in at v1: like the stranger, she may
            // not put a match on its table.
            for (method, uri, body, expected) in Self.routes {
                for role in MatrixRole.allCases {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let token = try await world.bearer(role) { headers[.authorization] = "Bearer \(token)" }
                    let text = body(role)
                    let (status, answer) = try await world.h.client.execute(
                        uri: uri,
                        method: HTTPRequest.Method(rawValue: method)!,
                        headers: headers,
                        body: text.isEmpty ? nil : ByteBuffer(string: text)
                    ) { ($0.status.code, String(buffer: $0.body)) }
                    let want = try #require(expected[role])
                    // The owner starts the match before the admin: a second start is a conflict,
                    // which shows the admin got past the permission check.
                    #expect(status == want, "\(method) \(uri) as \(role): \(status) \(answer.prefix(200)), expected \(want)")
                }
            }
        }
    }
}
