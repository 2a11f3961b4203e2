public import Configuration
public import DojoHooks

/// Notification delivery's keys: `notifications.*`.
extension NotificationDeliveryConfiguration {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        self.push = try reader.signedEndpoint("notifications.push", defaultTimeoutMilliseconds: 5_000)
        self.emailLimit = try reader.checkedInteger("notifications.email.per.window", in: 1...1_000) ?? self.emailLimit
        self.pushLimit = try reader.checkedInteger("notifications.push.per.window", in: 1...1_000) ?? self.pushLimit
        if let seconds = try reader.checkedInteger("notifications.window.seconds", in: 1...604_800) { self.window = .seconds(seconds) }
        if let milliseconds = try reader.checkedInteger("notifications.delivery.interval.ms", in: 10...60_000) {
            self.interval = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.checkedInteger("notifications.delivery.retry.ms", in: 10...3_600_000) {
            self.retryBase = .milliseconds(milliseconds)
        }
        self.attempts = try reader.checkedInteger("notifications.delivery.attempts", in: 1...100) ?? self.attempts
        if let hours = try reader.checkedInteger("notifications.retention.hours", in: 1...8_760) { self.retention = .seconds(hours * 3_600) }
        if self.retention < self.window {
            throw ConfigurationError(
                key: "notifications.retention.hours",
                message: "must keep at least notifications.window.seconds: the limit counts the messages sent in the window"
            )
        }
    }
}
