import DojoAPI
import DojoTesting
import Foundation
import Logging
import Metrics
import Prometheus

@testable import DojoServer

/// One Prometheus registry for the whole test process (the metrics system bootstraps once).
let sharedRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

let apiLogger: Logger = {
    var logger = Logger(label: "dojopool.api.test")
    logger.logLevel = .warning
    return logger
}()

/// A configuration on a free port with its own SQLite file.
func testConfiguration() throws -> ServerConfiguration {
    var configuration = ServerConfiguration()
    configuration.port = 0
    let directory = try TestServices.temporaryDirectory()
    configuration.sqlitePath = directory + "/dojo.sqlite"
    configuration.keysPath = directory + "/keys.json"
    configuration.readinessTimeout = .milliseconds(1_500)
    // Servers of tests that share the CI's Redis never share rooms or presence.
    configuration.cluster.name = "test-" + TestServices.uniqueID()
    return configuration
}

func makeServer(_ configuration: ServerConfiguration) async throws -> DojoPoolServer {
    try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry)
}

/// The JSON object in a response body.
func jsonObject(_ body: some Collection<UInt8>) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
}
