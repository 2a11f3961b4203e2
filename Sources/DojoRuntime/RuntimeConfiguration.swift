/// Tunables of the actor runtime (`runtime.*` in the configuration).
public struct RuntimeConfiguration: Sendable, Equatable {
    /// Whether each command's stages are timed (``CommandStage``; `runtime.stages`).
    public var measureStages = true
    /// Commands waiting per actor before it answers `busy`.
    public var mailboxCapacity = 256
    /// Commands one actor decides together and appends as one request.
    public var maximumCommandsPerAppend = 64
    /// An actor unused this long is passivated (snapshot, then dropped).
    public var idleTimeout: Duration = .seconds(300)
    /// Resident actors per kind; past it the least recently used are passivated.
    public var maximumResidentActors = 100_000
    /// A snapshot is written after this many events…
    public var snapshotEveryEvents = 100
    /// …or when this much time passed since the last one and events were appended.
    public var snapshotInterval: Duration = .seconds(60)
    /// Command ids remembered per actor for idempotent repeats.
    public var commandIDWindow = 64
    /// Reaction causes remembered per target actor (the latest sequence per source stream).
    public var causeWindow = 4_096
    /// The shortest time between two rounds of a consumer (reactions, projections): the most a
    /// consumer lags behind the log under load.
    public var consumerRoundInterval: Duration = .milliseconds(50)
    /// How often consumers (reactions, projections) look for streams they are behind on.
    public var consumerSweepInterval: Duration = .seconds(5)
    /// A storage call made by the runtime itself (activation, snapshot) gives up after this long.
    public var storageTimeout: Duration = .seconds(10)
    /// How often the runtime looks for timers that are due (a war's deadline): the most a timer
    /// waits past its time when the runtime is idle (an indexed query per look).
    public var timerInterval: Duration = .milliseconds(50)
    /// How long a node holds a timer it is delivering before another may take it.
    public var timerLease: Duration = .seconds(30)
    /// Challenges (docs/challenges.md): the expiry when a challenge names none, and the bounds of
    /// one it names (from now).
    public var challengeDefaultExpiry: Duration = .seconds(86_400)
    public var challengeMinimumExpiry: Duration = .seconds(60)
    public var challengeMaximumExpiry: Duration = .seconds(7 * 86_400)
    /// The house's fee on a settled pot, in basis points (100 = 1 %).
    public var challengeFeeBasisPoints = 0
    /// Challenges one player may have open (pending, being accepted or being played) as challenger.
    public var challengeMaximumOpen = 10
    /// How long an accept waits for its stakes to be escrowed before answering 202.
    public var challengeAcceptWait: Duration = .seconds(5)

    /// The channels besides the app that notifications are queued on (`email`, `push`): those the
    /// server can send on (the composition root sets them from the mail and push configuration).
    public var notificationChannels: [String] = []
    /// Spans for commands, decisions, appends and consumer deliveries, and the trace context kept
    /// in events' metadata so reactions continue their cause's trace (set when `tracing.enabled`;
    /// the spans go to whatever tracer the process bootstrapped).
    public var tracing = false
    /// Projections store no notifications (the legacy import: history is not news). Their
    /// positions move on as usual, so a server started afterwards does not send them either.
    public var quietNotifications = false

    public init() {}
}
