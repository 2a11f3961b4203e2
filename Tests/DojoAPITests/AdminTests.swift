import DojoCluster
import DojoDomain
import DojoGateway
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceLifecycle
import Testing

@testable import DojoAPI
@testable import DojoServer

private let serviceKey = "admin-test-service-key-0123456789abcdef"

private func acting(_ user: String, role: String? = nil) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    fields[.authorization] = "Bearer \(serviceKey)"
    fields[HTTPField.Name("X-Dojo-User")!] = user
    if let role { fields[HTTPField.Name("X-Dojo-Role")!] = role }
    return fields
}

private func bearer(_ token: String) -> HTTPFields {
    [.contentType: "application/json", .authorization: "Bearer \(token)"]
}

private struct Answer: @unchecked Sendable {
    var status: HTTPResponse.Status
    var json: [String: Any]
    var text: String
    var code: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

private func call(
    _ client: some TestClientProtocol,
    _ uri: String,
    _ method: HTTPRequest.Method = .post,
    _ headers: HTTPFields = [.contentType: "application/json"],
    _ body: String? = nil
) async throws -> Answer {
    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
        Answer(status: response.status, json: (try? jsonObject(response.body.readableBytesView)) ?? [:], text: String(buffer: response.body))
    }
}

private func withAdminServer(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    var configuration = try testConfiguration()
    configuration.serviceKey = serviceKey
    let server = try await makeServer(configuration)
    try await server.application.test(.live) { client in
        try await seedUsers(["root"], in: server.storage)
        try await test(client)
    }
}

@Suite("Administration: audit log, roles, password change")
struct AdminTests {
    @Test("logins, failed logins and registrations are audited with the request id and IP; only admins read the log; no secret in it")
    func auditLog() async throws {
        try await withAdminServer { client in
            let registered = try await call(
                client,
                "/v1/auth/register",
                .post,
                [.contentType: "application/json"],
                #"{"email":"dora@example.test","username":"dora","password":"correct horse battery"}"#
            )
            #expect(registered.status == .created)
            let bad = try await call(
                client,
                "/v1/auth/login",
                .post,
                [.contentType: "application/json", HTTPField.Name("X-Request-Id")!: "req-bad-1"],
                #"{"login":"dora","password":"wrong password here"}"#
            )
            #expect(bad.status == .unauthorized)
            _ = try await call(
                client,
                "/v1/auth/login",
                .post,
                [.contentType: "application/json"],
                #"{"login":"dora","password":"correct horse battery"}"#
            )

            let refused = try await call(client, "/v1/admin/audit", .get, acting("dora-id"))
            #expect(refused.status == .forbidden && refused.code == "forbidden")
            let log = try await call(client, "/v1/admin/audit", .get, acting("root", role: "ADMIN"))
            #expect(log.status == .ok)
            let entries = log.json["entries"] as? [[String: Any]] ?? []
            #expect(entries.map { $0["action"] as? String } == ["auth.login", "auth.login_failed", "auth.register"], "\(entries)")
            let failed = entries[1]
            #expect(failed["target"] as? String == "dora" && failed["actor"] == nil)
            let metadata = failed["metadata"] as? [String: Any]
            #expect(metadata?["requestId"] as? String == "req-bad-1" && (metadata?["ip"] as? String)?.isEmpty == false)
            #expect(!log.text.contains("argon2") && !log.text.contains("correct horse"), "no password or hash in the audit log")

            // Paging: two at a time, newest first, no overlap.
            let first = try await call(client, "/v1/admin/audit?limit=2", .get, acting("root", role: "ADMIN"))
            let next = try #require(first.json["next"] as? String)
            let second = try await call(client, "/v1/admin/audit?limit=2&before=\(next)", .get, acting("root", role: "ADMIN"))
            let firstIDs = (first.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            let secondIDs = (second.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(firstIDs.count == 2 && secondIDs.count == 1 && Set(firstIDs).isDisjoint(with: secondIDs))
            let filtered = try await call(client, "/v1/admin/audit?action=auth.login_failed", .get, acting("root", role: "ADMIN"))
            #expect((filtered.json["entries"] as? [[String: Any]])?.count == 1)
            let badQuery = try await call(client, "/v1/admin/audit?limit=0", .get, acting("root", role: "ADMIN"))
            #expect(badQuery.status == .badRequest)
        }
    }

    @Test("an admin grants a role; the next token carries it; non-admins and unknown users are refused; the change is audited")
    func roles() async throws {
        try await withAdminServer { client in
            let registered = try await call(
                client,
                "/v1/auth/register",
                .post,
                [.contentType: "application/json"],
                #"{"email":"eve@example.test","username":"eve","password":"correct horse battery"}"#
            )
            let id = try #require((registered.json["user"] as? [String: Any])?["id"] as? String)
            let byUser = try await call(client, "/v1/admin/users/\(id)/role", .post, acting(id), #"{"role":"ADMIN"}"#)
            #expect(byUser.status == .forbidden)
            let byVenueAdmin = try await call(client, "/v1/admin/users/\(id)/role", .post, acting(id, role: "VENUE_ADMIN"), #"{"role":"ADMIN"}"#)
            #expect(byVenueAdmin.status == .forbidden)
            let unknown = try await call(client, "/v1/admin/users/nobody/role", .post, acting("root", role: "ADMIN"), #"{"role":"VENUE_ADMIN"}"#)
            #expect(unknown.status == .notFound)
            let invalid = try await call(client, "/v1/admin/users/\(id)/role", .post, acting("root", role: "ADMIN"), #"{"role":"GOD"}"#)
            #expect(invalid.status == .badRequest)
            let granted = try await call(client, "/v1/admin/users/\(id)/role", .post, acting("root", role: "ADMIN"), #"{"role":"VENUE_ADMIN"}"#)
            #expect(granted.status == .ok && granted.json["previousRole"] as? String == "USER")
            let login = try await call(
                client,
                "/v1/auth/login",
                .post,
                [.contentType: "application/json"],
                #"{"login":"eve","password":"correct horse battery"}"#
            )
            let token = try #require(login.json["accessToken"] as? String)
            let me = try await call(client, "/v1/me", .get, bearer(token))
            #expect((me.json["user"] as? [String: Any])?["role"] as? String == "VENUE_ADMIN")
            // With that role, eve may register a venue.
            let venue = try await call(client, "/v1/venues", .post, bearer(token), #"{"id":"eves","name":"Eve's","lat":1,"lng":2}"#)
            #expect(venue.status == .created, "\(venue.text)")
            let log = try await call(client, "/v1/admin/audit?action=user.role_changed", .get, acting("root", role: "ADMIN"))
            let entry = (log.json["entries"] as? [[String: Any]])?.first
            #expect(entry?["actor"] as? String == "root" && entry?["target"] as? String == id)
        }
    }

    @Test("change password: the current one is required, the policy applies, refresh tokens are revoked")
    func changePassword() async throws {
        try await withAdminServer { client in
            let registered = try await call(
                client,
                "/v1/auth/register",
                .post,
                [.contentType: "application/json"],
                #"{"email":"fay@example.test","username":"fay","password":"correct horse battery"}"#
            )
            let token = try #require(registered.json["accessToken"] as? String)
            let refresh = try #require(registered.json["refreshToken"] as? String)
            let wrong = try await call(
                client,
                "/v1/auth/password",
                .post,
                bearer(token),
                #"{"currentPassword":"not it at all","newPassword":"another long secret"}"#
            )
            #expect(wrong.status == .unauthorized && wrong.code == "auth.invalid_credentials")
            let weak = try await call(
                client,
                "/v1/auth/password",
                .post,
                bearer(token),
                #"{"currentPassword":"correct horse battery","newPassword":"short"}"#
            )
            #expect(weak.code == "auth.weak_password")
            let anonymous = try await call(
                client,
                "/v1/auth/password",
                .post,
                [.contentType: "application/json"],
                #"{"currentPassword":"correct horse battery","newPassword":"another long secret"}"#
            )
            #expect(anonymous.status == .unauthorized)
            let changed = try await call(
                client,
                "/v1/auth/password",
                .post,
                bearer(token),
                #"{"currentPassword":"correct horse battery","newPassword":"another long secret"}"#
            )
            #expect(changed.status == .noContent, "\(changed.text)")
            let reuse = try await call(client, "/v1/auth/refresh", .post, [.contentType: "application/json"], #"{"refreshToken":"\#(refresh)"}"#)
            #expect(reuse.status == .unauthorized)
            let old = try await call(
                client,
                "/v1/auth/login",
                .post,
                [.contentType: "application/json"],
                #"{"login":"fay","password":"correct horse battery"}"#
            )
            #expect(old.status == .unauthorized)
            let new = try await call(
                client,
                "/v1/auth/login",
                .post,
                [.contentType: "application/json"],
                #"{"login":"fay","password":"another long secret"}"#
            )
            #expect(new.status == .ok)
            let log = try await call(client, "/v1/admin/audit?action=auth.password_changed", .get, acting("root", role: "ADMIN"))
            #expect((log.json["entries"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("with Redis configured the /v1/auth limit is shared by two servers")
    func sharedRateLimit() async throws {
        guard let redisURL = try TestServices.redisURL() else { return }
        var first = try testConfiguration()
        first.redisURL = redisURL
        // A budget of 1 per minute (a token back after 60 s): login requests hash a password, and
        // under the whole suite's load five of them once took longer than the 15 s of a budget of 4.
        first.authRequestsPerMinute = 1
        // The test clients keep one connection each; under the whole suite's load the gap between
        // two requests can outlast the default header timeout (CI: I/O on closed channel).
        first.httpLimits.headerTimeout = .seconds(300)
        first.httpLimits.idleTimeout = .seconds(300)
        let second = first
        let a = try await makeServer(first)
        let b = try await makeServer(second)
        // Both servers see the client as 127.0.0.1: one budget of 1 per minute between them: A's request uses it, B refuses.
        _ = try await RedisClient(endpoint: try RedisEndpoint(url: redisURL)).command(["DEL", "dojo:rl:auth:127.0.0.1"])
        try await a.application.test(.live) { clientA in
            try await b.application.test(.live) { clientB in
                var statuses: [HTTPResponse.Status] = []
                for index in 0..<6 {
                    let client: any TestClientProtocol = index % 2 == 0 ? clientA : clientB
                    let answer = try await call(
                        client,
                        "/v1/auth/login",
                        .post,
                        [.contentType: "application/json"],
                        #"{"login":"nobody-\#(index)","password":"wrong password here"}"#
                    )
                    statuses.append(answer.status)
                }
                #expect(statuses == [.unauthorized] + Array(repeating: .tooManyRequests, count: 5), "\(statuses)")
            }
        }
    }

    @Test("dojopool keys generate and rotate write the change to the audit log")
    func keyChangesAudited() async throws {
        let directory = try TestServices.temporaryDirectory()
        let environment = ["DOJO_DATABASE_SQLITE_PATH": directory + "/audit.sqlite", "DOJO_AUTH_KEYS_PATH": directory + "/keys.json"]
        #expect(try await DojoPoolExecutable.run(["migrate"], environment: environment).status == 0)
        let generated = try await DojoPoolExecutable.run(["keys", "generate"], environment: environment)
        #expect(generated.status == 0, "\(generated.standardError)")
        let rotated = try await DojoPoolExecutable.run(["keys", "rotate"], environment: environment)
        #expect(rotated.status == 0 && !rotated.standardError.contains("not written"), "\(rotated.standardError)")
        var configuration = ServerConfiguration()
        configuration.sqlitePath = directory + "/audit.sqlite"
        let storage = try await openStorage(configuration, logger: apiLogger)
        let actions = try await withRunningStorage(storage) { try await storage.auditEntries(before: nil, action: nil, limit: 10).map(\.action) }
        #expect(actions == ["keys.rotated", "keys.generated"])
    }
}

/// Runs `body` while `storage` (a service) runs, then stops it.
private func withRunningStorage<T: Sendable>(_ storage: any Storage, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await storage.run()
            return nil
        }
        let result = try await body()
        group.cancelAll()
        while let _ = try? await group.next() {}
        return result
    }
}
