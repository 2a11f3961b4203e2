import Synchronization

/// The gateway's request-scoped work — a subscribe's admission and snapshot read, a command, a
/// catch-up from the log, a presence count — owned by the gateway's service: each piece is a task
/// of its own (started at once, as `Task {}` would be: no hop through a queue on the command
/// path), registered here until it ends. A shutdown closes the sockets, then waits for what is in
/// flight (each piece is bounded by the storage's timeouts) before the runtime behind it stops; a
/// cancelled service cancels it.
///
/// Work spawned after the gateway stopped still runs (a request racing the shutdown gets its
/// answer, or the runtime's refusal), unowned.
final class RequestTasks: Sendable {
    private struct State {
        var next = 0
        var running: [Int: Task<Void, Never>] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Runs `work` now, owned by the gateway's service.
    func spawn(_ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard !state.closed else {
                Task { await work() }
                return
            }
            let id = state.next
            state.next += 1
            // Created under the lock: the task's own removal waits until it is registered.
            state.running[id] = Task {
                await work()
                self.state.withLock { _ = $0.running.removeValue(forKey: id) }
            }
        }
    }

    /// How many pieces are in flight.
    var count: Int { state.withLock { $0.running.count } }

    /// Takes no more work and waits for what is in flight (cancelling it if this task is).
    func finish() async {
        let running = state.withLock { state in
            state.closed = true
            return Array(state.running.values)
        }
        await withTaskCancellationHandler {
            for task in running { await task.value }
        } onCancel: {
            for task in running { task.cancel() }
        }
    }
}
