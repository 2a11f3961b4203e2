import DojoDomain
import Metrics
import Synchronization

/// The runtime's metrics (swift-metrics; exported by `/metrics`). Created once per kind so the
/// command path does not look anything up.
struct RuntimeMetrics: Sendable {
    private struct PerKind: Sendable {
        var resident: Gauge
        var activations: Counter
        var activationSeconds: Metrics.Timer
        var replayedEvents: Recorder
        var passivations: Counter
        var snapshotsSaved: Counter
        var snapshotsIgnored: Counter
        var busy: Counter
        var fenced: Counter
        var mailboxDepth: Recorder
        var appendEvents: Recorder
        var commandSeconds: [String: Metrics.Timer]

        init(_ kind: EntityKind) {
            let k = [("kind", kind.rawValue)]
            resident = Gauge(label: "dojo_actors_resident", dimensions: k)
            activations = Counter(label: "dojo_actor_activations_total", dimensions: k)
            activationSeconds = Metrics.Timer(label: "dojo_actor_activation_seconds", dimensions: k)
            replayedEvents = Recorder(label: "dojo_actor_activation_replayed_events", dimensions: k)
            passivations = Counter(label: "dojo_actor_passivations_total", dimensions: k)
            snapshotsSaved = Counter(label: "dojo_actor_snapshots_saved_total", dimensions: k)
            snapshotsIgnored = Counter(label: "dojo_actor_snapshots_ignored_total", dimensions: k)
            busy = Counter(label: "dojo_actor_mailbox_full_total", dimensions: k)
            fenced = Counter(label: "dojo_actor_fenced_total", dimensions: k)
            mailboxDepth = Recorder(label: "dojo_actor_mailbox_depth", dimensions: k)
            appendEvents = Recorder(label: "dojo_actor_append_events", dimensions: k)
            commandSeconds = Dictionary(
                uniqueKeysWithValues: ["appended", "unchanged", "duplicate", "refused", "failed"].map {
                    ($0, Metrics.Timer(label: "dojo_command_duration_seconds", dimensions: k + [("outcome", $0)]))
                }
            )
        }
    }

    private let kinds: [EntityKind: PerKind]
    /// Counters by event type and by refusal code, made on first use (both sets are finite: the
    /// domain's event types and error codes).
    private let labelled = Labelled()

    private final class Labelled: Sendable {
        let counters = Mutex<[String: Counter]>([:])

        func increment(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
            let key = label + dimensions.map { "|\($0.1)" }.joined()
            let counter = counters.withLock { counters in
                if let counter = counters[key] { return counter }
                let counter = Counter(label: label, dimensions: dimensions)
                counters[key] = counter
                return counter
            }
            counter.increment(by: amount)
        }
    }

    init() {
        kinds = Dictionary(uniqueKeysWithValues: EntityKind.allCases.map { ($0, PerKind($0)) })
    }

    /// An event recorded durably (`dojo_events_recorded_total{type}`: shots, fouls, racks, …).
    func recorded(type: String) { labelled.increment("dojo_events_recorded_total", [("type", type)]) }
    /// A command refused by a rule (`dojo_command_refusals_total{kind,code}`).
    func refused(_ kind: EntityKind, code: String) {
        labelled.increment("dojo_command_refusals_total", [("kind", kind.rawValue), ("code", code)])
    }

    func resident(_ kind: EntityKind, _ count: Int) { kinds[kind]?.resident.record(count) }
    func activated(_ kind: EntityKind, duration: Duration, replayed: Int) {
        kinds[kind]?.activations.increment()
        kinds[kind]?.activationSeconds.recordNanoseconds(duration.nanoseconds)
        kinds[kind]?.replayedEvents.record(replayed)
    }
    func passivated(_ kind: EntityKind, _ count: Int = 1) { kinds[kind]?.passivations.increment(by: count) }
    func snapshotSaved(_ kind: EntityKind) { kinds[kind]?.snapshotsSaved.increment() }
    func snapshotsIgnored(_ kind: EntityKind) { kinds[kind]?.snapshotsIgnored.increment() }
    func busy(_ kind: EntityKind) { kinds[kind]?.busy.increment() }
    func fenced(_ kind: EntityKind) { kinds[kind]?.fenced.increment() }
    func mailboxDepth(_ kind: EntityKind, _ depth: Int) { kinds[kind]?.mailboxDepth.record(depth) }
    func appended(_ kind: EntityKind, events: Int) { kinds[kind]?.appendEvents.record(events) }
    /// A claim of an actor with several nodes: `claimed` here, or owned `elsewhere`
    /// (`dojo_actor_ownership_total{kind,result}`).
    func ownership(_ kind: EntityKind, _ result: String) {
        labelled.increment("dojo_actor_ownership_total", [("kind", kind.rawValue), ("result", result)])
    }
    /// A command or read forwarded to its owner (`dojo_forwarded_total{kind}`).
    func forwarded(_ kind: EntityKind) { labelled.increment("dojo_forwarded_total", [("kind", kind.rawValue)]) }
    func command(_ kind: EntityKind, outcome: String, since started: ContinuousClock.Instant) {
        kinds[kind]?.commandSeconds[outcome]?.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
