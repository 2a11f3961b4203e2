import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// REST for tournaments (docs/tournaments.md): create, list, and the players' and the director's
/// actions as sub-resources. `GET /v1/tournaments/{id}` (the view with its bracket and standings)
/// and `POST /v1/tournaments/{id}/commands` come from the registration; every route ends in
/// ``Runtime/sendTournament(_:_:context:commandID:)``.
struct TournamentRoutes: Sendable {
    let runtime: Runtime
    let authentication: Authentication

    func register(on router: Router<AppRequestContext>) {
        let tournaments = router.group("/v1/tournaments")
        tournaments.post { request, context in
            var body = try await JSONBody.decode(NewTournamentBody.self, request, context)
            let id = body.id ?? CommandRoutes.newID()
            guard EntityKey.isValidID(id), id.utf8.count <= Tournament.maximumIDLength else {
                throw DomainError(
                    .invalid,
                    "tournament.invalid_id",
                    "a tournament id is 1–\(Tournament.maximumIDLength) characters of A–Z a–z 0–9 - _"
                )
            }
            body.command.type = "create"
            return try await send(id, body.command, request, status: .created)
        }
        // By `venueId` and `status=UPCOMING,LIVE,…`, newest first, paged by `offset`.
        tournaments.get { request, _ in
            let venueID = request.uri.queryParameters["venueId"].map(String.init)
            if let venueID, !EntityKey.isValidID(venueID) {
                throw APIError(.badRequest, code: "invalid_query", message: "venueId is an id")
            }
            let statuses = try (request.uri.queryParameters["status"].map { $0.split(separator: ",") } ?? []).map { text in
                guard let status = TournamentStatus(rawValue: String(text)) else {
                    let known = TournamentStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, code: "invalid_query", message: "status is a comma-separated list of \(known)")
                }
                return status
            }
            let limit = try Query.integer(request, "limit", default: 20, in: 1...100)
            let offset = try Query.integer(request, "offset", default: 0, in: 0...100_000)
            let page = try await runtime.tournaments(venueID: venueID, statuses: statuses, offset: offset, limit: limit)
            return try Response.json(.ok, TournamentPage(tournaments: page.map(\.view), next: page.count == limit ? offset + limit : nil))
        }
        // The player (or the director for `userId`) registers; DELETE leaves.
        tournaments.post("/:id/registrations") { request, context in
            try await action("register", request, context)
        }
        tournaments.delete("/:id/registrations/:user") { request, context in
            var body = TournamentCommandBody(type: "unregister")
            body.userId = try context.parameters.require("user")
            return try await send(try context.parameters.require("id"), body, request, status: .ok)
        }
        for (path, type) in [
            ("check-in", "checkIn"), ("start", "start"), ("results", "report"), ("walkovers", "walkover"),
            ("disqualifications", "disqualify"), ("cancel", "cancel"),
        ] {
            tournaments.post("/:id/\(path)") { request, context in
                try await action(type, request, context)
            }
        }
    }

    private func action(_ type: String, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        var body = try await JSONBody.decodeOptional(TournamentCommandBody.self, request, context) ?? TournamentCommandBody(type: type)
        body.type = type
        return try await send(try context.parameters.require("id"), body, request, status: type == "register" ? .created : .ok)
    }

    private func send(_ id: String, _ body: TournamentCommandBody, _ http: Request, status: HTTPResponse.Status) async throws -> Response {
        let principal = try await authentication.principal(http)
        guard EntityKey.isValidID(id) else { throw APIError(.notFound, code: "tournament.not_found", message: "no such tournament") }
        let result = try await runtime.sendTournament(
            id,
            try body.command(sender: principal.userID),
            context: CommandContext(principal: principal, now: Timestamp(Date())),
            commandID: try CommandRoutes.commandID(http, body: body.commandId)
        )
        return try Response.json(
            result.duplicate ? .ok : status,
            CommandView(result: result, eventType: Tournament.eventType, tournament: result.state.view)
        )
    }
}
