import DojoStorage
import DojoTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Traces (issue 21, part 5): the real server with `tracing.enabled`, exporting OTLP/HTTP (JSON)
/// to a receiver in this test. A REST request and a WebSocket command, each carrying a W3C
/// `traceparent`, arrive as spans linked parent to child down to the group commit, and into the
/// reactions the command's events cause; the request's log line carries its trace id.
@Suite("Traces", .serialized)
struct TracingTests {
    /// A span as the receiver got it (ids as lowercase hex).
    struct ReceivedSpan: Sendable, CustomStringConvertible {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        var attributes: [String: String]
        var links: [String]

        var description: String { "\(name) [\(spanID) ← \(parentSpanID.isEmpty ? "root" : parentSpanID)]" }
    }

    /// An OTLP/HTTP receiver: `POST /v1/traces` with the JSON encoding, spans kept in order.
    final class Receiver: Sendable {
        let spans = Locked<[ReceivedSpan]>([])
        let requests = Locked<Int>(0)

        /// Parses one export request (OTLP's JSON encoding: ids in hex, or in base64 as protobuf's
        /// JSON mapping writes bytes).
        func take(_ body: [UInt8]) {
            requests.withLock { $0 += 1 }
            guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return }
            var found: [ReceivedSpan] = []
            for resource in json["resourceSpans"] as? [[String: Any]] ?? [] {
                for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                    for span in scope["spans"] as? [[String: Any]] ?? [] {
                        var attributes: [String: String] = [:]
                        for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                            guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any] else { continue }
                            attributes[key] = value.values.first.map { "\($0)" }
                        }
                        found.append(
                            ReceivedSpan(
                                traceID: Self.hex(span["traceId"]),
                                spanID: Self.hex(span["spanId"]),
                                parentSpanID: Self.hex(span["parentSpanId"]),
                                name: span["name"] as? String ?? "",
                                attributes: attributes,
                                links: (span["links"] as? [[String: Any]] ?? []).map { Self.hex($0["spanId"]) }
                            )
                        )
                    }
                }
            }
            spans.withLock { $0.append(contentsOf: found) }
        }

        static func hex(_ value: Any?) -> String {
            guard let text = value as? String, !text.isEmpty else { return "" }
            if text.count % 2 == 0, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
            guard let bytes = Data(base64Encoded: text) else { return text }
            return bytes.map { String(format: "%02x", $0) }.joined()
        }

        /// Waits until `done` holds for the spans received (up to 20 s), and returns them.
        func wait(for done: ([ReceivedSpan]) -> Bool) async throws -> [ReceivedSpan] {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let spans = self.spans.withLock { $0 }
                if done(spans) { return spans }
                try await Task.sleep(for: .milliseconds(50))
            }
            return spans.withLock { $0 }
        }
    }

    /// Runs the receiver on a free port for `body`.
    static func withReceiver(_ body: (Receiver, Int) async throws -> Void) async throws {
        let receiver = Receiver()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 32 << 20)
            receiver.take(Array(buffer.readableBytesView))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "otlp-receiver")
        )
        let running = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body(receiver, port)
    }

    static func traceparent() -> (trace: String, parent: String, header: String) {
        func hex(_ bytes: Int) -> String { (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
        let trace = hex(16)
        let parent = hex(8)
        return (trace, parent, "00-\(trace)-\(parent)-01")
    }

    @Test(
        "a REST request and a WebSocket command with a traceparent: spans from the request down to the group commit, and into the reaction its event causes; the request's log line carries the trace id"
    )
    func spansArriveLinked() async throws {
        try await Self.withReceiver { receiver, receiverPort in
            try await withFreshStorage(.sqlite) { storage, _ in
                try await seedUsers(["bob"], in: storage)
                var environment = try await CrashTests.serverEnvironment(storage: storage, backend: .sqlite)
                environment["DOJO_LOG_LEVEL"] = "info"
                environment["DOJO_TRACING_ENABLED"] = "true"
                environment["DOJO_TRACING_ENDPOINT"] = "http://127.0.0.1:\(receiverPort)"
                environment["DOJO_TRACING_PROTOCOL"] = "http/json"
                environment["DOJO_TRACING_EXPORT_DELAY_MS"] = "100"
                let server = try await ServerChild.start(environment: environment)
                defer { server.stop() }
                let client = Client(port: server.port, key: CrashTests.serviceKey)
                let (alice, token) = try await GatewayCrashTests.register(client, "alice")
                #expect(
                    try await client.post("/v1/venues", user: alice, role: "VENUE_ADMIN", ["id": "v1", "name": "Hall", "lat": 1, "lng": 2]).status
                        == 201
                )
                #expect(try await client.post("/v1/venues/v1/tables", user: alice, ["id": "t1", "name": "One"]).status == 201)
                let created = try await client.post(
                    "/v1/matches",
                    user: alice,
                    ["id": "m1", "playerA": alice, "playerB": "bob", "gameType": "9-ball", "raceTo": 3, "venueId": "v1", "tableId": "t1"]
                )
                #expect(created.status == 201, "\(created.json)")

                // REST: the start of a match at a table, whose event the venue reacts to.
                let rest = Self.traceparent()
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/matches/m1/start")!)
                request.httpMethod = "POST"
                request.httpBody = Data("{}".utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.setValue("Bearer \(CrashTests.serviceKey)", forHTTPHeaderField: "Authorization")
                request.setValue(alice, forHTTPHeaderField: "X-Dojo-User")
                request.setValue(rest.header, forHTTPHeaderField: "traceparent")
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)

                // WebSocket: a command message with its own traceparent.
                let socketTrace = Self.traceparent()
                let socket = try await TestWebSocket.connect(port: server.port, headers: [("Authorization", "Bearer \(token)")])
                _ = try await socket.next()
                try await socket.send(
                    json: [
                        "type": "command", "room": "match:m1", "id": 1, "traceparent": socketTrace.header,
                        "command": ["type": "commentary", "text": "traced"],
                    ]
                )
                let ack = try await socket.next(type: "ack")
                #expect(ack["sequence"] != nil, "\(ack)")

                let spans = try await receiver.wait { spans in
                    spans.contains { $0.traceID == rest.trace && $0.name.hasPrefix("venue ") }
                        && spans.contains { $0.traceID == socketTrace.trace && $0.name == "group commit" }
                }
                let inRest = spans.filter { $0.traceID == rest.trace }
                let byID = Dictionary(inRest.map { ($0.spanID, $0) }, uniquingKeysWith: { first, _ in first })
                func parent(of span: ReceivedSpan?) -> ReceivedSpan? { span.flatMap { byID[$0.parentSpanID] } }

                // The request's span continues the caller's; the command is inside the request.
                let requestSpan = try #require(inRest.first { $0.parentSpanID == rest.parent }, "no span continues the caller's: \(inRest)")
                let command = try #require(inRest.first { $0.name == "match start" }, "\(inRest)")
                var ancestor = parent(of: command)
                while let current = ancestor, current.spanID != requestSpan.spanID { ancestor = parent(of: current) }
                #expect(ancestor?.spanID == requestSpan.spanID, "the command is not inside the request: \(inRest)")
                #expect(command.attributes["dojo.entity"] == "match:m1" && command.attributes["dojo.sequence"] != nil, "\(command.attributes)")
                // Its decision and durable append are its children; the group commit the append's.
                let decide = try #require(inRest.first { $0.name == "decide" && $0.parentSpanID == command.spanID }, "\(inRest)")
                #expect(decide.attributes["dojo.events"] != nil)
                let append = try #require(inRest.first { $0.name == "append" && $0.parentSpanID == command.spanID }, "\(inRest)")
                #expect(append.attributes["dojo.stream"] == "match:m1" && append.attributes["dojo.sequence.last"] != nil, "\(append.attributes)")
                let commit = try #require(inRest.first { $0.name == "group commit" && $0.parentSpanID == append.spanID }, "\(inRest)")
                #expect(commit.attributes["dojo.batch.appends"] != nil)
                // The match's event carries the trace into the reactions: a delivery span whose
                // parent is the command, and the venue's command inside it.
                let delivery = try #require(inRest.first { $0.name == "consume reactions.match" && $0.parentSpanID == command.spanID }, "\(inRest)")
                #expect(delivery.attributes["dojo.stream"] == "match:m1")
                let reaction = try #require(inRest.first { $0.name.hasPrefix("venue ") && $0.parentSpanID == delivery.spanID }, "\(inRest)")
                #expect(reaction.attributes["dojo.entity"] == "venue:v1" && reaction.attributes["dojo.cause"]?.hasPrefix("match:m1#") == true)

                // The socket's command: its span continues the message's traceparent.
                let inSocket = spans.filter { $0.traceID == socketTrace.trace }
                let wsSpan = try #require(inSocket.first { $0.name == "ws command" && $0.parentSpanID == socketTrace.parent }, "\(inSocket)")
                #expect(wsSpan.attributes["dojo.room"] == "match:m1")
                let commentary = try #require(inSocket.first { $0.name == "match commentary" && $0.parentSpanID == wsSpan.spanID }, "\(inSocket)")
                #expect(inSocket.contains { $0.name == "append" && $0.parentSpanID == commentary.spanID })

                // Log lines written inside the request's span carry its trace id.
                #expect(server.child.standardError.contains("trace_id=\(rest.trace)"), "\(server.child.standardError.suffix(3_000))")
            }
        }
    }

    @Test("across nodes: a command sent to one node and forwarded to its entity's owner continues the caller's trace there")
    func acrossNodes() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await Self.withReceiver { receiver, receiverPort in
            try await withFreshStorage(.postgres) { storage, _ in
                try await seedUsers(["alice", "bob"], in: storage)
                var (cluster, env) = try await ClusterOwnershipTests.platform(storage, redis: redis, ttlMilliseconds: 3_000)
                env["DOJO_TRACING_ENABLED"] = "true"
                env["DOJO_TRACING_ENDPOINT"] = "http://127.0.0.1:\(receiverPort)"
                env["DOJO_TRACING_PROTOCOL"] = "http/json"
                env["DOJO_TRACING_EXPORT_DELAY_MS"] = "100"
                let nodes = try await ClusterOwnershipTests.start(["a", "b"], cluster: cluster, env: env)
                defer { for node in nodes { node.stop() } }
                let a = Client(port: nodes[0].port, key: CrashTests.serviceKey)
                let body: [String: any Sendable] = ["id": "t1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 3]
                #expect(try await a.post("/v1/matches", user: "alice", body).status == 201)
                let caller = Self.traceparent()
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(nodes[1].port)/v1/matches/t1/start")!)
                request.httpMethod = "POST"
                request.httpBody = Data("{}".utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.setValue("Bearer \(CrashTests.serviceKey)", forHTTPHeaderField: "Authorization")
                request.setValue("alice", forHTTPHeaderField: "X-Dojo-User")
                request.setValue(caller.header, forHTTPHeaderField: "traceparent")
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                // The owner's command span (on A) is in the caller's trace, under B's forwarding.
                // Each node exports on its own schedule: wait for both nodes' spans.
                let spans = try await receiver.wait { spans in
                    spans.contains { $0.traceID == caller.trace && $0.name == "match start" && $0.attributes["dojo.sequence"] != nil }
                        && spans.contains { $0.traceID == caller.trace && $0.parentSpanID == caller.parent }
                }
                let inTrace = spans.filter { $0.traceID == caller.trace }
                #expect(inTrace.contains { $0.parentSpanID == caller.parent }, "\(inTrace)")
                #expect(inTrace.contains { $0.name == "match start" } && inTrace.contains { $0.name == "append" }, "\(inTrace)")
            }
        }
    }

    @Test(
        "tracing's keys are checked: an endpoint that is not an http(s) URL, an unknown protocol, a ratio outside 0–1 stop the server with a clear message"
    )
    func badKeys() async throws {
        for (key, value, message) in [
            ("DOJO_TRACING_ENDPOINT", "localhost:4318", "tracing.endpoint"),
            ("DOJO_TRACING_PROTOCOL", "grpc", "tracing.protocol"),
            ("DOJO_TRACING_SAMPLER_RATIO", "1.5", "tracing.sampler.ratio"),
        ] {
            let child = try DojoPoolExecutable.start(
                ["serve"],
                environment: ["DOJO_TRACING_ENABLED": "true", key: value, "DOJO_HTTP_PORT": "0"],
                directory: try TestServices.temporaryDirectory()
            )
            // A server that accepted the key would run on: it is stopped, and the check fails.
            let stopper = Task {
                try await Task.sleep(for: .seconds(30))
                child.signal(SIGKILL)
            }
            let status = await child.exitStatus()
            stopper.cancel()
            #expect(status == 2 && child.standardError.contains(message), "\(key)=\(value): \(child.standardError)")
        }
    }
}
