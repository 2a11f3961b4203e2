import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// REST for territories (docs/territories.md) and the leaderboards. `GET /v1/territories/{id}` and
/// `POST /v1/territories/{id}/commands` come from the registration; no route lets a client claim
/// a territory: results come from matches.
struct TerritoryRoutes: Sendable {
    let runtime: Runtime
    let storage: any Storage
    let authentication: Authentication

    /// The largest radius of a `near` query, and of the box's sides, in km and degrees.
    static let maximumRadiusKm = 500.0

    func register(on router: Router<AppRequestContext>) {
        let territories = router.group("/v1/territories")
        territories.post { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(CreateTerritoryBody.self, request, context)
            let id = body.id ?? CommandRoutes.newID()
            let result = try await runtime.createTerritory(
                id,
                venueID: body.venueId,
                name: body.name,
                context: CommandContext(principal: principal, now: Timestamp(Date())),
                commandID: try CommandRoutes.commandID(request, body: body.commandId)
            )
            return try view(result, status: .created)
        }
        // The map: `bbox=south,west,north,east` or `near=lat,lng&radiusKm=r` (r ≤ 500), paged by id.
        territories.get { request, _ in
            let limit = try Query.integer(request, "limit", default: 200, in: 1...500)
            let after = try Query.id(request, "after")
            let area = try Self.area(request)
            var page = try await storage.listTerritories(in: area?.box, after: after, limit: limit)
            let full = page.count == limit
            let next = full ? page.last?.id : nil
            if let near = area?.near { page = page.filter { Self.distanceKm(near.lat, near.lng, $0.lat, $0.lng) <= near.radiusKm } }
            return try Response.json(.ok, TerritoryPage(territories: page, next: next))
        }
        territories.post("/:id/challenges") { request, context in
            let body = try await JSONBody.decodeOptional(ChallengeBody.self, request, context) ?? ChallengeBody()
            return try await send(.challenge(opponentID: body.opponentId), request, context, commandID: body.commandId)
        }
        territories.post("/:id/challenges/accept") { request, context in
            let body = try await JSONBody.decodeOptional(AcceptChallengeBody.self, request, context) ?? AcceptChallengeBody()
            return try await send(
                .accept(gameType: body.gameType ?? .eightBall, raceTo: body.raceTo ?? 3),
                request,
                context,
                commandID: body.commandId
            )
        }
        territories.post("/:id/challenges/decline") { request, context in
            try await send(.decline, request, context)
        }
        territories.delete("/:id/challenges") { request, context in
            try await send(.withdraw, request, context)
        }

        // Who holds the most territories (`clans` or `players`), or which clans won the most wars
        // (`clans?by=wars`), paged by `offset`.
        router.get("/v1/leaderboards/:kind") { request, context in
            let kind = try context.parameters.require("kind")
            guard kind == "clans" || kind == "players" else {
                throw APIError(.notFound, code: "leaderboard.not_found", message: "leaderboards are clans and players")
            }
            let by = request.uri.queryParameters["by"].map(String.init) ?? "territories"
            guard by == "territories" || (by == "wars" && kind == "clans") else {
                throw APIError(.badRequest, code: "invalid_query", message: "by is territories (clans, players) or wars (clans)")
            }
            let limit = try Query.integer(request, "limit", default: 50, in: 1...200)
            let offset = try Query.integer(request, "offset", default: 0, in: 0...100_000)
            let rows =
                by == "wars"
                ? try await storage.warLeaderboard(offset: offset, limit: limit)
                : try await storage.territoryLeaderboard(byClan: kind == "clans", offset: offset, limit: limit)
            return try Response.json(.ok, Leaderboard(kind: kind, by: by, rows: rows, next: rows.count == limit ? offset + limit : nil))
        }
    }

    private func send(
        _ request: TerritoryCommandBody.Request,
        _ http: Request,
        _ context: AppRequestContext,
        commandID: String? = nil
    ) async throws
        -> Response
    {
        let principal = try await authentication.principal(http)
        let result = try await runtime.sendTerritory(
            try context.parameters.require("id"),
            request.command,
            context: CommandContext(principal: principal, now: Timestamp(Date())),
            commandID: try CommandRoutes.commandID(http, body: commandID)
        )
        return try view(result, status: .ok)
    }

    private func view(_ result: CommandResult<Territory>, status: HTTPResponse.Status) throws -> Response {
        try Response.json(result.duplicate ? .ok : status, CommandView(result: result, eventType: Territory.eventType, territory: result.state.view))
    }

    struct Area {
        var box: GeoBox
        var near: (lat: Double, lng: Double, radiusKm: Double)?
    }

    /// The area of a map query; `invalid_query` for a malformed or oversized one.
    static func area(_ request: Request) throws -> Area? {
        let query = request.uri.queryParameters
        func numbers(_ name: String, count: Int) throws -> [Double]? {
            guard let text = query[Substring(name)] else { return nil }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double(String($0)) }
            guard parts.count == count, parts.allSatisfy({ $0?.isFinite == true }) else {
                throw APIError(.badRequest, code: "invalid_query", message: "\(name) is \(count) comma-separated numbers")
            }
            return parts.map { $0! }
        }
        func checkLatLng(_ lat: Double, _ lng: Double) throws {
            guard (-90...90).contains(lat), (-180...180).contains(lng) else {
                throw APIError(.badRequest, code: "invalid_query", message: "latitudes are -90…90 and longitudes -180…180")
            }
        }
        if let box = try numbers("bbox", count: 4) {
            try checkLatLng(box[0], box[1])
            try checkLatLng(box[2], box[3])
            guard box[0] <= box[2], box[1] <= box[3], box[2] - box[0] <= 10, box[3] - box[1] <= 10 else {
                throw APIError(
                    .badRequest,
                    code: "invalid_query",
                    message: "bbox is south,west,north,east with south ≤ north, west ≤ east, sides ≤ 10°"
                )
            }
            return Area(box: GeoBox(south: box[0], west: box[1], north: box[2], east: box[3]))
        }
        if query["radiusKm"] != nil, query["near"] == nil {
            throw APIError(.badRequest, code: "invalid_query", message: "radiusKm goes with near=lat,lng")
        }
        if let near = try numbers("near", count: 2) {
            try checkLatLng(near[0], near[1])
            let radius = try numbers("radiusKm", count: 1)?.first ?? 10
            guard radius > 0, radius <= maximumRadiusKm else {
                throw APIError(.badRequest, code: "invalid_query", message: "radiusKm is more than 0 and at most \(Int(maximumRadiusKm))")
            }
            // A box around the circle for the index, then the exact distance.
            let dLat = radius / 111.0
            let dLng = radius / max(111.0 * cos(near[0] * .pi / 180), 0.01)
            let box = GeoBox(
                south: max(-90, near[0] - dLat),
                west: max(-180, near[1] - dLng),
                north: min(90, near[0] + dLat),
                east: min(180, near[1] + dLng)
            )
            return Area(box: box, near: (near[0], near[1], radius))
        }
        return nil
    }

    /// Great-circle distance (haversine), km.
    static func distanceKm(_ lat1: Double, _ lng1: Double, _ lat2: Double, _ lng2: Double) -> Double {
        let rad = Double.pi / 180
        let a = pow(sin((lat2 - lat1) * rad / 2), 2) + cos(lat1 * rad) * cos(lat2 * rad) * pow(sin((lng2 - lng1) * rad / 2), 2)
        return 2 * 6_371 * asin(min(1, sqrt(a)))
    }
}
