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
        Task {
            try? await Task.sleep(for: timeout)
            gate.resume(with: .failure(TimeoutError()))
            work.cancel()
        }
    }
}

/// Resumes a continuation exactly once, whichever of several racers comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ value: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = value } }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { slot in
            slot?.resume(with: result)
            slot = nil
        }
    }
}
