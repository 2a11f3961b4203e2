import NIOCore
import NIOHTTP1

/// The HTTP edge of every connection, right after NIO's request decoder: what a client that sends
/// slowly or sends garbage gets (docs/security.md).
///
/// - A request's line and headers must arrive within `headerTimeout` of the connection's start; a
///   body may stall at most `idleTimeout` between two parts. Past either the connection is closed
///   (a slow-loris holds nothing for long). Between requests Hummingbird's idle timeout applies.
/// - A request the decoder refuses is answered once and closed: headers past the limit `431`,
///   anything else (`Content-Length` with `Transfer-Encoding`, RFC 9112 §6.1; a malformed line)
///   `400`, both with the error envelope.
/// - A WebSocket upgrade whose `Sec-WebSocket-Version` is not 13 is answered `426` with
///   `Sec-WebSocket-Version: 13`, and one without a valid `Sec-WebSocket-Key` `400` (RFC 6455
///   §4.2.1, §4.2.2, §4.4), before NIO's upgrader would drop it without a word.
///
/// Messages of any type pass through untouched (`Any`): after a WebSocket upgrade the handler is
/// removed, and until then nothing but HTTP parts should reach it.
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias InboundOut = Any
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private let limits: HTTPLimits
    private let metrics: HTTPEdgeMetrics
    private var timer: Scheduled<Void>?
    private var responseInFlight = false
    private var headerSeen = false
    /// The request was answered here: what else it sends is dropped.
    private var refused = false

    init(limits: HTTPLimits, metrics: HTTPEdgeMetrics) {
        self.limits = limits
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, limits.headerTimeout, .header) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil, !headerSeen { arm(context, limits.headerTimeout, .header) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if let part = unwrapInboundIn(data) as? HTTPServerRequestPart {
            switch part {
            case .head(let head):
                headerSeen = true
                if let refusal = Self.badUpgrade(head) {
                    metrics.refused(.malformed)
                    refused = true
                    timer?.cancel()
                    timer = nil
                    return refuse(context, refusal.status, refusal.code, refusal.message, extraHeaders: refusal.headers)
                }
                arm(context, limits.idleTimeout, .body)
            case .body:
                arm(context, limits.idleTimeout, .body)
            case .end:
                // The application has the request; between requests Hummingbird's idle timeout
                // (and for the next request's headers, the same) applies.
                timer?.cancel()
                timer = nil
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let part = unwrapOutboundIn(data) as? HTTPServerResponsePart {
            switch part {
            case .head(let head) where head.status.code >= 200: responseInFlight = true
            case .end: responseInFlight = false
            default: break
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            return context.fireErrorCaught(error)
        }
        timer?.cancel()
        timer = nil
        let status: HTTPResponseStatus
        let code: String
        let message: String
        switch parserError {
        case .headerOverflow:
            status = .requestHeaderFieldsTooLarge
            code = "headers_too_large"
            message = "the request's headers exceed \(limits.maximumHeaderBytes) bytes"
        case .unexpectedContentLength:
            status = .badRequest
            code = "bad_request"
            message = "a request gives Content-Length or Transfer-Encoding, not both (RFC 9112 §6.1)"
        default:
            status = .badRequest
            code = "bad_request"
            message = "the request is not valid HTTP/1.1"
        }
        metrics.refused(status == .badRequest ? .malformed : .headersTooLarge)
        refuse(context, status, code, message)
    }

    /// Answers with the error envelope and closes (or only closes, if a response is under way).
    private func refuse(
        _ context: ChannelHandlerContext,
        _ status: HTTPResponseStatus,
        _ code: String,
        _ message: String,
        extraHeaders: [(String, String)] = []
    ) {
        guard !responseInFlight else {
            context.close(promise: nil)
            return
        }
        let body = #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#
        let headers = HTTPHeaders(
            [
                ("Connection", "close"), ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "\(body.utf8.count)"),
            ] + extraHeaders
        )
        responseInFlight = true
        context.write(
            wrapOutboundOut(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(HTTPServerResponsePart.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Why a WebSocket upgrade request cannot be accepted, nil when it can (or is no upgrade).
    static func badUpgrade(_ head: HTTPRequestHead) -> (status: HTTPResponseStatus, code: String, message: String, headers: [(String, String)])? {
        let upgrade = head.headers[canonicalForm: "Upgrade"]
        guard upgrade.contains(where: { $0.lowercased() == "websocket" }) else { return nil }
        let versions = head.headers[canonicalForm: "Sec-WebSocket-Version"]
        guard versions.count == 1, versions[0] == "13" else {
            return (.upgradeRequired, "websocket_version", "this server speaks WebSocket version 13 (RFC 6455)", [("Sec-WebSocket-Version", "13")])
        }
        let keys = head.headers[canonicalForm: "Sec-WebSocket-Key"]
        guard keys.count == 1, Self.isValidKey(String(keys[0])) else {
            return (.badRequest, "websocket_key", "Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 §4.1)", [])
        }
        return nil
    }

    /// A nonce of 16 bytes in base64: 24 characters, the last two `==`.
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        return bytes[..<22].allSatisfy { byte in
            (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 43 || byte == 47
        }
    }

    private enum Phase { case header, body }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount, _ phase: Phase) {
        timer?.cancel()
        let channel = context.channel
        let metrics = metrics
        timer = context.eventLoop.scheduleTask(in: timeout) {
            metrics.refused(phase == .header ? .headerTimeout : .bodyTimeout)
            channel.close(promise: nil)
        }
    }
}
