import DojoGateway
import Hummingbird
import NIOCore

/// Socket.IO's long-polling transport (Engine.IO 4) at `/socket.io/`: the handshake and the polls
/// (`GET`), the client's packets (`POST`). The sessions are the gateway's (docs/protocol.md,
/// "Socket.IO clients"); the WebSocket transport is the gateway's upgrade at the same path.
struct SocketIORoutes: Sendable {
    let gateway: Gateway

    func register(on router: Router<AppRequestContext>) {
        router.get(RouterPath(Gateway.socketIOPath)) { request, context in
            Self.response(await gateway.engineIOGet(query: Self.query(request), eventLoop: context.eventLoop))
        }
        router.post(RouterPath(Gateway.socketIOPath)) { request, context in
            var request = request
            let limit = gateway.configuration.maximumMessageBytes * 4
            guard let body = try? await request.collectBody(upTo: limit) else {
                return Self.response(.error(3, "Bad request: the body is larger than \(limit) bytes", status: 413))
            }
            return Self.response(await gateway.engineIOPost(query: Self.query(request), body: Array(body.readableBytesView)))
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
