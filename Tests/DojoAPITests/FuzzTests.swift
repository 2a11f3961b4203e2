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
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoServer

/// A JSON text built piece by piece, so that a mutation can write what a JSON library would not:
/// duplicated keys, `-0`, `1e308`, integers past Int64, arrays of 100,000 elements.
indirect enum FuzzJSON: Sendable {
    case raw(String)
    case string(String)
    case array([FuzzJSON])
    case object([(String, FuzzJSON)])

    /// From a value written as a Swift literal (`Bool`, `Int`, `Double`, `String`, arrays, dictionaries).
    init(_ value: Any) {
        switch value {
        case let flag as Bool: self = .raw(flag ? "true" : "false")
        case let number as Int: self = .raw(String(number))
        case let number as Double: self = .raw(String(number))
        case let text as String: self = .string(text)
        case let items as [Any]: self = .array(items.map(FuzzJSON.init))
        case let members as [String: Any]: self = .object(members.sorted { $0.key < $1.key }.map { ($0.key, FuzzJSON($0.value)) })
        default: self = .raw("null")
        }
    }

    var text: String {
        switch self {
        case .raw(let raw): return raw
        case .string(let string):
            let data = try! JSONSerialization.data(withJSONObject: [string], options: [.fragmentsAllowed])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { FuzzJSON.string($0.0).text + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// Values at the edges of what a decoder, a range check or arithmetic expects.
    static let boundaries: [FuzzJSON] = [
        .raw("0"), .raw("-1"), .raw("2147483647"), .raw("-2147483648"), .raw("4294967296"),
        .raw("9223372036854775807"), .raw("-9223372036854775808"), .raw("9223372036854775808"),
        .raw("9007199254740992"), .raw("1e308"), .raw("-1e308"), .raw("-0"), .raw("0.5"), .raw("1e400"),
        .raw("true"), .raw("null"), .string(""), .string(String(repeating: "x", count: 100_000)),
        .string("\u{0}\u{1F}"), .string("'; DROP TABLE events; --"), .string("../../etc/passwd"), .string("é🎱"),
        .array([]), .object([]), .array(Array(repeating: .raw("0"), count: 100_000)),
    ]

    /// Every place a value sits: the paths to members and array elements (depth first).
    func paths(_ prefix: [PathStep] = []) -> [[PathStep]] {
        switch self {
        case .raw, .string: return [prefix]
        case .array(let items): return [prefix] + items.indices.flatMap { items[$0].paths(prefix + [.index($0)]) }
        case .object(let members): return [prefix] + members.indices.flatMap { members[$0].1.paths(prefix + [.member($0)]) }
        }
    }

    enum PathStep { case index(Int), member(Int) }

    /// This value with the value at `path` changed by `change`.
    func replacing(_ path: ArraySlice<PathStep>, _ change: (FuzzJSON) -> FuzzJSON?) -> FuzzJSON? {
        guard let step = path.first else { return change(self) }
        switch (self, step) {
        case (.array(var items), .index(let i)):
            guard let new = items[i].replacing(path.dropFirst(), change) else {
                items.remove(at: i)
                return .array(items)
            }
            items[i] = new
            return .array(items)
        case (.object(var members), .member(let i)):
            guard let new = members[i].1.replacing(path.dropFirst(), change) else {
                members.remove(at: i)
                return .object(members)
            }
            members[i].1 = new
            return .object(members)
        default: return self
        }
    }

    /// A mutation of this value: a boundary value somewhere, a member dropped, an extra member, a
    /// key given twice, or the whole body replaced.
    func mutated(_ rng: inout SplitMix64) -> FuzzJSON {
        let paths = self.paths()
        let path = paths[Int.random(in: 0..<paths.count, using: &rng)]
        let boundary = Self.boundaries[Int.random(in: 0..<Self.boundaries.count, using: &rng)]
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: return replacing(path[...]) { _ in boundary } ?? boundary
        case 6: return path.isEmpty ? boundary : (replacing(path[...]) { _ in nil } ?? self)
        case 7:
            return replacing(path[...]) { value in
                guard case .object(let members) = value else { return value }
                return .object(members + [("zzExtra", boundary)])
            } ?? self
        case 8:
            return replacing(path[...]) { value in
                guard case .object(let members) = value, let first = members.first else { return value }
                return .object(members + [(first.0, boundary)])
            } ?? self
        default:
            return paths.count > 1 ? boundary : .raw("[]")
        }
    }
}

/// One REST route with a valid body (or query) to mutate.
private struct FuzzRoute: Sendable {
    var method: HTTPRequest.Method
    var path: String
    var body: FuzzJSON?
    /// Query parameters whose values are mutated (GET routes).
    var query: [String] = []
}

/// Found by the fuzzer (or the outside review) and kept as regressions: each ran the server into
/// a trap or a 5xx once.
private let corpus: [(HTTPRequest.Method, String, String?)] = [
    // The tournaments' review: a prize split summing past Int.max, and a start so far ahead that
    // its timer's due time trapped.
    (.post, "/v1/tournaments", #"{"name":"Cup","venueId":"v1","format":"round_robin","prizeSplit":[9223372036854775807,1]}"#),
    (.post, "/v1/tournaments", #"{"name":"Cup","venueId":"v1","format":"round_robin","startsAt":9223372036854775807}"#),
    // The outside review: shots + 1 trapped.
    (
        .post, "/v1/referee/rulings",
        #"{"game":"9ball","rack":{"game":"9ball","onTable":[1,2,9],"shooter":"A","shots":9223372036854775807},"shot":{"firstContact":1}}"#
    ),
    // The integer audit: an audit cursor of Int64.max milliseconds trapped in the storage's date
    // arithmetic.
    (.get, "/v1/admin/audit?before=9223372036854775807_x", nil),
    (.get, "/v1/admin/audit?before=-9223372036854775808_x", nil),
]

@Suite("Fuzz: mutated bodies for every REST route and WebSocket message; never a 5xx, never a drop, nothing persisted by a refusal")
struct FuzzTests {
    /// `DOJO_FUZZ_SEED` replays a run; `DOJO_FUZZ_CASES` sets the cases per route and per message type.
    static let seed = ProcessInfo.processInfo.environment["DOJO_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0xD0_F022
    static let cases = ProcessInfo.processInfo.environment["DOJO_FUZZ_CASES"].flatMap { Int($0) } ?? 40

    private static let routes: [FuzzRoute] = [
        FuzzRoute(
            method: .post,
            path: "/v1/auth/register",
            body: FuzzJSON(["email": "z@example.test", "username": "zed", "password": "correct horse battery"])
        ),
        FuzzRoute(method: .post, path: "/v1/auth/login", body: FuzzJSON(["login": "zed", "password": "correct horse battery"])),
        FuzzRoute(method: .post, path: "/v1/auth/refresh", body: FuzzJSON(["refreshToken": "abc"])),
        FuzzRoute(method: .post, path: "/v1/auth/logout", body: FuzzJSON(["refreshToken": "abc"])),
        FuzzRoute(method: .post, path: "/v1/auth/email/code", body: FuzzJSON(["email": "z@example.test"])),
        FuzzRoute(method: .post, path: "/v1/auth/email/verify", body: FuzzJSON(["email": "z@example.test", "code": "123456"])),
        FuzzRoute(method: .post, path: "/v1/auth/oidc", body: FuzzJSON(["provider": "google", "idToken": "a.b.c"])),
        FuzzRoute(
            method: .post,
            path: "/v1/auth/password",
            body: FuzzJSON(["currentPassword": "correct horse battery", "newPassword": "another horse battery"])
        ),
        FuzzRoute(
            method: .post,
            path: "/v1/matches",
            body: FuzzJSON([
                "id": "fm", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 3, "venueId": "v1", "tableId": "t1",
                "scorer": "alice", "breakRule": "winner", "commandId": "c1",
            ])
        ),
        FuzzRoute(
            method: .post,
            path: "/v1/matches/m1/commands",
            body: FuzzJSON(["type": "recordRack", "winner": "A", "breaker": "B", "commandId": "c2"])
        ),
        FuzzRoute(
            method: .post,
            path: "/v1/matches/m1/shots",
            body: FuzzJSON([
                "shotId": "s1", "firstContact": 1, "pocketed": [["ball": 2, "pocket": 3]], "cueBallPocketed": false, "offTable": [Int](),
                "railAfterContact": true, "objectBallsToRail": 4, "called": ["ball": 2, "pocket": 3], "safety": false, "pushOut": false,
            ])
        ),
        FuzzRoute(method: .post, path: "/v1/matches/m1/decisions", body: FuzzJSON(["decision": "shoot", "side": "A", "commandId": "c3"])),
        FuzzRoute(method: .post, path: "/v1/matches/m1/corrections", body: FuzzJSON(["reason": "misread", "commandId": "c4"])),
        FuzzRoute(method: .post, path: "/v1/matches/m1/racks", body: FuzzJSON(["winner": "A", "breaker": "B"])),
        FuzzRoute(method: .post, path: "/v1/matches/m1/end", body: FuzzJSON(["winner": "A", "reason": "forfeit"])),
        FuzzRoute(method: .post, path: "/v1/matches/m2/cancel", body: FuzzJSON(["reason": "rain"])),
        FuzzRoute(method: .post, path: "/v1/matches/m1/move", body: FuzzJSON(["tableId": "t2", "commandId": "mv1"])),
        FuzzRoute(
            method: .post,
            path: "/v1/venues/v1/commands",
            body: FuzzJSON(["type": "setMaintenance", "tableId": "t2", "on": true, "commandId": "vc1"])
        ),
        FuzzRoute(
            method: .post,
            path: "/v1/referee/rulings",
            body: FuzzJSON([
                "game": "9ball",
                "rack": ["game": "9ball", "onTable": [1, 2, 9], "shooter": "A", "breaker": "B", "shots": 3, "fouls": ["A": 1, "B": 0]],
                "shot": ["firstContact": 1, "pocketed": [["ball": 2, "pocket": 1]]],
            ])
        ),
        FuzzRoute(
            method: .post,
            path: "/v1/referee/detections",
            body: FuzzJSON([
                "frames": [
                    ["t": 0, "balls": [[0, 0.5, 0.5], [1, 1.5, 0.5]]], ["t": 33, "balls": [[0, 0.6, 0.5], [1, 1.5, 0.5]]],
                    ["t": 66, "balls": [[0, 0.7, 0.5]]],
                ],
                "ballRadius": 0.0225, "threshold": 0.8,
            ])
        ),
        FuzzRoute(method: .post, path: "/v1/venues", body: FuzzJSON(["id": "fv", "name": "Hall", "lat": 1.5, "lng": 2.5, "address": "1 Main St"])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/tables", body: FuzzJSON(["id": "ft", "name": "Table"])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/tables/t1/maintenance", body: FuzzJSON(["on": true])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/admins", body: FuzzJSON(["userId": "bob"])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/check-ins", body: FuzzJSON(["method": "QR", "userId": "alice"])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/settings", body: FuzzJSON(["openTables": true])),
        FuzzRoute(method: .post, path: "/v1/venues/v1/devices", body: FuzzJSON(["tableId": "t1", "publicKey": "AAAA", "name": "cam"])),
        FuzzRoute(method: .post, path: "/v1/devices/token", body: FuzzJSON(["deviceId": "d1", "nonce": "n", "signature": "s"])),
        FuzzRoute(method: .post, path: "/v1/admin/users/bob/role", body: FuzzJSON(["role": "VENUE_ADMIN"])),
        FuzzRoute(method: .get, path: "/v1/matches/m1/events", query: ["after", "limit"]),
        FuzzRoute(method: .get, path: "/v1/matches/m1/shots/s1/frames"),
        FuzzRoute(method: .get, path: "/v1/admin/audit", query: ["limit", "before", "action"]),
        FuzzRoute(
            method: .post,
            path: "/v1/admin/partners",
            body: FuzzJSON([
                "id": "fz", "name": "Fuzz", "url": "https://fuzz.example/hooks", "secret": "fuzz-secret-0123456789abcdef0123456",
                "events": ["match.completed"],
            ])
        ),
        FuzzRoute(method: .get, path: "/v1/admin/partners/fz/deliveries", query: ["state", "limit"]),
        FuzzRoute(method: .post, path: "/v1/clans", body: FuzzJSON(["id": "fz", "name": "Fuzzers", "description": "d", "commandId": "cl1"])),
        FuzzRoute(
            method: .post,
            path: "/v1/clans/fk/commands",
            body: FuzzJSON(["type": "setRole", "userId": "bob", "role": "OFFICER", "commandId": "cl2"])
        ),
        FuzzRoute(method: .post, path: "/v1/clans/fk/invitations", body: FuzzJSON(["userId": "carol", "commandId": "cl3"])),
        FuzzRoute(method: .patch, path: "/v1/clans/fk/members/bob", body: FuzzJSON(["role": "MEMBER", "commandId": "cl4"])),
        FuzzRoute(method: .patch, path: "/v1/clans/fk", body: FuzzJSON(["description": "Tuesdays", "commandId": "cl5"])),
        FuzzRoute(method: .post, path: "/v1/territories", body: FuzzJSON(["id": "ft2", "venueId": "v1", "name": "Hall", "commandId": "tr1"])),
        FuzzRoute(method: .post, path: "/v1/territories/ft/challenges", body: FuzzJSON(["opponentId": "carol", "commandId": "tr2"])),
        FuzzRoute(
            method: .post,
            path: "/v1/territories/ft/challenges/accept",
            body: FuzzJSON(["gameType": "9-ball", "raceTo": 2, "commandId": "tr3"])
        ),
        FuzzRoute(method: .get, path: "/v1/clans", query: ["q", "after", "limit"]),
        FuzzRoute(method: .get, path: "/v1/clans/fk/members", query: ["after", "limit"]),
        FuzzRoute(method: .get, path: "/v1/territories", query: ["bbox", "near", "radiusKm", "limit", "after"]),
        FuzzRoute(method: .get, path: "/v1/leaderboards/clans", query: ["offset", "limit"]),
        // Alice holds no coins: a stake is refused; a friendly challenge is accepted (no reaction
        // appends for it until it is answered).
        FuzzRoute(
            method: .post,
            path: "/v1/challenges",
            body: FuzzJSON([
                "id": "fc2", "defenderId": "bob", "venueId": "v1", "tableId": "t1", "gameType": "9-ball", "raceTo": 3, "stakeCoins": 0,
                "commandId": "ch1",
            ])
        ),
        FuzzRoute(method: .post, path: "/v1/challenges/fc/decline", body: FuzzJSON(["commandId": "ch2"])),
        FuzzRoute(method: .get, path: "/v1/challenges", query: ["role", "status", "limit", "offset"]),
        FuzzRoute(method: .get, path: "/v1/matches", query: ["status", "venueId", "after", "limit"]),
        FuzzRoute(
            method: .post,
            path: "/v1/tournaments",
            body: FuzzJSON([
                "id": "ftn2", "name": "Cup", "venueId": "v1", "format": "double_elimination", "raceTo": 3, "finalRaceTo": 5,
                "maxParticipants": 8, "entryFee": 0, "prizeSplit": [6_000, 4_000], "checkInMinutes": 0, "seeding": "random",
                "tables": ["t1"], "rewards": ["trophy": "cup"], "commandId": "tn1",
            ])
        ),
        FuzzRoute(method: .post, path: "/v1/tournaments/ftn/registrations", body: FuzzJSON(["userId": "bob", "commandId": "tn2"])),
        FuzzRoute(method: .post, path: "/v1/tournaments/ftn/results", body: FuzzJSON(["slot": 0, "winnerId": "bob", "scoreA": 3, "scoreB": 1])),
        FuzzRoute(method: .get, path: "/v1/tournaments", query: ["venueId", "status", "limit", "offset"]),
        FuzzRoute(method: .get, path: "/v1/users/bob/rating", query: ["limit"]),
        FuzzRoute(
            method: .patch,
            path: "/v1/me/profile",
            body: FuzzJSON(["displayName": "Alice", "bio": "b", "avatarUrl": "https://i.example/a.png", "location": "Leeds"])
        ),
        FuzzRoute(
            method: .patch,
            path: "/v1/me/settings",
            body: FuzzJSON(["notifications": ["email": true, "push": false], "language": "en-GB", "timezone": "Europe/London", "privacy": "public"])
        ),
        FuzzRoute(method: .get, path: "/v1/users", query: ["q", "limit"]),
        FuzzRoute(method: .get, path: "/v1/users/alice/stats"),
        FuzzRoute(method: .get, path: "/v1/users/alice/head-to-head/bob"),
        FuzzRoute(method: .get, path: "/v1/users/alice/achievements"),
        FuzzRoute(method: .get, path: "/v1/me/notifications", query: ["offset", "limit"]),
        FuzzRoute(method: .post, path: "/v1/me/notifications/none/read"),
        FuzzRoute(method: .get, path: "/v1/collectibles"),
        FuzzRoute(method: .post, path: "/v1/collectibles/none/purchase"),
        FuzzRoute(method: .get, path: "/v1/users/alice/collectibles"),
        FuzzRoute(method: .post, path: "/v1/me/wallets/nonce", body: FuzzJSON(["chain": "solana", "address": "11111111111111111111111111111111"])),
        FuzzRoute(
            method: .post,
            path: "/v1/me/wallets",
            body: FuzzJSON(["chain": "ethereum", "address": "0x" + String(repeating: "ab", count: 20), "nonce": "n", "signature": "s"])
        ),
    ]

    static let queryValues = [
        "0", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e308", "NaN", "", "abc",
        String(repeating: "9", count: 400), "1_1", "%00", "0x10", "9223372036854775807_x", "-1_x", "253402300800000_x",
        "0,0,1,1", "1,2", "-90,-180,90,180", "1e308,0", "NaN,NaN", ",,,", "1,2,3,4,5",
    ]

    private static func withFuzzServer(_ test: @Sendable (GatewayHarness) async throws -> Void) async throws {
        var configuration = try testConfiguration()
        configuration.serviceKey = "ws-test-service-key-0123456789abcdef0"
        configuration.authRequestsPerMinute = 10_000_000
        configuration.writesPerMinute = 10_000_000
        configuration.readsPerMinute = 10_000_000
        configuration.gateway.messagesPerSecond = 100_000
        configuration.gateway.messageBurst = 100_000
        // Hummingbird's test client keeps one connection and does not reopen it: a long run must
        // not see it closed by the server's idle timeout between two of its requests.
        configuration.httpLimits.idleTimeout = .seconds(3_600)
        let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry, mailSender: CapturedMail())
        try await server.application.test(.live) { client in
            try await seedUsers(["alice", "bob", "carol"], in: server.storage)
            let h = GatewayHarness(server: server, client: client)
            try await h.venueWithTables()
            _ = try await h.rest(
                "/v1/matches",
                as: "alice",
                #"{"id":"m1","playerA":"alice","playerB":"bob","gameType":"9-ball","raceTo":5,"venueId":"v1","tableId":"t1"}"#
            )
            _ = try await h.rest("/v1/matches/m1/start", as: "alice")
            try await h.clan("fk", leader: "alice", members: ["bob"])
            _ = try await h.call(.post, "/v1/territories", as: "alice", ["id": "ft", "venueId": "v1"])
            _ = try await h.call(.post, "/v1/challenges", as: "alice", ["id": "fc", "defenderId": "bob"])
            _ = try await h.call(
                .post,
                "/v1/tournaments",
                as: "alice",
                ["id": "ftn", "name": "Cup", "venueId": "v1", "format": "single_elimination"]
            )
            // The table is occupied by a reaction: wait for it, so no background append runs
            // while refusals are checked for appending nothing.
            for _ in 0..<250 {
                let venue = try await h.rest("/v1/venues/v1", .get)
                let tables = (venue["venue"] as? [String: Any])?["tables"] as? [[String: Any]] ?? []
                if tables.contains(where: { ($0["liveMatches"] as? [String] ?? []).contains("m1") }) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = try await h.rest("/v1/matches", as: "alice", #"{"id":"m2","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":5}"#)
            try await test(h)
        }
    }

    private static func eventCount(_ storage: any Storage) async throws -> Int {
        try await storage.withSQL { db in
            // Reactions append table occupancy (and tell the venue's tournaments) in the background
            // after an accepted command: only the events a request appends itself are counted.
            try await db.raw(
                "SELECT COUNT(*) AS n FROM events WHERE type NOT IN ('venue.table_occupied', 'venue.table_released', 'tournament.tables_changed')"
            )
            .first(decoding: Count.self)?.n ?? 0
        }
    }

    private struct Count: Decodable { var n: Int }

    @Test("REST: every route, mutated bodies and queries, plus the corpus of past crashes")
    func rest() async throws {
        try await Self.withFuzzServer { h in
            var rng = SplitMix64(seed: Self.seed)
            var run = 0
            var refused = 0
            func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String?) async throws {
                let before = try await Self.eventCount(h.server.storage)
                var headers = h.serviceHeaders("alice")
                headers[.contentType] = "application/json"
                let (status, text) = try await h.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                {
                    ($0.status, String(buffer: $0.body))
                }
                run += 1
                #expect(status.code < 500, "\(method) \(uri) \(body?.prefix(300) ?? "") → \(status) \(text.prefix(300))")
                if status.code >= 400 {
                    refused += 1
                    let envelope = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                    #expect(
                        (envelope?["error"] as? [String: Any])?["code"] is String,
                        "\(uri) → \(status) without the error envelope: \(text.prefix(200))"
                    )
                    let after = try await Self.eventCount(h.server.storage)
                    #expect(
                        after == before,
                        "\(method) \(uri) was refused (\(status)) but appended \(after - before) events: \(body?.prefix(300) ?? "")"
                    )
                }
            }
            for (method, uri, body) in corpus { try await send(method, uri, body) }
            for route in Self.routes {
                for _ in 0..<Self.cases {
                    if let body = route.body {
                        try await send(route.method, route.path, body.mutated(&rng).text)
                    } else {
                        let query = route.query.map { name in
                            let value = Self.queryValues[Int.random(in: 0..<Self.queryValues.count, using: &rng)]
                            return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                        }
                        try await send(route.method, route.path + "?" + query.joined(separator: "&"), nil)
                    }
                }
            }
            let health = try await h.client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(health == .ok)
            FileHandle.standardError.write(
                Data("fuzz REST: seed \(Self.seed), \(run) requests over \(Self.routes.count) routes, \(refused) refused\n".utf8)
            )
        }
    }

    @Test("WebSocket: every message type, mutated; each answered, or closed with a close frame and a code")
    func webSocket() async throws {
        try await Self.withFuzzServer { h in
            var rng = SplitMix64(seed: Self.seed &+ 1)
            let messages: [FuzzJSON] = [
                FuzzJSON(["type": "subscribe", "room": "match:m1", "since": ["seq": 1, "epoch": "log"], "id": 1]),
                FuzzJSON(["type": "unsubscribe", "room": "match:m1", "id": 2]),
                FuzzJSON(["type": "command", "room": "match:m1", "command": ["type": "recordRack", "winner": "A"], "commandId": "w1", "id": 3]),
                FuzzJSON([
                    "type": "command", "room": "match:m1",
                    "command": ["type": "shot", "shotId": "ws1", "firstContact": 1, "pocketed": [["ball": 2, "pocket": 3]]], "id": 4,
                ]),
                FuzzJSON(["type": "command", "room": "venue:v1", "command": ["type": "setMaintenance", "tableId": "t2", "on": true], "id": 5]),
                FuzzJSON(["type": "ping", "id": 6]),
                FuzzJSON(["type": "auth", "token": "a.b.c", "id": 7]),
                FuzzJSON(["type": "frame", "t": 10, "balls": [[0, 0.5, 0.5], [1, 1.0, 0.5]], "id": 8]),
                FuzzJSON(["type": "shot", "matchId": "m1", "shotId": "cs1", "firstContact": 1, "id": 9]),
            ]
            var socket = try await h.socket(as: "alice")
            func reconnect(after text: String) async throws -> TestWebSocket {
                do {
                    return try await h.socket(as: "alice")
                } catch {
                    Issue.record("could not reconnect (\(error)) after \(text.prefix(300)); open connections from here: \(h.server.gateway.counts)")
                    try await Task.sleep(for: .seconds(3))
                    return try await h.socket(as: "alice")
                }
            }
            var run = 0
            var closes: [UInt16: Int] = [:]
            for message in messages {
                for index in 0..<Self.cases {
                    let text = message.mutated(&rng).text
                    try? await socket.send(text)
                    run += 1
                    // Every message gets its answer; the probe after it proves the socket lives.
                    let probe = "probe-\(run)-\(index)"
                    try? await socket.send(#"{"type":"ping","id":"\#(probe)"}"#)
                    var answered = false
                    while !answered {
                        let frame: TestWebSocket.Frame
                        do {
                            frame = try await socket.nextFrame(timeout: .seconds(10))
                        } catch {
                            Issue.record("no answer and no close frame (\(error)) after \(text.prefix(300))")
                            socket = try await reconnect(after: text)
                            break
                        }
                        if frame.opcode == 0x8 {
                            let code = frame.closeCode ?? 0
                            closes[code, default: 0] += 1
                            #expect([1007, 1008, 1009].contains(code), "closed with \(code) \(frame.closeReason) after \(text.prefix(300))")
                            await socket.disconnect()
                            socket = try await reconnect(after: text)
                            answered = true
                        } else if frame.opcode == 0x1, frame.text.contains(#""id":"\#(probe)""#) {
                            answered = true
                        }
                    }
                }
            }
            let health = try await h.client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(health == .ok)
            FileHandle.standardError.write(
                Data("fuzz WebSocket: seed \(Self.seed), \(run) messages over \(messages.count) types, closes \(closes)\n".utf8)
            )
        }
    }
}
