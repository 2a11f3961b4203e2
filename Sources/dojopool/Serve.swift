import ArgumentParser
import DojoAPI
import DojoServer
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `dojopool serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully (exit 0).
/// The shutdown is bounded: what is still running after 25 s is cancelled, and after 5 s more
/// the process ends regardless (a shutdown must never hang an orchestrator or a test).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let (logger, registry) = bootstrapObservability(configuration)
        let tracing = try bootstrapTracing(configuration.tracing, logger: logger)
        let server = try await buildServer(configuration: configuration, logger: logger, registry: registry)
        // The exporter first: a group stops its services in reverse order, so it flushes the last spans.
        var group = ServiceGroupConfiguration(
            services: (tracing.map { [$0] } ?? []) + [server.application],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = .seconds(25)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
        logger.notice("dojopool stopped")
    }
}
