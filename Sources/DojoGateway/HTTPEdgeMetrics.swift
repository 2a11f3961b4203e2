import Metrics

/// Counts of connections the edge cut off, by reason (`dojo_http_refused_total{reason}`), and of
/// connections refused for their address (`dojo_http_connections_refused_total`).
final class HTTPEdgeMetrics: Sendable {
    enum Reason: String, CaseIterable {
        case headerTimeout = "header_timeout"
        case bodyTimeout = "body_timeout"
        case headersTooLarge = "headers_too_large"
        case malformed
    }

    private let counters: [String: Counter] = Dictionary(
        uniqueKeysWithValues: Reason.allCases.map {
            ($0.rawValue, Counter(label: "dojo_http_refused_total", dimensions: [("reason", $0.rawValue)]))
        }
    )
    private let perAddress = Counter(label: "dojo_http_connections_refused_total")

    func refused(_ reason: Reason) { counters[reason.rawValue]?.increment() }
    func refusedForAddress() { perAddress.increment() }
}
