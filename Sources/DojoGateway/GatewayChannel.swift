import DojoDomain
import Foundation
import HTTPTypes
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The server's child channel: HTTP/1.1 for the REST API, and the WebSocket upgrade at `/v1/ws`
/// into a ``Connection``. Modelled on hummingbird-websocket's upgrade channel, but the upgraded
/// pipeline is the gateway's own: frames a room encoded once are written to the socket as they are.
public struct GatewayChannel: ServerChildChannel, HTTPChannelHandler {
    public static let path = "/v1/ws"
    /// The subprotocol a browser names (`Sec-WebSocket-Protocol: dojo.v1, bearer.<token>`).
    public static let subprotocol = "dojo.v1"

    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    public struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let gateway: Gateway
    let logger: Logger
    let limits: HTTPLimits
    let addresses: AddressConnectionLimiter
    let edgeMetrics = HTTPEdgeMetrics()

    public init(
        responder: @escaping HTTPChannelHandler.Responder,
        gateway: Gateway,
        limits: HTTPLimits = HTTPLimits(),
        addresses: AddressConnectionLimiter? = nil,
        logger: Logger
    ) {
        self.responder = responder
        self.gateway = gateway
        self.limits = limits
        self.addresses = addresses ?? AddressConnectionLimiter(limit: limits.connectionsPerAddress, exempt: [])
        self.logger = logger
    }

    /// A connection refused because its address has `http.connections.per.address` open.
    struct TooManyConnections: Error {}

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let address = channel.remoteAddress?.ipAddress {
            switch addresses.admit(address) {
            case .refused:
                edgeMetrics.refusedForAddress()
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(TooManyConnections())
            case .counted:
                let addresses = self.addresses
                channel.closeFuture.whenComplete { _ in addresses.release(address) }
            case .uncapped:
                break
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            let gateway = self.gateway
            let limits = self.limits
            let edge = HTTPEdgeHandler(limits: limits, metrics: edgeMetrics)
            // Small first reads: most sockets here are spectators that send a few short messages,
            // and each channel keeps its last receive buffer for reuse (the allocator adapts up).
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)
            )
            // Every message is written and flushed as soon as it is ready: never wait for Nagle.
            try channel.syncOptions?.setOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let identity = NIOLoopBoundBox<(GatewayIdentity?, GatewayRefusal?)>((nil, nil), eventLoop: channel.eventLoop)
            // A Socket.IO upgrade: `.some(nil)` for a new session, `.some(sid)` for a polling one.
            let socketIOSession = NIOLoopBoundBox<String??>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: gateway.configuration.maximumMessageBytes,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    attempted.value = true
                    if let socketIO = Self.socketIOUpgrade(head.uri) {
                        // Socket.IO: Engine.IO 4 only; an upgrade names a session that exists.
                        guard socketIO.query["EIO"] == "4", socketIO.query["transport"] == "websocket",
                            socketIO.sid.map({ gateway.socketIOSessions.entry($0) != nil }) ?? true
                        else { return channel.eventLoop.makeSucceededFuture(nil) }
                        socketIOSession.value = .some(socketIO.sid)
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                    }
                    guard head.uri == Self.path || head.uri.hasPrefix(Self.path + "?") else {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    var headers = HTTPHeaders()
                    let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
                    if offered.contains(Self.subprotocol) { headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol) }
                    var credential: String?
                    if let authorization = head.headers.first(name: "Authorization"), authorization.hasPrefix("Bearer ") {
                        credential = String(authorization.dropFirst("Bearer ".count))
                    } else if let offeredToken = offered.first(where: { $0.hasPrefix("bearer.") }) {
                        credential = String(offeredToken.dropFirst("bearer.".count))
                    }
                    guard let credential else { return channel.eventLoop.makeSucceededFuture(headers) }
                    let response = headers
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    let loop = channel.eventLoop
                    promise.completeWithTask {
                        let result = await gateway.authenticate(credential)
                        return try await loop.submit {
                            switch result {
                            case .success(let who): identity.value = (who, nil)
                            case .failure(let refusal): identity.value = (nil, refusal)
                            }
                            return response
                        }.get()
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        // The socket is a WebSocket now: the HTTP edge's timers do not apply.
                        if let edge = try? channel.pipeline.syncOperations.context(handlerType: HTTPEdgeHandler.self) {
                            channel.pipeline.syncOperations.removeHandler(context: edge, promise: nil)
                        }
                        let outlet = RawOutlet()
                        try channel.pipeline.syncOperations.addHandler(outlet, position: .first)
                        if let sid = socketIOSession.value {
                            let socket = SocketIOWebSocket(gateway: gateway, upgradeOf: sid, loop: channel.eventLoop)
                            try channel.pipeline.syncOperations.addHandler(
                                WebSocketTransport(
                                    receiver: socket,
                                    outlet: outlet,
                                    maximumMessageBytes: gateway.configuration.maximumMessageBytes
                                )
                            )
                            return UpgradeResult.websocket
                        }
                        let connection = Connection(
                            gateway: gateway,
                            hub: gateway.hub(for: channel.eventLoop),
                            identity: identity.value.0,
                            upgradeRefusal: identity.value.1,
                            logger: logger
                        )
                        let transport = WebSocketTransport(
                            receiver: connection,
                            outlet: outlet,
                            maximumMessageBytes: gateway.configuration.maximumMessageBytes
                        )
                        try channel.pipeline.syncOperations.addHandler(transport)
                        return UpgradeResult.websocket
                    }
                }
            )
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: Duration.nanoseconds(limits.idleTimeout.nanoseconds), logger: logger)
                        )
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return attempted.value ? UpgradeResult.failedUpgrade(asyncChannel) : UpgradeResult.notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderListSize = limits.maximumHeaderBytes
            configuration.decoderConfiguration.maxHeaderFieldSize = limits.maximumHeaderBytes
            configuration.decoderConfiguration.maxHeaderFieldCount = 256
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            // Right after the request decoder: its errors and its parts pass the edge first.
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(edge, position: .after(decoder))
            return Value(upgradeResult: result, channel: channel)
        }
    }

    /// `/socket.io/?…`: the query's members and the session to upgrade, if named.
    static func socketIOUpgrade(_ uri: String) -> (query: [String: String], sid: String?)? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = parts.first, path == Gateway.socketIOPath || path == Gateway.socketIOPath + "/" else { return nil }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(kv[0])] = kv.count == 2 ? String(kv[1]).removingPercentEncoding ?? String(kv[1]) : ""
            }
        }
        return (query, query["sid"])
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .failedUpgrade(let http):
                await refuseUpgrade(http)
            case .websocket:
                // The connection lives in its channel's handlers from here; ending this task
                // saves its memory (a server holds tens of thousands of sockets). Shutdown reaches
                // the socket through Hummingbird's quiescing event (Connection closes with 1001).
                return
            }
        } catch {
            logger.debug("connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }

    /// A WebSocket upgrade anywhere but `/v1/ws`, or a malformed one: 400 and close.
    private func refuseUpgrade(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) async {
        let body = #"{"error":{"code":"upgrade_refused","message":"WebSocket upgrades are served at /v1/ws (version 13)"}}"#
        try? await http.executeThenClose { _, outbound in
            let head = HTTPResponse(
                status: .badRequest,
                headerFields: [.connection: "close", .contentType: "application/json", .contentLength: "\(body.utf8.count)"]
            )
            try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(string: body)), .end(nil)])
        }
    }
}
