import DojoCluster
import DojoTesting
import Foundation
import Synchronization
import Testing

/// The client's promise that a command ends — answered, or failed within its timeout — while
/// connections close under it at any moment (a TCP proxy in front of the test Redis, cut and
/// restored over and over, with commands in flight on plain and named connections).
@Suite("Redis client: commands end across connection losses")
struct RedisClientOutageTests {
    @Test(
        "commands in flight while the connection is cut and restored, over and over, each end within the timeout; a named client's opening never waits forever"
    )
    func commandsEndAcrossCuts() async throws {
        guard let url = try TestServices.redisURL() else { return }
        let endpoint = try RedisEndpoint(url: url)
        let proxy = try await TCPProxy.start(targetHost: endpoint.host, targetPort: endpoint.port)
        defer { Task { try? await proxy.stop() } }
        let proxied = try RedisEndpoint(url: "redis://127.0.0.1:\(proxy.port)")
        // A named client opens with CLIENT SETNAME: the step whose lost write wedged a client in
        // "connecting" for good, and every later command with it.
        let clients = [
            RedisClient(endpoint: proxied, timeout: .seconds(2)), RedisClient(endpoint: proxied, timeout: .seconds(2), name: "outage-test"),
        ]
        defer { for client in clients { client.close() } }
        let counts = Counts()
        let stop = ContinuousClock.now + .seconds(12)
        await withTaskGroup(of: Void.self) { group in
            for client in clients {
                for _ in 0..<3 {
                    group.addTask {
                        while ContinuousClock.now < stop {
                            // Timeout 2 s: a command ends within a few seconds (the client's
                            // watchdog ticks every 200 ms); 10 s means it never will.
                            switch await Self.ends(within: .seconds(10), { try? await client.command(["PING"]) }) {
                            case nil:
                                counts.stuck.add(1, ordering: .relaxed)
                                return
                            case .some(.some): counts.answered.add(1, ordering: .relaxed)
                            case .some(.none): break
                            }
                            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...20)))
                        }
                    }
                }
            }
            group.addTask {
                while ContinuousClock.now < stop - .seconds(4) {
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 50...600)))
                    proxy.cut()
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 50...800)))
                    proxy.restore()
                }
            }
        }
        #expect(counts.stuck.load(ordering: .relaxed) == 0, "commands that never ended")
        #expect(counts.answered.load(ordering: .relaxed) > 0)
        // Both clients work once Redis stays.
        for client in clients { #expect(try await client.command(["PING"]) == .status("PONG")) }
    }

    final class Counts: Sendable {
        let stuck = Atomic<Int>(0)
        let answered = Atomic<Int>(0)
    }

    /// The body's result, or nil when it did not end within `limit` (it is then left behind).
    static func ends<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T?? {
        let (results, continuation) = AsyncStream.makeStream(of: T?.self)
        Task { continuation.yield(await body()) }
        Task {
            try? await Task.sleep(for: limit)
            continuation.yield(nil)
        }
        for await result in results { return result.map { .some($0) } ?? .none }
        return .none
    }
}
