import Foundation
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// Runs one load: worker processes for the subscribers, the driver here, a progress line each
/// second, then the report.
struct Runner {
    let plan: Plan
    let common: Common
    let label: String

    final class WorkerProcess: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let state = Mutex<(ready: Bool, progress: [String: Int], final: StatsSnapshot?)>((false, [:], nil))

        func send(_ line: String) {
            try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        }
    }

    func run(start: (Driver, any EventLoopGroup) async throws -> [String: Double]) async throws {
        let probe = common.probe
        let rssBefore = probe?.residentBytes
        let total = plan.totalSubscribers
        let workerCount = max(1, min(common.workers, total))
        let planJSON = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        var workers: [WorkerProcess] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
        for index in 0..<workerCount {
            let first = total * index / workerCount
            let count = total * (index + 1) / workerCount - first
            let worker = WorkerProcess()
            worker.process.executableURL = URL(fileURLWithPath: executable)
            worker.process.arguments = ["worker", "--plan", planJSON, "--first", "\(first)", "--count", "\(count)"]
            worker.process.standardInput = worker.input
            worker.process.standardOutput = worker.output
            try worker.process.run()
            let handle = worker.output.fileHandleForReading
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: 10) {
                        let line = pending[pending.startIndex..<newline]
                        pending = Data(pending[(newline + 1)...])
                        Self.absorb(line, into: worker)
                    }
                }
            }
            workers.append(worker)
        }
        defer { for worker in workers where worker.process.isRunning { worker.process.terminate() } }

        log("connecting \(total) subscribers in \(workerCount) worker(s)…")
        let connectStart = ContinuousClock.now
        while !workers.allSatisfy({ $0.state.withLock { $0.ready } }) {
            guard ContinuousClock.now - connectStart < .seconds(180) else { throw LoadError("workers not ready after 180 s") }
            guard workers.allSatisfy({ $0.process.isRunning }) else { throw LoadError("a worker exited early") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let held = workers.reduce(0) { $0 + ($1.state.withLock { $0.progress["connections"] } ?? 0) }
        let subscribed = workers.reduce(0) { $0 + ($1.state.withLock { $0.progress["subscribed"] } ?? 0) }
        let rssConnected = probe?.residentBytes
        log("\(held) connections, \(subscribed) subscribed in \(ContinuousClock.now - connectStart)")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let driver = Driver()
        let parameters = try await start(driver, group)
        let windowStart = wallNanos() + Int64(common.warmup * 1e9)
        let windowEnd = windowStart + Int64(common.duration * 1e9)
        driver.window.withLock { $0 = (windowStart, windowEnd) }
        for worker in workers { worker.send(#"{"start":\#(windowStart),"end":\#(windowEnd)}"#) }

        var cpuStart: Double?
        var cpuEnd: Double?
        var lastEvents = 0
        var lastFrames = 0
        let began = wallNanos()
        while wallNanos() < windowEnd {
            try await Task.sleep(for: .seconds(1))
            let now = wallNanos()
            if cpuStart == nil && now >= windowStart { cpuStart = probe?.cpuSeconds }
            let events = workers.reduce(0) { $0 + ($1.state.withLock { $0.progress["events"] } ?? 0) }
            let frames = workers.reduce(0) { $0 + ($1.state.withLock { $0.progress["frames"] } ?? 0) }
            let gaps = workers.reduce(0) { $0 + ($1.state.withLock { $0.progress["gaps"] } ?? 0) }
            let sent = driver.counts.withLock { $0.sent }
            log(
                String(
                    format: "t=%4.0fs  events/s %9d  frames/s %8d  sent %8d  gaps %d%@",
                    Double(now - began) / 1e9,
                    events - lastEvents,
                    frames - lastFrames,
                    sent,
                    gaps,
                    now >= windowStart ? "  [measuring]" : ""
                )
            )
            lastEvents = events
            lastFrames = frames
        }
        cpuEnd = probe?.cpuSeconds
        driver.stop()
        try await Task.sleep(for: .seconds(common.drain))
        for worker in workers { worker.send("stop") }
        let finalStart = ContinuousClock.now
        while !workers.allSatisfy({ $0.state.withLock { $0.final != nil } }) {
            guard ContinuousClock.now - finalStart < .seconds(30) else { throw LoadError("workers did not report") }
            try await Task.sleep(for: .milliseconds(50))
        }
        var stats = StatsSnapshot()
        for worker in workers { stats.merge(worker.state.withLock { $0.final! }) }
        try? await group.shutdownGracefully()
        report(
            stats: stats,
            driver: driver,
            parameters: parameters,
            held: held,
            rss: (rssBefore, rssConnected, probe?.residentBytes),
            cpu: (cpuStart, cpuEnd)
        )
    }

    static func absorb(_ line: Data, into worker: WorkerProcess) {
        if let final = try? JSONDecoder().decode([String: StatsSnapshot].self, from: line), let snapshot = final["final"] {
            worker.state.withLock { $0.final = snapshot }
        } else if let message = try? JSONDecoder().decode([String: [String: Int]].self, from: line) {
            worker.state.withLock { state in
                if let ready = message["ready"] {
                    state.ready = true
                    state.progress["connections"] = ready["connections"]
                    state.progress["subscribed"] = ready["subscribed"]
                }
                if let progress = message["progress"] { state.progress.merge(progress) { $1 } }
            }
        }
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    private func report(
        stats: StatsSnapshot,
        driver: Driver,
        parameters: [String: Double],
        held: Int,
        rss: (Int?, Int?, Int?),
        cpu: (Double?, Double?)
    ) {
        let counts = driver.counts.withLock { $0 }
        let seconds = common.duration
        // Reliable deliveries expected in the window: each message published in it, times the
        // subscribers of its room (fanout and rooms; the venue mode checks sequence gaps instead).
        var expected: Int?
        switch plan.kind {
        case .fanout: expected = counts.sentInWindow * plan.subscribers
        case .rooms: expected = counts.sentInWindow * plan.subscribers
        case .venues, .tournament: expected = nil
        }
        func ms(_ value: UInt64) -> Double { Double(value) / 1e6 }
        func latency(_ h: Histogram<UInt64>) -> [String: Double] {
            guard h.totalCount > 0 else { return [:] }
            return ["p50": ms(h.valueAtPercentile(50)), "p99": ms(h.valueAtPercentile(99)), "p99.9": ms(h.valueAtPercentile(99.9)), "max": ms(h.max)]
        }
        let deliveredPerSecond = Double(stats.eventsInWindow) / seconds
        let framesPerSecond = Double(stats.framesInWindow) / seconds
        let serverCPU = cpu.0.flatMap { start in cpu.1.map { $0 - start } }
        let deliveries = stats.eventsInWindow + stats.framesInWindow
        var result: [String: Any] = [
            "scenario": plan.kind.rawValue, "label": label, "parameters": parameters, "nodes": plan.ports,
            "connectionsHeld": held, "connectFailures": stats.connectFailures,
            "sentInWindow": counts.sentInWindow, "probesInWindow": counts.probesInWindow, "framesSent": counts.framesSent,
            "deliveredPerSecond": deliveredPerSecond, "framesPerSecond": framesPerSecond,
            "lost": stats.gaps, "outOfOrder": stats.outOfOrder,
            "eventLatencyMs": latency(stats.eventLatency), "frameLatencyMs": latency(stats.frameLatency),
            "errors": stats.errors, "closes": stats.closes,
        ]
        if let expected {
            result["expectedDeliveries"] = expected
            result["undelivered"] = max(expected - stats.eventsInWindow, 0)
        }
        if let serverCPU {
            result["serverCPUSeconds"] = serverCPU
            if deliveries > 0 { result["serverCPUMicrosecondsPerDelivery"] = serverCPU / Double(deliveries) * 1e6 }
        }
        if let before = rss.0, let connected = rss.1 {
            result["serverRSSBytes"] = ["before": before, "connected": connected, "end": rss.2 ?? 0]
            if held > 0 { result["serverRSSPerConnectionKiB"] = Double(connected - before) / Double(held) / 1024 }
        }
        if common.json {
            let data = (try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let nodes =
            plan.ports.count > 1 ? ", subscribers spread over \(plan.ports.count) nodes (\(plan.ports.map(String.init).joined(separator: ",")))" : ""
        print("== \(label)\(nodes)")
        print("connections held      \(held) (failed \(stats.connectFailures))")
        print(
            String(
                format: "reliable delivered/s  %.0f  (%@ in window %d%@)",
                deliveredPerSecond,
                plan.kind == .venues ? "timestamped probes" : "sent",
                plan.kind == .venues ? counts.probesInWindow : counts.sentInWindow,
                expected.map { String(format: ", undelivered %d of %d", max($0 - stats.eventsInWindow, 0), $0) } ?? ""
            )
        )
        if stats.framesInWindow > 0 {
            print(
                String(
                    format: "frames delivered/s    %.0f  (frames sent %d, conflated or dropped: see server metrics)",
                    framesPerSecond,
                    counts.framesSent
                )
            )
        }
        print("lost (seq gaps)       \(stats.gaps)   out of order \(stats.outOfOrder)")
        for (name, h) in [("event latency", stats.eventLatency), ("frame latency", stats.frameLatency)] where h.totalCount > 0 {
            print(
                String(
                    format: "%@ ms   p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
                    name,
                    ms(h.valueAtPercentile(50)),
                    ms(h.valueAtPercentile(99)),
                    ms(h.valueAtPercentile(99.9)),
                    ms(h.max)
                )
            )
        }
        if let serverCPU {
            print(
                String(
                    format: "server CPU            %.2f s in %.0f s (%.2f µs per delivery)",
                    serverCPU,
                    seconds,
                    deliveries > 0 ? serverCPU / Double(deliveries) * 1e6 : 0
                )
            )
        }
        if let per = result["serverRSSPerConnectionKiB"] as? Double { print(String(format: "server RSS/connection %.2f KiB", per)) }
        if !stats.errors.isEmpty { print("errors                \(stats.errors)") }
        if !stats.closes.isEmpty { print("closes                \(stats.closes)") }
    }
}
