import DojoGateway
import Hummingbird
import NIOCore

/// Socket.IO's long-polling transport (Engine.IO 4) at `/socket.io/`: the handshake and the polls
/// (`GET`), the client's packets (`POST`). The sessions are the gateway's (docs/protocol.md,
/// "Socket.IO clients"); the WebSocket transport is the gateway's upgrade at the same path.
struct SocketIORoutes: Sendable {
    let gateway: Gateway
    /// Several nodes: a request of a session another node holds is relayed to it.
    var relay: SocketIORelay?

    func register(on router: Router<AppRequestContext>) {
        router.get(RouterPath(Gateway.socketIOPath)) { request, context in
            let query = Self.query(request)
            if let relayed = await relay?.relayIfElsewhere(method: .get, query: query, rawQuery: request.uri.query ?? "", body: nil) {
                return Self.response(relayed)
            }
            return Self.response(await gateway.engineIOGet(query: query, eventLoop: context.eventLoop))
        }
        router.post(RouterPath(Gateway.socketIOPath)) { request, context in
            var request = request
            let limit = gateway.configuration.maximumMessageBytes * 4
            guard let body = try? await request.collectBody(upTo: limit) else {
                return Self.response(.error(3, "Bad request: the body is larger than \(limit) bytes", status: 413))
            }
            let query = Self.query(request)
            let bytes = Array(body.readableBytesView)
            if let relayed = await relay?.relayIfElsewhere(method: .post, query: query, rawQuery: request.uri.query ?? "", body: bytes) {
                return Self.response(relayed)
            }
            return Self.response(await gateway.engineIOPost(query: query, body: bytes))
        }
    }

    static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        return query
    }

    static func response(_ answer: EngineIOResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        headers[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}
