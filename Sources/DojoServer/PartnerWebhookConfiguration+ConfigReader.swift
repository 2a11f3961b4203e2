public import Configuration
public import DojoHooks

/// Partner webhook delivery's keys: `partners.*`.
extension PartnerWebhookConfiguration {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        if let milliseconds = try reader.checkedInteger("partners.delivery.interval.ms", in: 10...60_000) {
            self.interval = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.checkedInteger("partners.delivery.retry.ms", in: 10...3_600_000) {
            self.retryBase = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.checkedInteger("partners.delivery.timeout.ms", in: 100...60_000) {
            self.timeout = .milliseconds(milliseconds)
        }
        self.attempts = try reader.checkedInteger("partners.delivery.attempts", in: 1...100) ?? self.attempts
        if let hours = try reader.checkedInteger("partners.retention.hours", in: 1...8_760) { self.retention = .seconds(hours * 3_600) }
    }
}
