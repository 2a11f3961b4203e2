import Metrics
import Synchronization

/// Where a command's time goes, stage by stage (docs/runtime.md, "Where a command's time goes"):
/// each stage a histogram in `/metrics` (`dojo_command_stage_seconds{stage}`) and a running total
/// the benchmarks report. Recorded per command by the actor, the writer's timing and the
/// directory; a stage a command did not reach records nothing (a refused command has no append).
public enum CommandStage: String, CaseIterable, Sendable {
    /// Waiting in the actor's mailbox until its batch is decided.
    case mailbox
    /// The aggregate's `decide`.
    case decide
    /// The aggregate's `apply` of the command's events (to the working state).
    case apply
    /// Waiting in the event-log writer's queue for a batch (group commit).
    case queue
    /// The batch's storage transaction, to its commit (the durable part).
    case commit
    /// From the commit to the actor resuming with the result.
    case wakeup
    /// From the actor answering to the caller resuming (the hop back to the caller's executor).
    case answer
}

/// The stages' clock: histograms for `/metrics` and totals for reports. Cheap enough to stay on
/// (a clock read and a histogram update per stage; `runtime.stages` off removes both, for
/// measuring what they cost: docs/benchmarks.md).
public final class CommandStageClock: Sendable {
    public let enabled: Bool
    private let timers: [Metrics.Timer]
    private let cells: [Cell]

    private final class Cell: Sendable {
        let total = Atomic<Int>(0)
        let count = Atomic<Int>(0)
    }

    public init(enabled: Bool = true) {
        self.enabled = enabled
        timers = CommandStage.allCases.map { Metrics.Timer(label: "dojo_command_stage_seconds", dimensions: [("stage", $0.rawValue)]) }
        cells = CommandStage.allCases.map { _ in Cell() }
    }

    private static let indices: [CommandStage: Int] = Dictionary(uniqueKeysWithValues: CommandStage.allCases.enumerated().map { ($1, $0) })

    /// Records one command's time in `stage`.
    public func record(_ stage: CommandStage, _ duration: Duration) {
        guard enabled, let index = Self.indices[stage] else { return }
        let nanoseconds = Int(duration.nanoseconds)
        timers[index].recordNanoseconds(nanoseconds)
        cells[index].total.add(nanoseconds, ordering: .relaxed)
        cells[index].count.add(1, ordering: .relaxed)
    }

    /// Per stage: how many commands reached it and their total time there.
    public func snapshot() -> [CommandStage: (count: Int, total: Duration)] {
        var result: [CommandStage: (count: Int, total: Duration)] = [:]
        for (index, stage) in CommandStage.allCases.enumerated() {
            result[stage] = (cells[index].count.load(ordering: .relaxed), .nanoseconds(cells[index].total.load(ordering: .relaxed)))
        }
        return result
    }

    /// Starts the totals again (a benchmark's measured window).
    public func reset() {
        for cell in cells {
            cell.total.store(0, ordering: .relaxed)
            cell.count.store(0, ordering: .relaxed)
        }
    }
}
