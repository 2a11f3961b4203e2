import DojoDomain
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Pages for spectators, served by the server itself (no build step, no CDN): `/watch` (the live
/// matches and tournaments), `/watch/match/{id}` (one match, live over the public WebSocket
/// protocol, with a reconnect that resumes by `since`), `/watch/venue/{id}` (the venue's tables
/// with their status and the live scores, from the venue's room and its matches' rooms) and
/// `/watch/tournament/{id}` (the bracket for a big screen, live from the tournament's room). Scripts and styles are files of their own: the pages' CSP
/// allows only this origin (`SecurityHeadersMiddleware.pagePolicy`).
struct WatchRoutes: Sendable {
    let storage: any Storage

    func register(on router: Router<AppRequestContext>) {
        router.get("/watch") { _, _ in Self.page(WatchAssets.indexHTML) }
        router.get("/watch/match/:id") { _, context in
            let id = try context.parameters.require("id")
            guard EntityKey.isValidID(id) else { throw APIError(.notFound, code: "match.not_found", message: "no such match") }
            return Self.page(WatchAssets.matchHTML)
        }
        router.get("/watch/tournament/:id") { _, context in
            let id = try context.parameters.require("id")
            guard EntityKey.isValidID(id) else { throw APIError(.notFound, code: "tournament.not_found", message: "no such tournament") }
            return Self.page(WatchAssets.tournamentHTML)
        }
        router.get("/watch/venue/:id") { _, context in
            let id = try context.parameters.require("id")
            guard EntityKey.isValidID(id) else { throw APIError(.notFound, code: "venue.not_found", message: "no such venue") }
            return Self.page(WatchAssets.venueHTML)
        }
        router.get("/watch/assets/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let (body, type) = WatchAssets.files[name] else {
                throw APIError(.notFound, code: "not_found", message: "no such file")
            }
            return Self.response(body, type: type)
        }
        // The live index's data: matches from the records (`status=LIVE,SCHEDULED`, `venueId`).
        router.get("/v1/matches") { request, _ in
            let statuses = try (request.uri.queryParameters["status"].map { $0.split(separator: ",") } ?? []).map { text in
                guard let status = MatchStatus(rawValue: String(text)) else {
                    throw APIError(
                        .badRequest,
                        code: "invalid_query",
                        message: "status is a comma-separated list of SCHEDULED, LIVE, COMPLETED, CANCELLED"
                    )
                }
                return status.rawValue
            }
            let venue = try Query.id(request, "venueId")
            let after = try Query.id(request, "after")
            let limit = try Query.integer(request, "limit", default: 50, in: 1...200)
            let rows = try await storage.listMatches(statuses: statuses, venueID: venue, after: after, limit: limit)
            return try Response.json(.ok, MatchPage(matches: rows, next: rows.count == limit ? rows.last?.id : nil))
        }
    }

    static func page(_ html: String) -> Response { response(html, type: "text/html; charset=utf-8") }

    static func response(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

struct MatchPage: Encodable {
    var matches: [MatchRow]
    /// The `after` of the next page, when this one was full.
    var next: String?
}
