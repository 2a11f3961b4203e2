public import DojoDomain
import DojoStorage
public import Foundation
import Logging
import Metrics

extension Runtime {
    /// Schedules `command` (a command object as the kind's registration decodes it) for the entity
    /// `key` at `due`: kept in storage, delivered at least once after restarts as the system, with
    /// the command id `timer-{id}` (so a delivery repeated within the actor's window appends
    /// nothing; the command itself must also be idempotent). A timer id already scheduled is kept.
    public func scheduleTimer(id: String, for key: EntityKey, command: String, at due: Date) async throws {
        let timer = TimerRecord(id: id, stream: key.description, command: command, dueAt: Int64((due.timeIntervalSince1970 * 1000).rounded(.down)))
        try await environment.storage.scheduleTimer(timer, at: environment.now())
        Counter(label: "dojo_timers_scheduled_total").increment()
    }

    /// Cancels a timer not yet delivered (a delivery already under way may still arrive: the
    /// command must stay idempotent). Returns whether there was one.
    @discardableResult
    public func cancelTimer(id: String) async throws -> Bool {
        let cancelled = try await environment.storage.cancelTimer(id)
        if cancelled { Counter(label: "dojo_timers_cancelled_total").increment() }
        return cancelled
    }

    /// Delivers every timer due at `now` (the timer loop calls it every
    /// `runtime.timers.interval`; tests call it with a later `now`). Returns how many were
    /// delivered. A refusal by the entity's rules ends the timer (retrying cannot help); any other
    /// failure leaves it to be delivered again once its lease expires.
    @discardableResult
    public func fireDueTimers(now: Date = Date()) async -> Int {
        let storage = environment.storage
        var delivered = 0
        while true {
            let due: [TimerRecord]
            do {
                due = try await storage.leaseDueTimers(now: now, lease: configuration.timerLease, owner: timerOwner, limit: 100)
            } catch {
                logger.warning("timers could not be read", metadata: ["error": "\(error)"])
                return delivered
            }
            if due.isEmpty { return delivered }
            for timer in due {
                guard let key = EntityKey(timer.stream), let registration = registration(for: key.kind) else {
                    logger.error("a timer names no registered entity; dropped", metadata: ["timer": "\(timer.id)", "stream": "\(timer.stream)"])
                    try? await storage.completeTimer(timer.id)
                    continue
                }
                // How late the delivery is (the loop's interval, the lease after a failure, a restart).
                let late = max(0, Double(Int64((now.timeIntervalSince1970 * 1000).rounded(.down)) - timer.dueAt) / 1000)
                do {
                    _ = try await registration.send(key.id, Data(timer.command.utf8), .system, "timer-\(timer.id)")
                    try await storage.completeTimer(timer.id)
                    delivered += 1
                    Timer(label: "dojo_timers_late_seconds").recordSeconds(late)
                    Counter(label: "dojo_timers_fired_total", dimensions: [("result", "delivered")]).increment()
                } catch let error as DomainError {
                    logger.warning("a timer's command was refused; dropped", metadata: ["timer": "\(timer.id)", "code": "\(error.code)"])
                    try? await storage.completeTimer(timer.id)
                    Counter(label: "dojo_timers_fired_total", dimensions: [("result", "refused")]).increment()
                } catch {
                    logger.warning("a timer could not be delivered; retried later", metadata: ["timer": "\(timer.id)", "error": "\(error)"])
                    Counter(label: "dojo_timers_fired_total", dimensions: [("result", "failed")]).increment()
                    if Task.isCancelled { return delivered }
                }
            }
            if due.count < 100 { return delivered }
        }
    }

    func timerLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.timerInterval) } catch { return }
            // In a task of its own: the shutdown cancels this loop, and a storage call cancelled
            // half-way (SQLite) could leave the shutdown waiting on it; a round always finishes.
            _ = await Task { await self.fireDueTimers() }.value
        }
    }
}
