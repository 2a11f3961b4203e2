import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A worker process: holds a slice of the subscribers (a process may have at most 20,000 open
/// files here), reports `ready`, takes the measured window on stdin, prints progress lines and,
/// on `stop`, its final figures as one JSON line.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "internal: one subscriber process", shouldDisplay: false)

    @Option var plan: String
    @Option var first: Int
    @Option var count: Int

    func run() async throws {
        let plan = try JSONDecoder().decode(Plan.self, from: Data(plan.utf8))
        let stats = Stats()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let ready = ReadyCount()
        var handlers: [NIOLoopBound<WSClientHandler>] = []
        await withTaskGroup(of: NIOLoopBound<WSClientHandler>?.self) { tasks in
            var next = first
            var running = 0
            func start(_ k: Int) {
                tasks.addTask {
                    do {
                        let path = plan.socketIO ? "/socket.io/?EIO=4&transport=websocket" : "/v1/ws"
                        let handler = try await connectWebSocket(
                            group: group,
                            host: plan.host,
                            port: plan.port(ofSubscriber: k),
                            source: plan.source(k),
                            path: path
                        ) {
                            handler in
                            let subscriber = Subscriber(rooms: plan.rooms(ofSubscriber: k), stats: stats)
                            subscriber.handler = handler
                            subscriber.onReady = { ready.increment() }
                            if plan.socketIO {
                                handler.onText = { view in subscriber.handleSocketIO(view) }
                                handler.onClose = { code in stats.disconnected(code: code) }
                                return
                            }
                            var greeted = false
                            handler.onText = { view in
                                if !greeted {
                                    greeted = true
                                    subscriber.subscribe()
                                    return
                                }
                                subscriber.handle(view)
                            }
                            handler.onClose = { code in stats.disconnected(code: code) }
                        }
                        stats.connected(true)
                        return handler
                    } catch {
                        stats.connected(false)
                        return nil
                    }
                }
            }
            // At most 256 connects in flight.
            while next < first + count && running < 256 {
                start(next)
                next += 1
                running += 1
            }
            for await handler in tasks {
                if let handler { handlers.append(handler) }
                if next < first + count {
                    start(next)
                    next += 1
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ready.value < handlers.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        emit(["ready": ["subscribed": ready.value, "connections": handlers.count]])

        let progress = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                let c = stats.counters
                emit(["progress": ["connections": c.connections, "events": c.events, "frames": c.frames, "gaps": c.gaps]])
            }
        }
        while let line = readLine() {
            if line == "stop" { break }
            if let data = line.data(using: .utf8), let window = try? JSONDecoder().decode([String: Int64].self, from: data),
                let start = window["start"], let end = window["end"]
            {
                stats.setWindow(start: start, end: end)
            }
        }
        progress.cancel()
        let final = try JSONEncoder().encode(["final": stats.snapshot])
        FileHandle.standardOutput.write(final + Data("\n".utf8))
        try? await group.shutdownGracefully()
    }

    private func emit(_ object: [String: [String: Int]]) {
        if let data = try? JSONEncoder().encode(object) {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}

final class ReadyCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
