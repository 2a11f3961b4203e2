import Foundation
import Histogram
import Synchronization

/// What one process saw. Latencies are recorded only for messages published inside the measured
/// window (their `t`), so warm-up and drain do not blur the figures.
struct StatsSnapshot: Codable, Sendable {
    var connections = 0
    var connectFailures = 0
    var events = 0
    var frames = 0
    var eventsInWindow = 0
    var framesInWindow = 0
    var gaps = 0
    var outOfOrder = 0
    var errors: [String: Int] = [:]
    var closes: [String: Int] = [:]
    var eventLatency = Histogram<UInt64>(highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
    var frameLatency = Histogram<UInt64>(highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func merge(_ other: StatsSnapshot) {
        connections += other.connections
        connectFailures += other.connectFailures
        events += other.events
        frames += other.frames
        eventsInWindow += other.eventsInWindow
        framesInWindow += other.framesInWindow
        gaps += other.gaps
        outOfOrder += other.outOfOrder
        errors.merge(other.errors, uniquingKeysWith: +)
        closes.merge(other.closes, uniquingKeysWith: +)
        eventLatency.add(other.eventLatency)
        frameLatency.add(other.frameLatency)
    }
}

final class Stats: Sendable {
    private let state = Mutex(StatsSnapshot())
    private let window = Mutex<(start: Int64, end: Int64)>((Int64.max, Int64.max))
    // Read without the lock on the hot path (set once, from the control line).
    nonisolated(unsafe) private var windowStart = Int64.max
    nonisolated(unsafe) private var windowEnd = Int64.max

    func setWindow(start: Int64, end: Int64) {
        window.withLock { $0 = (start, end) }
        windowStart = start
        windowEnd = end
    }

    func connected(_ ok: Bool) {
        state.withLock { state in
            if ok {
                state.connections += 1
            } else {
                state.connectFailures += 1
            }
        }
    }

    func disconnected(code: UInt16?) {
        state.withLock {
            $0.connections -= 1
            $0.closes[code.map(String.init) ?? "tcp", default: 0] += 1
        }
    }

    func error(_ code: String) { state.withLock { $0.errors[code, default: 0] += 1 } }

    /// A reliable event with its publish time (nil when it carries none), and whether it followed
    /// its room's previous sequence number.
    func event(publishedAt: Int64?, now: Int64, gap: Int, outOfOrder: Bool) {
        let (start, end) = (windowStart, windowEnd)
        state.withLock { s in
            s.events += 1
            s.gaps += gap
            if outOfOrder { s.outOfOrder += 1 }
            if let t = publishedAt, t >= start, t < end {
                s.eventsInWindow += 1
                _ = s.eventLatency.record(UInt64(max(now - t, 0)))
            }
        }
    }

    func frame(publishedAt: Int64?, now: Int64) {
        let (start, end) = (windowStart, windowEnd)
        state.withLock { s in
            s.frames += 1
            if let t = publishedAt, t >= start, t < end {
                s.framesInWindow += 1
                _ = s.frameLatency.record(UInt64(max(now - t, 0)))
            }
        }
    }

    var snapshot: StatsSnapshot { state.withLock { $0 } }

    /// Counters only (for progress lines): no histograms.
    var counters: (connections: Int, events: Int, frames: Int, gaps: Int) {
        state.withLock { ($0.connections, $0.events, $0.frames, $0.gaps) }
    }
}

/// Reads a process's CPU seconds and resident memory from /proc (the server's, given its PID).
struct ProcessProbe {
    /// The server's processes (one per node): their figures are summed.
    let pids: [Int32]

    var cpuSeconds: Double? {
        let each = pids.map(Self.cpuSeconds)
        return each.contains(where: { $0 == nil }) ? nil : each.reduce(0) { $0 + $1! }
    }

    var residentBytes: Int? {
        let each = pids.map(Self.residentBytes)
        return each.contains(where: { $0 == nil }) ? nil : each.reduce(0) { $0 + $1! }
    }

    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func residentBytes(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return nil }
        return kilobytes * 1024
    }
}
