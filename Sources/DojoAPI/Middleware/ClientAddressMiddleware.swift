import Foundation
import HTTPTypes
import Hummingbird

/// The client's address behind trusted proxies: when the peer is one of `http.trusted.proxies`,
/// the client is the last address of `X-Forwarded-For` that is not itself a trusted proxy.
/// Anyone else's `X-Forwarded-For` is ignored (it would let a client pick its rate-limit key).
struct ClientAddressMiddleware: RouterMiddleware {
    let trustedProxies: Set<String>
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response
    {
        guard !trustedProxies.isEmpty, trustedProxies.contains(context.remoteIP), let header = request.headers[Self.forwardedFor] else {
            return try await next(request, context)
        }
        var context = context
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let client = hops.last(where: { !trustedProxies.contains($0) }), client.utf8.count <= 64 {
            context.remoteIP = client
        }
        return try await next(request, context)
    }
}
