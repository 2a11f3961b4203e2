import Hummingbird
import Synchronization

/// A request whose path is a route's but whose method is none of that route's is answered
/// `405 method_not_allowed` with `Allow` (RFC 9110 §15.5.6), not the router's `404`: a client
/// learns it used the wrong method, not that the resource does not exist.
///
/// The routes are given once the router holds them all (`install`), after the middleware is added.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// Route templates (`/v1/matches/{id}`) and their methods, set once the routes are laid out.
    final class Routes: Sendable {
        private let templates = Mutex<[(parts: [Substring], methods: [String])]>([])

        /// `routes`: `METHOD /path/{parameter}`, as `DojoPoolServer.routes` lists them.
        func install(_ routes: [String]) {
            var byPath: [String: [String]] = [:]
            for route in routes {
                let parts = route.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { continue }
                byPath[String(parts[1]), default: []].append(String(parts[0]))
            }
            templates.withLock { $0 = byPath.map { (parts: $0.key.split(separator: "/"), methods: $0.value.sorted()) } }
        }

        /// The methods of the route whose template matches `path`, if one does; of several, the
        /// most literal one, as the router picks (`/v1/me/wallets/nonce` over `/v1/me/wallets/{id}`).
        func methods(for path: String) -> [String]? {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            return templates.withLock { templates in
                templates.filter { template in
                    template.parts.count == parts.count
                        && zip(template.parts, parts).allSatisfy { pattern, part in
                            (pattern.first == "{" && !part.isEmpty) || pattern == part
                        }
                }
                .max { $0.parts.count { $0.first != "{" } < $1.parts.count { $0.first != "{" } }?.methods
            }
        }
    }

    let routes: Routes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = routes.methods(for: request.uri.path), !methods.contains(request.method.rawValue) else { throw error }
            var response = ErrorEnvelopeMiddleware.response(
                for: APIError(
                    .methodNotAllowed,
                    code: "method_not_allowed",
                    message: "\(request.method.rawValue) is not one of \(methods.joined(separator: ", "))"
                ),
                requestID: context.requestID
            )
            response.headers[.allow] = methods.joined(separator: ", ")
            return response
        }
    }
}
