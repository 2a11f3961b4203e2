import Foundation

/// OpenTelemetry traces (`tracing.*`), off by default: spans of REST requests, WebSocket commands,
/// actor decisions, durable appends, group commits and consumer deliveries, exported over OTLP/HTTP
/// (docs/operations.md, "Traces"). The standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
/// `OTEL_TRACES_SAMPLER`, …) override these, as the OpenTelemetry specification says.
public struct TracingConfiguration: Sendable, Equatable {
    /// The wire format of the OTLP/HTTP export.
    public enum WireProtocol: String, Sendable, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    public var enabled = false
    /// The collector's OTLP/HTTP base address; spans go to `<endpoint>/v1/traces`.
    public var endpoint = "http://localhost:4318"
    public var wireProtocol = WireProtocol.protobuf
    /// The share of new traces recorded (0…1). A request that carries a W3C `traceparent` follows
    /// its caller's decision (parent-based sampling).
    public var samplerRatio = 1.0
    /// The `service.name` resource attribute.
    public var serviceName = "dojopool"
    /// How long finished spans wait before they are exported in a batch.
    public var exportDelay: Duration = .seconds(5)

    public init() {}

    /// Reads `tracing.*`.
    init(enabled: Bool?, endpoint: String?, wireProtocol: String?, ratio: String?, serviceName: String?, exportDelay: Int?) throws(ConfigurationError)
    {
        self.enabled = enabled ?? false
        if let endpoint {
            guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(
                    key: "tracing.endpoint",
                    message: "an http(s) URL of an OTLP/HTTP collector, like http://otel-collector:4318"
                )
            }
            self.endpoint = endpoint
        }
        if let wireProtocol {
            guard let parsed = WireProtocol(rawValue: wireProtocol) else {
                throw ConfigurationError(key: "tracing.protocol", message: "http/protobuf or http/json, not \(wireProtocol.prefix(40))")
            }
            self.wireProtocol = parsed
        }
        if let ratio {
            guard let value = Double(ratio), value >= 0, value <= 1 else {
                throw ConfigurationError(
                    key: "tracing.sampler.ratio",
                    message: "a number from 0 to 1 (the share of traces recorded), not \(ratio.prefix(40))"
                )
            }
            samplerRatio = value
        }
        if let serviceName {
            guard (1...128).contains(serviceName.count), !serviceName.contains(where: \.isNewline) else {
                throw ConfigurationError(key: "tracing.service.name", message: "1–128 characters on one line")
            }
            self.serviceName = serviceName
        }
        if let exportDelay { self.exportDelay = .milliseconds(exportDelay) }
    }
}
