public import NIOCore

/// The HTTP edge's limits: what a client that sends slowly, sends too much, or opens too many
/// connections is allowed before it is answered and cut off (docs/security.md).
public struct HTTPLimits: Sendable, Equatable {
    /// Time from the connection's start (or the end of the previous response) to the end of a
    /// request's headers: a client that sends half a request line and goes silent is closed.
    public var headerTimeout = TimeAmount.seconds(10)
    /// Time an HTTP connection may stay silent between requests, or inside a request body.
    public var idleTimeout = TimeAmount.seconds(60)
    /// The request line and headers together; past it the request is answered `431` and closed.
    public var maximumHeaderBytes = 16_384
    /// Connections (HTTP and WebSocket) open at once from one client address; past it a new
    /// connection is closed at once (counted in `dojo_http_connections_refused_total`). 0: no limit.
    public var connectionsPerAddress = 1_024

    public init() {}
}
