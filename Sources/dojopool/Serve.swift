import ArgumentParser
import DojoAPI
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `dojopool serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully (exit 0).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let (logger, registry) = bootstrapObservability(configuration)
        let server = try await buildServer(configuration: configuration, logger: logger, registry: registry)
        try await server.application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("dojopool stopped")
    }
}
