import DojoAPI
import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DojoServer

@Suite("System endpoints")
struct SystemRoutesTests {
    @Test("GET /healthz, /v1, and a request id on every response")
    func healthAndInfo() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(try jsonObject(response.body.readableBytesView)["status"] as? String == "ok")
                let id = try #require(response.headers[RequestIDMiddleware.header])
                #expect(UUID(uuidString: id) != nil)
            }
            try await client.execute(uri: "/v1", method: .get) { response in
                let body = try jsonObject(response.body.readableBytesView)
                #expect(body["name"] as? String == "dojopool")
                #expect(body["version"] as? String == DojoPoolVersion.current)
                #expect(body["storage"] as? String == "sqlite")
                #expect(body["cluster"] as? String == "in-process")
            }
        }
    }

    @Test("a well-formed X-Request-Id is kept; a malformed one is replaced")
    func requestID() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [RequestIDMiddleware.header: "trace-42.a_b"]) { response in
                #expect(response.headers[RequestIDMiddleware.header] == "trace-42.a_b")
            }
            for bad in ["has space", String(repeating: "x", count: 129), "quote\"", "ünï"] {
                try await client.execute(uri: "/healthz", method: .get, headers: [RequestIDMiddleware.header: bad]) { response in
                    let id = try #require(response.headers[RequestIDMiddleware.header])
                    #expect(id != bad)
                    #expect(UUID(uuidString: id) != nil)
                }
            }
        }
    }

    @Test(
        "errors use the one JSON envelope, with the request id",
        arguments: [
            ("/nope", HTTPRequest.Method.get, HTTPResponse.Status.notFound, "not_found"),
            ("/v1/matches/../../etc/passwd", .get, .notFound, "not_found"),
            ("/healthz", .delete, .methodNotAllowed, "method_not_allowed"),
            ("/v1/matches/m1/start", .get, .methodNotAllowed, "method_not_allowed"),
        ]
    )
    func errorEnvelope(_ path: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status, _ code: String) async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            try await client.execute(uri: path, method: method, headers: [RequestIDMiddleware.header: "req-1"]) { response in
                #expect(response.status == status)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let error = try #require(try jsonObject(response.body.readableBytesView)["error"] as? [String: Any])
                #expect(error["code"] as? String == code)
                #expect(error["requestId"] as? String == "req-1")
                #expect((error["message"] as? String)?.isEmpty == false)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!] == "default-src 'none'; frame-ancestors 'none'")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                // RFC 9110 §15.5.6: a 405 says which methods the resource has.
                #expect(response.headers[.allow] == (status == .methodNotAllowed ? (path == "/healthz" ? "GET" : "POST") : nil))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "on successes too")
            }
        }
    }

    @Test("a 1 MiB body to a route that takes none gets the error envelope, not a crash")
    func oversizedBody() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1 << 20)
            try await client.execute(uri: "/v1", method: .post, body: body) { response in
                #expect(response.status == .methodNotAllowed)
                let error = try jsonObject(response.body.readableBytesView)["error"] as? [String: Any]
                #expect(error?["code"] as? String == "method_not_allowed")
            }
            try await client.execute(uri: "/v1/nothing-here", method: .post, body: body) { response in
                #expect(response.status == .notFound)
                let error = try jsonObject(response.body.readableBytesView)["error"] as? [String: Any]
                #expect(error?["code"] as? String == "not_found")
            }
        }
    }

    @Test("GET /metrics: Prometheus text with request and storage metrics")
    func metrics() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            _ = try await server.eventLog.append(
                AppendRequest(stream: "match:metrics", expectedSequence: 0, events: [NewEvent(type: "T", payload: "{}")])
            )
            _ = try await server.runtime.venues.send(
                "metrics-hall",
                .register(name: "Hall", location: .init(lat: 0, lng: 0), address: nil, ownerID: nil),
                context: CommandContext(principal: .user("o", role: .admin), now: Timestamp(Date()))
            )
            // A refused command (the venue exists already): counted by its code.
            _ = try? await server.runtime.venues.send(
                "metrics-hall",
                .register(name: "Hall", location: .init(lat: 0, lng: 0), address: nil, ownerID: nil),
                context: CommandContext(principal: .user("o", role: .admin), now: Timestamp(Date()))
            )
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: response.body)
                for name in [
                    "http_server_request_duration", "http_server_active_requests", "dojo_storage_append_batch_size",
                    "dojo_storage_append_batch_duration_seconds", "dojo_storage_appends_total",
                    "dojo_actors_resident", "dojo_actor_activations_total", "dojo_command_duration_seconds", "dojo_actor_append_events",
                    "dojo_actor_mailbox_depth",
                    "dojo_ws_connections", "dojo_ws_messages_out_total", "dojo_ws_slow_consumer_closes_total", "dojo_ws_recovery_total",
                    "dojo_ws_fanout_latency_seconds",
                    #"dojo_events_recorded_total{type="venue.registered"}"#,
                    #"dojo_command_refusals_total{kind="venue",code="venue.already_exists"}"#,
                ] {
                    #expect(text.contains(name), "missing \(name) in \(text.prefix(200))")
                }
            }
        }
    }

    @Test("GET /readyz: 200 once migrated; 503 with the reason when migrations are missing")
    func readiness() async throws {
        let server = try await makeServer(try testConfiguration())
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try jsonObject(response.body.readableBytesView)
                #expect(body["status"] as? String == "ready")
            }
        }
        var unmigrated = try testConfiguration()
        unmigrated.migrateOnStart = false
        let bare = try await makeServer(unmigrated)
        try await bare.application.test(.live) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try jsonObject(response.body.readableBytesView)
                let error = try #require(body["error"] as? [String: Any])
                #expect(error["code"] as? String == "not_ready")
                #expect((error["message"] as? String)?.contains("migrations") == true)
            }
        }
    }

    @Test("GET /readyz checks Redis when it is configured")
    func readinessWithRedis() async throws {
        guard let redisURL = try TestServices.redisURL() else { return }
        var configuration = try testConfiguration()
        configuration.redisURL = redisURL
        let server = try await makeServer(configuration)
        try await server.application.test(.live) { client in
            // Ready once the node's first heartbeat is in Redis (moments after start).
            var checks: [String: Any] = [:]
            for attempt in 0..<50 {
                if attempt > 0 { try await Task.sleep(for: .milliseconds(100)) }
                let (status, body) = try await client.execute(uri: "/readyz", method: .get) { ($0.status, try jsonObject($0.body.readableBytesView)) }
                checks = body["checks"] as? [String: Any] ?? [:]
                if status == .ok { break }
            }
            #expect((checks["redis"] as? [String: Any])?["ok"] as? Bool == true, "\(checks)")
            #expect((checks["cluster"] as? [String: Any])?["ok"] as? Bool == true, "\(checks)")
            try await client.execute(uri: "/v1", method: .get) { response in
                let body = try jsonObject(response.body.readableBytesView)
                #expect(body["cluster"] as? String == "redis")
            }
        }
        var unreachable = try testConfiguration()
        unreachable.redisURL = "redis://127.0.0.1:1"
        let down = try await makeServer(unreachable)
        try await down.application.test(.live) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let error = try jsonObject(response.body.readableBytesView)["error"] as? [String: Any]
                #expect((error?["message"] as? String)?.hasPrefix("redis") == true)
            }
        }
    }

    @Test("GET /readyz turns 503 when Postgres goes away and 200 when it is back")
    func readinessFollowsPostgres() async throws {
        guard let admin = try TestServices.postgresURL() else { return }
        try await PostgresTestDatabase.withProxied(adminURL: admin) { url, proxy in
            var configuration = try testConfiguration()
            configuration.databaseURL = url
            let server = try await makeServer(configuration)
            try await server.application.test(.live) { client in
                // Polls /readyz until `wanted` (a loaded machine, with the whole suite on one
                // Postgres, may need a few checks either way) and gives the last answer's reason.
                func poll(until wanted: HTTPResponse.Status) async throws -> (reached: Bool, reason: String) {
                    var reason = ""
                    for attempt in 0..<40 {
                        if attempt > 0 { try await Task.sleep(for: .milliseconds(250)) }
                        let status = try await client.execute(uri: "/readyz", method: .get) { response in
                            let body = try? jsonObject(response.body.readableBytesView)
                            let error = body?["error"] as? [String: Any]
                            reason = error?["message"] as? String ?? "\(response.status.code)"
                            return response.status
                        }
                        if status == wanted { return (true, reason) }
                    }
                    return (false, reason)
                }
                let ready = try await poll(until: .ok)
                #expect(ready.reached, "readyz never answered 200 before the cut: \(ready.reason)")
                proxy.cut()
                let cut = try await poll(until: .serviceUnavailable)
                #expect(
                    cut.reached && cut.reason.hasPrefix("storage"),
                    "readyz did not turn 503 with the storage check after the cut: \(cut.reason)"
                )
                proxy.restore()
                let back = try await poll(until: .ok)
                #expect(back.reached, "readyz did not return to 200 after Postgres came back: \(back.reason)")
            }
        }
    }
}
