import DojoDomain
import Foundation

extension EntityRegistration {
    /// Matches: `POST /v1/matches/{id}/commands` and the socket's `command` take a
    /// ``MatchCommandBody``; the runtime checks what the match cannot know (its table's venue).
    static func match(_ directory: EntityDirectory<Match>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "matches",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, _ in
                let decoded = try JSONDecoder().decode(MatchCommandBody.self, from: body)
                do throws(DomainError) {
                    return (try decoded.command(), decoded.idempotencyKey)
                } catch {
                    // An unknown type or a missing field is a malformed request (400), as before.
                    throw WireError(status: 400, code: error.code, message: error.message)
                }
            },
            authorize: { [weak runtime] command, id, principal in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.authorize(command, match: id, principal: principal)
            }
        )
    }

    /// Venues: a ``VenueCommandBody``; the references a command names are checked in the records
    /// (``Runtime/authorize(_:)-(Venue.Command)``).
    static func venue(_ directory: EntityDirectory<Venue>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "venues",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, principal in
                let decoded = try JSONDecoder().decode(VenueCommandBody.self, from: body)
                return (try decoded.command(actingUser: principal.userID), decoded.commandId)
            },
            authorize: { [weak runtime] command, _, _ in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.authorize(command)
            }
        )
    }
}
