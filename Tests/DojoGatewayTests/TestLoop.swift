import NIOCore
import NIOPosix

/// A real event loop of its own for the tests that drive a ``Connection`` without a socket.
///
/// Not an `EmbeddedEventLoop`: the gateway's tasks (a snapshot read, a catch-up, a repair) come
/// back to a connection's loop with `execute` from other threads, which a real loop is built for
/// and an embedded one is not (it crashed the test process now and then). Everything a test
/// does to a connection or reads from its transport goes through ``on(_:)``, on the loop.
final class TestLoop: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var loop: any EventLoop { group.next() }

    /// Runs `body` on the loop and returns what it returns.
    func on<T>(_ body: @escaping () throws -> T) async throws -> T {
        let work = Unchecked(body)
        return try await loop.submit { Unchecked(try work.value()) }.get().value
    }

    /// Polls `condition` on the loop until it holds (at most `seconds`); returns whether it did.
    @discardableResult
    func wait(seconds: Double = 30, until condition: @escaping () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while ContinuousClock.now < deadline {
            if try await on(condition) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await on(condition)
    }

    func shutdown() async throws { try await group.shutdownGracefully() }
}

/// A value handed to the loop and back: the tests touch it only on the loop.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
