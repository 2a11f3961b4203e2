public import Hummingbird
public import NIOCore

/// The request context of every route: Hummingbird's core storage plus the request id.
public struct AppRequestContext: RequestContext {
    /// Hummingbird's storage (logger, parameters, endpoint path).
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's `X-Request-Id` when it is well-formed, else a new one.
    public var requestID: String
    /// The peer's IP address (the rate limits' key for anonymous requests).
    public var remoteIP: String
    /// The event loop of the request's connection (a Socket.IO session opened by it lives there).
    public var eventLoop: any EventLoop

    /// Creates a context for a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.remoteIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
        self.eventLoop = source.channel.eventLoop
    }

    /// Request bodies larger than this are refused with 413 before they reach a handler.
    public var maxUploadSize: Int { 64 * 1024 }
}
