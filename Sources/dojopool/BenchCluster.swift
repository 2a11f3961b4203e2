import ArgumentParser
import DojoAPI
import DojoCluster
import DojoServer
import Foundation
import NIOCore
import Synchronization

/// `dojopool bench-cluster`: the Redis path between nodes (docs/cluster.md) — how many room
/// messages per second one node publishes and another receives, with what latency, and whether
/// any is lost, through the same adapters the server uses (pipelined RedisClient, one
/// RedisSubscriber per node).
struct BenchCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-cluster",
        abstract: "Benchmark room messages between two nodes through Redis (publish rate, receive rate, latency, loss)."
    )

    @Option(help: "Redis URL (default: redis.url from the configuration).") var redis: String?
    @Option(help: "Messages published per run.") var messages = 200_000
    @Option(help: "Frame bytes per message.") var bytes = 200
    @Option(help: "Rooms the messages are spread over.") var rooms = 100
    @Option(help: "Messages per second (0: as fast as possible).") var rate = 0.0
    @Option(help: "Runs (the report gives each and the median).") var runs = 3
    @OptionGroup var options: ConfigurationOptions

    func validate() throws {
        guard (1...5_000_000).contains(messages), (1...65_536).contains(bytes), (1...10_000).contains(rooms), (1...20).contains(runs), rate >= 0
        else { throw ValidationError("--messages 1…5,000,000, --bytes 1…65,536, --rooms 1…10,000, --runs 1…20, --rate ≥ 0") }
    }

    struct Result {
        var published: Double
        var received: Double
        var lost: Int
        var p50: Double
        var p99: Double
    }

    func run() async throws {
        var url = redis
        if url == nil { url = try await options.load().redisURL }
        guard let url else { throw ValidationError("give --redis or set redis.url") }
        let endpoint = try RedisEndpoint(url: url)
        var results: [Result] = []
        for run in 1...runs {
            let result = try await once(endpoint, cluster: "bench-\(UUID().uuidString.prefix(8))")
            results.append(result)
            print(
                String(
                    format: "run %d: published %.0f msg/s, received %.0f msg/s, lost %d, latency p50 %.2f ms p99 %.2f ms",
                    run,
                    result.published,
                    result.received,
                    result.lost,
                    result.p50,
                    result.p99
                )
            )
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(
            String(
                format:
                    "median of %d: published %.0f msg/s, received %.0f msg/s, latency p50 %.2f ms p99 %.2f ms (%d messages of %d B over %d rooms%@)",
                runs,
                median(results.map(\.published)),
                median(results.map(\.received)),
                median(results.map(\.p50)),
                median(results.map(\.p99)),
                messages,
                bytes,
                rooms,
                rate > 0 ? String(format: ", paced at %.0f/s", rate) : ""
            )
        )
    }

    /// What node B saw: per room the last sequence, the count, and latencies (ns).
    final class Receiver: Sendable {
        struct State {
            var last: [String: Int64] = [:]
            var received = 0
            var lost = 0
            var latencies: [UInt64] = []
            var lastAt: UInt64 = 0
        }
        let state = Mutex(State())
    }

    private func once(_ endpoint: RedisEndpoint, cluster: String) async throws -> Result {
        let subscriber = RedisSubscriber(endpoint: endpoint, name: "bench-b")
        let nodeB = RedisRoomBus(publisher: RedisClient(endpoint: endpoint), subscriber: subscriber, cluster: cluster, node: "b")
        let publisher = RedisClient(endpoint: endpoint, name: "bench-a")
        let nodeA = RedisRoomBus(publisher: publisher, subscriber: RedisSubscriber(endpoint: endpoint), cluster: cluster, node: "a")
        defer { subscriber.close() }
        let names = (0..<rooms).map { "match:bench\($0)" }
        let receiver = Receiver()
        receiver.state.withLock { $0.latencies.reserveCapacity(messages) }
        for name in names {
            nodeB.subscribe(name) { message in
                let now = DispatchTime.now().uptimeNanoseconds
                let sent = message.frame.getInteger(at: message.frame.readerIndex, as: UInt64.self) ?? now
                guard case .reliable(let seq?) = message.delivery else { return }
                receiver.state.withLock { state in
                    let previous = state.last[message.room] ?? 0
                    if seq > previous + 1 { state.lost += Int(seq - previous - 1) }
                    state.last[message.room] = seq
                    state.received += 1
                    state.latencies.append(now &- sent)
                    state.lastAt = now
                }
            }
        }
        for _ in 0..<500 where !subscriber.isSettled { try await Task.sleep(for: .milliseconds(10)) }
        guard subscriber.isSettled else { throw ValidationError("Redis did not confirm the subscriptions") }

        let padding = [UInt8](repeating: 0x61, count: max(0, bytes - 8))
        let start = DispatchTime.now().uptimeNanoseconds
        var sequences = [Int64](repeating: 0, count: rooms)
        for index in 0..<messages {
            if rate > 0 {
                let due = start + UInt64(Double(index) / rate * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            } else if index % 1_000 == 0 {
                // Let the publisher's event loop write between bursts (back-pressure by round trip).
                _ = try await publisher.command(["PING"])
            }
            let room = index % rooms
            sequences[room] += 1
            var frame = ByteBuffer()
            frame.writeInteger(DispatchTime.now().uptimeNanoseconds)
            frame.writeBytes(padding)
            let seq = sequences[room]
            nodeA.publish(names[room]) { RoomMessage(room: names[room], delivery: .reliable(seq: seq), frame: frame) }
        }
        _ = try await publisher.command(["PING"])
        let published = DispatchTime.now().uptimeNanoseconds
        // Wait for the last ones (or 5 s of silence).
        var quiet = 0
        var seen = 0
        while quiet < 50 {
            try await Task.sleep(for: .milliseconds(100))
            let count = receiver.state.withLock { $0.received }
            if count >= messages { break }
            quiet = count == seen ? quiet + 1 : 0
            seen = count
        }
        for name in names { nodeB.unsubscribe(name) }
        return receiver.state.withLock { state in
            let latencies = state.latencies.sorted().map { Double($0) / 1e6 }
            let lost = state.lost + sequences.enumerated().reduce(0) { sum, pair in sum + Int(pair.element - (state.last[names[pair.offset]] ?? 0)) }
            return Result(
                published: Double(messages) / (Double(published - start) / 1e9),
                received: Double(state.received) / (Double(max(state.lastAt, start + 1) - start) / 1e9),
                lost: lost,
                p50: Bench.percentile(latencies, 0.5),
                p99: Bench.percentile(latencies, 0.99)
            )
        }
    }
}
