import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `dojo-loadtest commands`: the command path as a client sees it, from this process. M matches
/// (created and started through REST), shots sent to them over REST at a total rate, open loop:
/// each shot has its scheduled time, and its latency is measured from that time, not from when a
/// connection was free (no coordinated omission: a stalled server shows in the latency, never as
/// a lower rate). Before and after the window it reads the server's `/metrics` and reports where
/// the window's commands spent their time inside the server (docs/runtime.md).
struct Commands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "REST commands paced open-loop over M matches; ack latency and the server's stages.")
    @Option(help: "server port on 127.0.0.1") var port = 9000
    @Option(help: "create the matches through this node's port (default: --port); another node's port makes every command a forwarded one")
    var setupPort: Int?
    @Option(help: "matches commanded") var matches = 1_000
    @Option(help: "commands per second, in total") var rate = 2_000.0
    @Option(help: "warm-up seconds") var warmup = 3.0
    @Option(help: "measured seconds") var duration = 10.0
    @Option(help: "HTTP/1.1 keep-alive connections") var connections = 64
    @Option(help: "the server's auth.service.key (or DOJO_AUTH_SERVICE_KEY)")
    var serviceKey = ProcessInfo.processInfo.environment["DOJO_AUTH_SERVICE_KEY"] ?? ""
    @Flag(help: "print the result as one JSON object") var json = false

    func validate() throws {
        guard (1...100_000).contains(matches), rate > 0, rate <= 50_000, (1...1_024).contains(connections) else {
            throw ValidationError("--matches 1…100,000, --rate ≤ 50,000, --connections 1…1,024")
        }
        guard duration > 0, duration <= 600, warmup >= 0, warmup <= 120 else { throw ValidationError("--duration ≤ 600 s, --warmup ≤ 120 s") }
        guard serviceKey.utf8.count >= 32 else { throw ValidationError("commands needs --service-key (or DOJO_AUTH_SERVICE_KEY)") }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let pool = try await RESTPool.connect(count: connections, port: port, group: group)
        let setupPool = try await setupPort.asyncMap { try await RESTPool.connect(count: connections, port: $0, group: group) } ?? pool
        let runID = "lc\(Int.random(in: 1000...9999))"
        // Setup: two registered players, then the live matches between them, created by the first
        // through the service key acting for it (on the setup node: it then owns them).
        let setup = Setup(port: setupPort ?? port, serviceKey: serviceKey)
        let playerA = try await setup.user("\(runID)a").id
        let playerB = try await setup.user("\(runID)b").id
        let headers = [("Authorization", "Bearer \(serviceKey)"), ("X-Dojo-User", playerA), ("Content-Type", "application/json")]
        let ids = (0..<matches).map { "\(runID)-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (index, id) in ids.enumerated() {
                if index >= connections { try await tasks.next() }
                tasks.addTask {
                    let body = #"{"id":"\#(id)","playerA":"\#(playerA)","playerB":"\#(playerB)","gameType":"8-ball","raceTo":99}"#
                    let created = try await setupPool.send("POST", "/v1/matches", headers: headers, body: body)
                    guard created.status == 201 else { throw LoadError("creating \(id): \(created.status) \(created.body.prefix(200))") }
                    let started = try await setupPool.send("POST", "/v1/matches/\(id)/start", headers: headers, body: "{}")
                    guard started.status == 200 else { throw LoadError("starting \(id): \(started.status) \(started.body.prefix(200))") }
                }
            }
            try await tasks.waitForAll()
        }

        let tally = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .seconds(warmup)
        let end = measureFrom + .seconds(duration)
        let interval = Duration.seconds(1 / rate)
        var before: [String: (sum: Double, count: Double)] = [:]
        var scraped = false
        var index = 0
        await withTaskGroup(of: Void.self) { tasks in
            while true {
                let due = start + interval * index
                guard due < end else { break }
                if !scraped, due >= measureFrom {
                    scraped = true
                    before = (try? await Self.stages(pool)) ?? [:]
                }
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                let id = ids[index % ids.count]
                let measured = due >= measureFrom
                index += 1
                guard tally.inFlight.load(ordering: .relaxed) < 20_000 else {
                    tally.failures.withLock { $0["client backlog", default: 0] += 1 }
                    continue
                }
                tally.inFlight.add(1, ordering: .relaxed)
                tasks.addTask {
                    defer { tally.inFlight.subtract(1, ordering: .relaxed) }
                    let body = #"{"firstContact":1,"railAfterContact":true,"objectBallsToRail":4}"#
                    do {
                        let reply = try await pool.send("POST", "/v1/matches/\(id)/shots", headers: headers, body: body)
                        let latency = clock.now - due
                        guard measured else { return }
                        if reply.status == 200 {
                            tally.latencies.withLock {
                                _ = $0.record(
                                    UInt64(max(0, latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000))
                                )
                            }
                        } else {
                            tally.failures.withLock { $0["HTTP \(reply.status)", default: 0] += 1 }
                        }
                    } catch {
                        if measured { tally.failures.withLock { $0["\(error)".prefix(80).description, default: 0] += 1 } }
                    }
                }
            }
            await tasks.waitForAll()
        }
        let after = (try? await Self.stages(pool)) ?? [:]
        let histogram = tally.latencies.withLock { $0 }
        func ms(_ quantile: Double) -> Double { Double(histogram.valueAtPercentile(quantile)) / 1e6 }
        var stages: [String: Double] = [:]
        for (stage, value) in after {
            let count = value.count - (before[stage]?.count ?? 0)
            stages[stage] = count > 0 ? (value.sum - (before[stage]?.sum ?? 0)) / count * 1_000 : 0
        }
        let order = ["mailbox", "decide", "apply", "queue", "commit", "wakeup", "answer"]
        let failed = tally.failures.withLock { $0 }
        if json {
            let result: [String: Any] = [
                "matches": matches, "rate": rate, "connections": connections, "commands": histogram.totalCount,
                "p50Milliseconds": ms(50), "p99Milliseconds": ms(99), "maxMilliseconds": Double(histogram.max) / 1e6,
                "failures": failed, "stageMeanMilliseconds": stages,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(
                String(
                    format:
                        "commands over REST: %d matches, %.0f/s paced (open loop), %d connections: %llu acknowledged in %.0f s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
                    matches,
                    rate,
                    connections,
                    histogram.totalCount,
                    duration,
                    ms(50),
                    ms(90),
                    ms(99),
                    Double(histogram.max) / 1e6
                )
            )
            print(
                "  inside the server (mean ms per command):",
                order.map { String(format: "%@ %.3f", $0, stages[$0] ?? 0) }.joined(separator: ", ")
            )
            if !failed.isEmpty { print("  failures:", failed.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")) }
        }
    }

    /// What the window's commands gave.
    final class Tally: Sendable {
        let latencies = Mutex(Histogram<UInt64>(highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three))
        let failures = Mutex([String: Int]())
        let inFlight = Atomic<Int>(0)
    }

    /// The server's `dojo_command_stage_seconds` sums and counts by stage.
    static func stages(_ pool: RESTPool) async throws -> [String: (sum: Double, count: Double)] {
        let reply = try await pool.send("GET", "/metrics", headers: [], body: nil)
        var result: [String: (sum: Double, count: Double)] = [:]
        for line in reply.body.split(separator: "\n") where line.hasPrefix("dojo_command_stage_seconds_") {
            guard let open = line.firstIndex(of: "\""), let close = line[line.index(after: open)...].firstIndex(of: "\""),
                let value = Double(line.split(separator: " ").last ?? "")
            else { continue }
            let stage = String(line[line.index(after: open)..<close])
            if line.hasPrefix("dojo_command_stage_seconds_sum") { result[stage, default: (0, 0)].sum = value }
            if line.hasPrefix("dojo_command_stage_seconds_count") { result[stage, default: (0, 0)].count = value }
        }
        return result
    }
}

/// A pool of kept-alive HTTP/1.1 connections to the server, one request at a time on each.
final class RESTPool: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: String
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        var promise: EventLoopPromise<Reply>?
        var status = 0
        var body = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                let reply = Reply(status: status, body: String(buffer: body))
                let promise = self.promise
                self.promise = nil
                promise?.succeed(reply)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise?.fail(ChannelError.ioOnClosedChannel)
            promise = nil
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise?.fail(error)
            promise = nil
            context.close(promise: nil)
        }
    }

    private struct Connection: @unchecked Sendable {
        var channel: any Channel
        var handler: Handler
    }

    private let state = Mutex<(idle: [Connection], waiters: [CheckedContinuation<Connection, Never>])>(([], []))
    private let port: Int

    private init(port: Int) { self.port = port }

    static func connect(count: Int, port: Int, group: any EventLoopGroup) async throws -> RESTPool {
        let pool = RESTPool(port: port)
        for _ in 0..<count {
            let handler = Handler()
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(handler) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            pool.state.withLock { $0.idle.append(Connection(channel: channel, handler: handler)) }
        }
        return pool
    }

    private func acquire() async -> Connection {
        await withCheckedContinuation { continuation in
            let connection: Connection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    private func release(_ connection: Connection) {
        let waiter: CheckedContinuation<Connection, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// Sends one request on a free connection and waits for the whole response.
    func send(_ method: String, _ path: String, headers: [(String, String)], body: String?) async throws -> Reply {
        let connection = await acquire()
        defer { release(connection) }
        let channel = connection.channel
        let handler = connection.handler
        let reply = channel.eventLoop.flatSubmit { () -> EventLoopFuture<Reply> in
            let promise = channel.eventLoop.makePromise(of: Reply.self)
            handler.promise = promise
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
            head.headers.add(name: "Host", value: "127.0.0.1:\(self.port)")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            let bytes = body.map { ByteBuffer(string: $0) }
            head.headers.add(name: "Content-Length", value: "\(bytes?.readableBytes ?? 0)")
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let bytes { channel.write(HTTPClientRequestPart.body(.byteBuffer(bytes)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }
        return try await reply.get()
    }
}

extension Optional {
    /// `map` with an asynchronous transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
