/// The gateway's request-scoped work — a subscribe's admission and snapshot read, a command, a
/// catch-up from the log, a presence count — run as child tasks of the gateway's service, not as
/// unstructured tasks: a shutdown closes the sockets, then waits for what is in flight (each piece
/// is bounded by the storage's timeouts), and a cancelled service cancels it.
///
/// Work spawned before the service runs waits for it; work spawned after it stopped runs on its
/// own (a request racing the shutdown still gets its answer, or a refusal from the runtime).
final class RequestTasks: Sendable {
    typealias Work = @Sendable () async -> Void
    private let queue = AsyncStream<Work>.makeStream()

    /// Runs `work` as a child of the gateway's service.
    func spawn(_ work: @escaping Work) {
        if case .terminated = queue.continuation.yield(work) {
            Task { await work() }
        }
    }

    /// Runs the spawned work until ``finish()``, then waits for what is still running.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await work in queue.stream {
                group.addTask { await work() }
            }
        }
    }

    /// No more work is taken (``run()`` returns once the running work is done).
    func finish() {
        queue.continuation.finish()
    }
}
