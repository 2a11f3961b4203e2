public import Configuration

/// Tracing's keys: `tracing.*`.
extension TracingConfiguration {
    /// Reads and validates the keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        try self.init(
            enabled: try reader.checkedBoolean("tracing.enabled"),
            endpoint: reader.checkedText("tracing.endpoint"),
            wireProtocol: reader.checkedText("tracing.protocol"),
            ratio: reader.checkedText("tracing.sampler.ratio"),
            serviceName: reader.checkedText("tracing.service.name"),
            exportDelay: try reader.checkedInteger("tracing.export.delay.ms", in: 10...60_000)
        )
    }
}
