import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The sending side of a run, in the parent process: bench publishers (fanout, rooms) or the
/// venues' scorers and cameras. Sends on a 1 ms tick at the configured rates; counts what it sent
/// inside the measured window.
final class Driver: Sendable {
    struct Counts: Sendable {
        var sent = 0
        var sentInWindow = 0
        var sentInWindowPerRoom: [String: Int] = [:]
        var probesInWindow = 0
        var framesSent = 0
        var commandErrors: [String: Int] = [:]
    }

    let counts = Mutex(Counts())
    let window = Mutex<(start: Int64, end: Int64)>((Int64.max, Int64.max))
    private let tasks = Mutex<[RepeatedTask]>([])
    let stopped = Mutex(false)

    func stop() {
        stopped.withLock { $0 = true }
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    /// A paced sender: how many messages it has sent of those due at `rate` per second.
    final class Pacer: @unchecked Sendable {
        let handler: NIOLoopBound<WSClientHandler>
        let rate: Double
        let send: (WSClientHandler, Int) -> Void
        var sent = 0
        /// A random phase, so that senders of the same rate do not all send in the same tick.
        let phase = Double.random(in: 0..<1)
        init(handler: NIOLoopBound<WSClientHandler>, rate: Double, send: @escaping (WSClientHandler, Int) -> Void) {
            self.handler = handler
            self.rate = rate
            self.send = send
        }
    }

    /// One ticker per event loop for all its senders (one timer per connection would cost more
    /// than the sending at hundreds of connections).
    final class Ticker: @unchecked Sendable {
        var pacers: [Pacer] = []
        var started: NIODeadline?
    }

    private let tickers = Mutex<[ObjectIdentifier: Ticker]>([:])

    /// Calls `send(n)` on the handler's loop with the number of messages due at `rate` per second
    /// since the first tick (checked every millisecond).
    func pace(_ handler: NIOLoopBound<WSClientHandler>, rate: Double, _ send: @escaping (WSClientHandler, Int) -> Void) {
        let loop = handler.eventLoop
        let pacer = Pacer(handler: handler, rate: rate, send: send)  // used only on `loop` from here
        let (ticker, isNew) = tickers.withLock { tickers -> (Ticker, Bool) in
            if let ticker = tickers[ObjectIdentifier(loop)] { return (ticker, false) }
            let ticker = Ticker()
            tickers[ObjectIdentifier(loop)] = ticker
            return (ticker, true)
        }
        loop.execute { ticker.pacers.append(pacer) }
        guard isNew else { return }
        let task = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { _ in
            let now = NIODeadline.now()
            let started = ticker.started ?? now
            ticker.started = started
            let elapsed = Double((now - started).nanoseconds) / 1e9
            for pacer in ticker.pacers {
                let due = Int(elapsed * pacer.rate + pacer.phase) - pacer.sent
                guard due > 0 else { continue }
                pacer.sent += due
                pacer.send(pacer.handler.value, due)
                pacer.handler.value.flush()
            }
        }
        tasks.withLock { $0.append(task) }
    }

    func inWindow(_ t: Int64) -> Bool {
        let (start, end) = window.withLock { $0 }
        return t >= start && t < end
    }

    // MARK: Bench publishers

    /// Publishes `rate` messages per second over `rooms`, each carrying `{"t","s","p"}` with a
    /// payload of about `bytes` bytes, from `publishers` connections.
    func publish(handlers: [NIOLoopBound<WSClientHandler>], rooms: [String], rate: Double, bytes: Int, lossy: Bool = false) {
        let padding = String(repeating: "x", count: max(bytes - 60, 0))
        for (index, handler) in handlers.enumerated() {
            let mine = rooms.enumerated().filter { $0.offset % handlers.count == index }.map(\.element)
            guard !mine.isEmpty else { continue }
            let sequence = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: handler.eventLoop)
            pace(handler, rate: rate / Double(handlers.count)) { [self] client, due in
                var inWindowRooms: [String] = []
                for _ in 0..<due {
                    let room = mine[sequence.value % mine.count]
                    sequence.value += 1
                    let t = wallNanos()
                    let text = #"{"type":"publish","room":"\#(room)","lossy":\#(lossy),"data":{"t":\#(t),"s":\#(sequence.value),"p":"\#(padding)"}}"#
                    client.send(Array(text.utf8), flush: false)
                    if inWindow(t) { inWindowRooms.append(room) }
                }
                counts.withLock { c in
                    c.sent += due
                    c.sentInWindow += inWindowRooms.count
                    for room in inWindowRooms { c.sentInWindowPerRoom[room, default: 0] += 1 }
                }
            }
        }
    }

    // MARK: Venue simulation

    /// A scorer: `rate` commands per second to its match (shots and timestamped commentary, a rack
    /// recorded and a new one started every 20 commands), or with `shotsOnly` only referee shots,
    /// each a timestamped probe (`shotId` "lt-<ns>", which the spectators' events carry).
    func score(_ handler: NIOLoopBound<WSClientHandler>, match: String, rate: Double, shotsOnly: Bool = false) {
        let step = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: handler.eventLoop)
        pace(handler, rate: rate) { [self] client, due in
            var probes = 0
            for _ in 0..<due {
                step.value += 1
                let command: String
                if shotsOnly {
                    let t = wallNanos()
                    if inWindow(t) { probes += 1 }
                    command = #"{"type":"shot","shotId":"lt-\#(t)","firstContact":1,"railAfterContact":true,"objectBallsToRail":4}"#
                } else {
                    switch step.value % 20 {
                    case 0: command = #"{"type":"recordRack","winner":"A"}"#
                    case 1: command = #"{"type":"startRack"}"#
                    case let n where n % 2 == 0:
                        let t = wallNanos()
                        if inWindow(t) { probes += 1 }
                        command = #"{"type":"commentary","text":"lt \#(t)"}"#
                    // A legal miss for the referee (also a legal break: the 1 first, four balls to a rail).
                    default: command = #"{"type":"shot","firstContact":1,"railAfterContact":true,"objectBallsToRail":4}"#
                    }
                }
                client.send(Array(#"{"type":"command","room":"match:\#(match)","id":\#(step.value),"command":\#(command)}"#.utf8), flush: false)
            }
            if probes > 0 { counts.withLock { $0.probesInWindow += probes } }
        }
    }

    /// A camera device: `fps` ball-position frames per second (validated by the server and
    /// published to its table's frame room; `t` is the send time, which the spectators read back).
    func camera(_ handler: NIOLoopBound<WSClientHandler>, fps: Double) {
        let balls = (1...15).map { "[\($0),\(Double($0) / 8),\(Double($0 % 7) / 7)]" }.joined(separator: ",")
        pace(handler, rate: fps) { [self] client, due in
            for _ in 0..<due {
                let text = #"{"type":"frame","t":\#(wallNanos()),"balls":[\#(balls)]}"#
                client.send(Array(text.utf8), flush: false)
            }
            counts.withLock { $0.framesSent += due }
        }
    }

    /// A camera device reporting `rate` shots per second to the match live at its table (legal
    /// misses; each `shotId` carries the send time, a probe the spectators' events carry back).
    func cameraShots(_ handler: NIOLoopBound<WSClientHandler>, rate: Double) {
        pace(handler, rate: rate) { [self] client, due in
            var probes = 0
            for _ in 0..<due {
                let t = wallNanos()
                if inWindow(t) { probes += 1 }
                let text = #"{"type":"shot","shotId":"lt-\#(t)","firstContact":1,"railAfterContact":true,"objectBallsToRail":4}"#
                client.send(Array(text.utf8), flush: false)
            }
            if probes > 0 { counts.withLock { $0.probesInWindow += probes } }
        }
    }
}
