import Synchronization

/// An operation did not finish before its deadline.
public struct TimeoutError: Error, Sendable {
    /// Creates the error.
    public init() {}
}

/// Runs `body`, throwing `TimeoutError` if it takes longer than `timeout`.
///
/// The caller is resumed at the deadline even if `body` ignores cancellation (a connection pool
/// waiting on an unreachable database does): `body` is cancelled and left to finish on its own.
public func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let gate = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        gate.set(continuation)
        let work = Task {
            do { gate.resume(with: .success(try await body())) } catch { gate.resume(with: .failure(error)) }
        }
        // The timer stops as soon as the work is done: a sleeping timer per call would hold memory
        // and a timer slot for the whole timeout.
        gate.setTimer(
            Task {
                do { try await Task.sleep(for: timeout) } catch { return }
                gate.resume(with: .failure(TimeoutError()))
                work.cancel()
            }
        )
    }
}

private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var resumed = false
    }

    private let state = Mutex(State())

    func set(_ value: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = value } }

    func setTimer(_ timer: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            if state.resumed { return true }
            state.timer = timer
            return false
        }
        if cancelNow { timer.cancel() }
    }

    func resume(with result: Result<T, any Error>) {
        let timer = state.withLock { state -> Task<Void, Never>? in
            guard !state.resumed else { return nil }
            state.resumed = true
            state.continuation?.resume(with: result)
            state.continuation = nil
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }
}
