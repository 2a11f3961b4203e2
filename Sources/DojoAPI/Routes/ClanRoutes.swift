import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// REST for clans (docs/clans.md). `GET /v1/clans/{id}` and `POST /v1/clans/{id}/commands` come
/// from the registration (EntityRoutes); these are the shaped routes a client can guess. Every
/// write goes through ``Runtime/sendClan(_:_:context:commandID:)``, as the socket's commands do.
struct ClanRoutes: Sendable {
    let runtime: Runtime
    let storage: any Storage
    let authentication: Authentication

    func register(on router: Router<AppRequestContext>) {
        let clans = router.group("/v1/clans")
        clans.post { request, context in
            let body = try await JSONBody.decode(CreateClanBody.self, request, context)
            let id = body.id ?? CommandRoutes.newID()
            return try await send(
                .create(name: body.name, description: body.description),
                id: id,
                request,
                context,
                commandID: body.commandId,
                status: .created
            )
        }
        // The clans that exist, from the records: `q` filters by name, `after` is the last id seen.
        clans.get { request, _ in
            let limit = try Query.integer(request, "limit", default: 50, in: 1...200)
            let after = try Query.id(request, "after")
            let search = request.uri.queryParameters["q"].map(String.init)
            if let search, search.count > 64 { throw APIError(.badRequest, code: "invalid_query", message: "q is at most 64 characters") }
            let page = try await storage.listClans(search: search, after: after, limit: limit)
            return try Response.json(.ok, ClanPage(clans: page, next: page.count == limit ? page.last?.id : nil))
        }
        clans.patch("/:id") { request, context in
            let body = try await JSONBody.decode(DescriptionBody.self, request, context)
            return try await send(.describe(description: body.description), request, context, commandID: body.commandId)
        }
        clans.delete("/:id") { request, context in
            try await send(.disband, request, context)
        }
        // Members, live from the clan's actor, sorted by user id.
        clans.get("/:id/members") { request, context in
            let limit = try Query.integer(request, "limit", default: 100, in: 1...500)
            let after = try Query.id(request, "after")
            let state = try await existing(context)
            let members = state.memberViews(after: after, limit: limit)
            return try Response.json(.ok, MemberPage(members: members, next: members.count == limit ? members.last?.userId : nil))
        }
        // An officer (or higher) accepts a request; an invited player accepts for themselves.
        clans.post("/:id/members") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decodeOptional(OptionalUserBody.self, request, context) ?? OptionalUserBody()
            guard let user = body.userId ?? principal.userID else {
                throw APIError(.badRequest, code: "invalid_json", message: "name the player to accept: {\"userId\": …}")
            }
            return try await send(.accept(userID: user), request, context, commandID: body.commandId, principal: principal)
        }
        // The member themselves leaves; anyone else removes them (by rank).
        clans.delete("/:id/members/:user") { request, context in
            let principal = try await authentication.principal(request)
            let user = try context.parameters.require("user")
            return try await send(user == principal.userID ? .leave : .kick(userID: user), request, context, principal: principal)
        }
        clans.patch("/:id/members/:user") { request, context in
            let body = try await JSONBody.decode(RoleBody.self, request, context)
            return try await send(
                .setRole(userID: try context.parameters.require("user"), role: body.role),
                request,
                context,
                commandID: body.commandId
            )
        }
        clans.post("/:id/leader") { request, context in
            let body = try await JSONBody.decode(UserBody.self, request, context)
            return try await send(.transferLeadership(userID: body.userId), request, context, commandID: body.commandId)
        }
        clans.post("/:id/invitations") { request, context in
            let body = try await JSONBody.decode(UserBody.self, request, context)
            return try await send(.invite(userID: body.userId), request, context, commandID: body.commandId)
        }
        clans.delete("/:id/invitations/:user") { request, context in
            try await send(.decline(userID: try context.parameters.require("user")), request, context)
        }
        clans.post("/:id/requests") { request, context in
            let body = try await JSONBody.decodeOptional(OptionalUserBody.self, request, context) ?? OptionalUserBody()
            return try await send(.requestToJoin, request, context, commandID: body.commandId)
        }
        clans.delete("/:id/requests/:user") { request, context in
            try await send(.decline(userID: try context.parameters.require("user")), request, context)
        }
        // Wars: the leader or a co-leader declares one on another clan; everyone sees a clan's wars.
        clans.post("/:id/wars") { request, context in
            let body = try await JSONBody.decode(DeclareWarBody.self, request, context)
            let command = Clan.Command.declareWar(
                warID: body.warId ?? CommandRoutes.newID(),
                opponentID: body.opponentId,
                target: body.target,
                hours: body.hours ?? 168
            )
            return try await send(command, request, context, commandID: body.commandId, status: .created)
        }
        clans.get("/:id/wars") { _, context in
            let state = try await existing(context)
            return try Response.json(.ok, WarList(wars: state.wars.reversed().map(WarView.init)))
        }
        // Open invitations and requests: the clan's officers and higher (and ADMIN).
        clans.get("/:id/applications") { request, context in
            let principal = try await authentication.principal(request)
            let state = try await existing(context)
            try AccessPolicy.check(principal, .leadClan(state, .recruit))
            func entries(_ pending: [String: Timestamp]) -> [ClanApplication] {
                pending.map { ClanApplication(userId: $0.key, at: $0.value) }.sorted { ($0.at, $0.userId) < ($1.at, $1.userId) }
            }
            return try Response.json(.ok, ClanApplications(invitations: entries(state.invitations), requests: entries(state.requests)))
        }
    }

    private func existing(_ context: AppRequestContext) async throws -> Clan.State {
        let id = try context.parameters.require("id")
        guard EntityKey.isValidID(id) else { throw DomainError(.notFound, "clan.not_found", "no such clan") }
        let (state, _) = try await runtime.clans.read(id)
        guard state.exists else { throw DomainError(.notFound, "clan.not_found", "clan \(id) does not exist") }
        return state
    }

    private func send(
        _ command: Clan.Command,
        id: String? = nil,
        _ request: Request,
        _ context: AppRequestContext,
        commandID: String? = nil,
        principal: Principal? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let principal = if let principal { principal } else { try await authentication.principal(request) }
        let id = try id ?? context.parameters.require("id")
        let result = try await runtime.sendClan(
            id,
            command,
            context: CommandContext(principal: principal, now: Timestamp(Date())),
            commandID: try CommandRoutes.commandID(request, body: commandID)
        )
        return try Response.json(result.duplicate ? .ok : status, CommandView(result: result, eventType: Clan.eventType, clan: result.state.view))
    }
}

// MARK: Bodies and views
