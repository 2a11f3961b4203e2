public import Configuration
public import DojoGateway

/// The WebSocket gateway's keys: `gateway.*`, and the automatic referee's threshold.
extension GatewayConfiguration {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        self.maximumMessageBytes = try reader.checkedInteger("gateway.message.max.bytes", in: 1_024...16_777_216) ?? self.maximumMessageBytes
        self.maximumSubscriptions = try reader.checkedInteger("gateway.subscriptions.max", in: 1...100_000) ?? self.maximumSubscriptions
        self.messagesPerSecond = try reader.checkedInteger("gateway.messages.per.second", in: 1...1_000_000) ?? self.messagesPerSecond
        self.messageBurst = try reader.checkedInteger("gateway.messages.burst", in: 1...1_000_000) ?? self.messageBurst
        self.maximumCommandsInFlight = try reader.checkedInteger("gateway.commands.inflight.max", in: 1...10_000) ?? self.maximumCommandsInFlight
        self.outboundMessages = try reader.checkedInteger("gateway.outbound.max.messages", in: 1...10_000_000) ?? self.outboundMessages
        self.outboundBytes = try reader.checkedInteger("gateway.outbound.max.bytes", in: 1_024...1_073_741_824) ?? self.outboundBytes
        self.recoveryBuffer = try reader.checkedInteger("gateway.recovery.buffer", in: 0...1_000_000) ?? self.recoveryBuffer
        self.recoveryLogMaximum = try reader.checkedInteger("gateway.recovery.log.max", in: 0...1_000_000) ?? self.recoveryLogMaximum
        self.heartbeatSeconds = try reader.checkedInteger("gateway.heartbeat.seconds", in: 1...3_600) ?? self.heartbeatSeconds
        self.presenceIntervalMilliseconds =
            try reader.checkedInteger("gateway.presence.interval.ms", in: 10...60_000) ?? self.presenceIntervalMilliseconds
        self.benchRooms = try reader.checkedBoolean("gateway.bench.enabled") ?? self.benchRooms
        if let percent = try reader.checkedInteger("referee.vision.threshold.percent", in: 0...100) {
            self.visionThreshold = Double(percent) / 100
        }
    }
}
