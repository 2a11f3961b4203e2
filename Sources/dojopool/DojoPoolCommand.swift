import ArgumentParser
import Configuration
import DojoAPI
import DojoServer
import Foundation
import Logging
import Metrics
import OTel
import Prometheus

@main
struct DojoPoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dojopool",
        abstract: "The DojoPool realtime game-state server.",
        version: DojoPoolVersion.current,
        subcommands: [
            Serve.self, Migrate.self, Export.self, Import.self, Copy.self, BenchStorage.self, BenchRuntime.self, BenchClans.self, BenchLedger.self,
            BenchAuth.self, BenchReferee.self, BenchDetector.self,
            BenchTournaments.self, BenchPlayers.self, BenchCluster.self,
            Keys.self, OpenAPICommand.self,
            Device.self, Token.self, Healthcheck.self,
        ]
    )
}

/// The options every command that reads configuration takes.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "JSON configuration file (default: Config/dojopool.json when present).")
    var config: String?

    @Option(help: "Address to listen on (http.host).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any (http.port).")
    var port: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (log.level).")
    var logLevel: String?

    /// Reads the configuration; a bad value ends the process with its key named and exit code 2.
    func load() async throws -> ServerConfiguration {
        var flags: [String: String] = [:]
        flags["http.host"] = host
        flags["http.port"] = port
        flags["log.level"] = logLevel
        do {
            let reader = try await ServerConfiguration.makeReader(flags: flags, configFile: config)
            return try ServerConfiguration(reader: reader)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("dojopool: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Logging to standard error at the configured level, and Prometheus metrics, once per process.
func bootstrapObservability(_ configuration: ServerConfiguration) -> (Logger, PrometheusCollectorRegistry) {
    let level = configuration.logLevel
    // With tracing on, every line logged inside a span carries its trace_id and span_id.
    let metadataProvider: Logger.MetadataProvider? = configuration.tracing.enabled ? OTel.makeLoggingMetadataProvider() : nil
    LoggingSystem.bootstrap(
        { label, provider in
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = level
            return handler
        },
        metadataProvider: metadataProvider
    )
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    // Fan-out latency lives in the sub-millisecond range: finer buckets than the default 5 ms.
    // So do most stages of a command (docs/runtime.md, "Where a command's time goes").
    let fine: [Duration] = [
        .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .seconds(1),
    ]
    factory.durationHistogramBuckets["dojo_command_stage_seconds"] = fine
    factory.durationHistogramBuckets["dojo_ws_fanout_latency_seconds"] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]
    MetricsSystem.bootstrap(factory)
    return (Logger(label: "dojopool"), registry)
}
