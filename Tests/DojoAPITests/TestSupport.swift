import DojoAPI
import DojoGateway
import DojoTesting
import Foundation
import Logging
import Metrics
import NIOCore
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
    // The test client connects before its test's first request; under the whole suite's load the
    // setup in between can outlast the 10 s header timeout, and the server would rightly close
    // that connection. Tests of the timeouts set their own.
    configuration.httpLimits.headerTimeout = .seconds(300)
    configuration.httpLimits.idleTimeout = .seconds(300)
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
