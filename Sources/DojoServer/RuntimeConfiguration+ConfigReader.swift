public import Configuration
public import DojoRuntime

/// The actor runtime's keys: `runtime.*` and the challenges' `challenges.*`.
extension RuntimeConfiguration {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        self.mailboxCapacity = try reader.checkedInteger("runtime.mailbox.max", in: 1...100_000) ?? self.mailboxCapacity
        self.maximumCommandsPerAppend = try reader.checkedInteger("runtime.batch.max", in: 1...1_000) ?? self.maximumCommandsPerAppend
        if let seconds = try reader.checkedInteger("runtime.idle.seconds", in: 1...86_400) { self.idleTimeout = .seconds(seconds) }
        self.maximumResidentActors = try reader.checkedInteger("runtime.resident.max", in: 1...10_000_000) ?? self.maximumResidentActors
        self.snapshotEveryEvents = try reader.checkedInteger("runtime.snapshot.events", in: 1...1_000_000) ?? self.snapshotEveryEvents
        if let seconds = try reader.checkedInteger("runtime.snapshot.seconds", in: 1...86_400) { self.snapshotInterval = .seconds(seconds) }
        if let ms = try reader.checkedInteger("runtime.timers.interval.ms", in: 10...60_000) { self.timerInterval = .milliseconds(ms) }
        self.commandIDWindow = try reader.checkedInteger("runtime.commands.window", in: 1...100_000) ?? self.commandIDWindow
        self.measureStages = try reader.checkedBoolean("runtime.stages") ?? self.measureStages
        if let seconds = try reader.checkedInteger("challenges.expiry.min.seconds", in: 1...31_536_000) {
            self.challengeMinimumExpiry = .seconds(seconds)
        }
        if let seconds = try reader.checkedInteger("challenges.expiry.max.seconds", in: 1...31_536_000) {
            self.challengeMaximumExpiry = .seconds(seconds)
        }
        if let seconds = try reader.checkedInteger("challenges.expiry.default.seconds", in: 1...31_536_000) {
            self.challengeDefaultExpiry = .seconds(seconds)
        }
        guard self.challengeMinimumExpiry <= self.challengeDefaultExpiry, self.challengeDefaultExpiry <= self.challengeMaximumExpiry
        else {
            throw ConfigurationError(key: "challenges.expiry.default.seconds", message: "must lie within challenges.expiry.min/max.seconds")
        }
        self.challengeFeeBasisPoints = try reader.checkedInteger("challenges.fee.basis.points", in: 0...10_000) ?? self.challengeFeeBasisPoints
        self.challengeMaximumOpen = try reader.checkedInteger("challenges.open.max", in: 1...1_000) ?? self.challengeMaximumOpen
    }
}
