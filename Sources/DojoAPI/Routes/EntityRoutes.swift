import DojoDomain
import DojoRuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The REST routes every registered entity kind has, dispatched through its registration (no
/// kind is known here by name): `GET /v1/{collection}/{id}` → `{"sequence", "<kind>": view}`, and
/// `POST /v1/{collection}/{id}/commands` with a command object → `{"sequence", "firstSequence",
/// "duplicate", "events": [{"seq", "type", "event"}], "<kind>": view}`. An `Idempotency-Key`
/// header (or the command's own id) makes a command safe to retry.
struct EntityRoutes: Sendable {
    let runtime: Runtime
    let authentication: Authentication

    func register(on router: Router<AppRequestContext>) {
        for registration in runtime.registered {
            let group = router.group(RouterPath("/v1/\(registration.collection)"))
            let kind = registration.kind.rawValue
            group.get("/:id") { _, context in
                let id = try context.parameters.require("id")
                // An id that cannot name an entity names none: 404, as for an unknown one.
                guard EntityKey.isValidID(id) else { throw DomainError(.notFound, "\(kind).not_found", "no such \(kind)") }
                let readout = try await registration.read(id)
                guard readout.exists else { throw DomainError(.notFound, "\(kind).not_found", "\(kind) \(id) does not exist") }
                return Response.json(.ok, members: [("sequence", Array(String(readout.sequence).utf8)), (kind, readout.view)])
            }
            group.post("/:id/commands") { request, context in
                let principal = try await authentication.principal(request)
                let id = try context.parameters.require("id")
                guard let body = try await JSONBody.object(request, context) else {
                    throw APIError(.badRequest, code: "invalid_json", message: "the request needs a JSON body")
                }
                let outcome = try await registration.send(id, Data(body), principal, request.headers[CommandRoutes.idempotencyHeader])
                var events = JSONWriter()
                events.beginArray()
                for event in outcome.events {
                    events.beginObject()
                    events.key("event")
                    events.raw(event.json)
                    events.member("seq", event.seq)
                    events.member("type", event.type)
                    events.endObject()
                }
                events.endArray()
                var members: [(String, [UInt8])] = [
                    ("sequence", Array(String(outcome.sequence).utf8)), ("duplicate", Array(String(outcome.duplicate).utf8)),
                    ("events", events.bytes), (kind, outcome.view),
                ]
                if let first = outcome.firstSequence { members.append(("firstSequence", Array(String(first).utf8))) }
                return Response.json(.ok, members: members)
            }
        }
    }
}
