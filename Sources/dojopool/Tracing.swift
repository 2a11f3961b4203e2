import DojoAPI
import DojoServer
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry traces for this process (`tracing.enabled`): swift-otel's tracer, exporting
/// batches of spans over OTLP/HTTP, bootstrapped as the process's tracer once. Returns the
/// exporter's service (run it in the service group, before the server, so it flushes last), or nil
/// when tracing is off: then every span in the code is the no-op tracer's and costs next to nothing.
func bootstrapTracing(_ tracing: TracingConfiguration, logger: Logger) throws -> (any Service)? {
    guard tracing.enabled else { return nil }
    var configuration = OTel.Configuration.default
    configuration.serviceName = tracing.serviceName
    configuration.diagnosticLogger = .custom(logger)
    configuration.diagnosticLogLevel = .warning
    configuration.propagators = [.traceContext]
    configuration.metrics.enabled = false
    configuration.logs.enabled = false
    configuration.traces.enabled = true
    configuration.traces.exporter = .otlp
    configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: tracing.samplerRatio) ?? .parentBasedAlwaysOn
    configuration.traces.batchSpanProcessor.scheduleDelay = tracing.exportDelay
    // An endpoint set explicitly is the full URL of the traces (the OTLP specification's rule).
    configuration.traces.otlpExporter.endpoint = tracing.endpoint.hasSuffix("/") ? tracing.endpoint + "v1/traces" : tracing.endpoint + "/v1/traces"
    configuration.traces.otlpExporter.protocol = tracing.wireProtocol == .json ? .httpJSON : .httpProtobuf
    let backend = try OTel.makeTracingBackend(configuration: configuration)
    InstrumentationSystem.bootstrap(backend.factory)
    logger.notice(
        "tracing on",
        metadata: [
            "tracing.endpoint": "\(tracing.endpoint)", "tracing.protocol": "\(tracing.wireProtocol.rawValue)",
            "tracing.ratio": "\(tracing.samplerRatio)",
        ]
    )
    return backend.service
}
