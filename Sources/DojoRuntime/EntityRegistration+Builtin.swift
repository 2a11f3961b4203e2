import DojoDomain
import DojoStorage
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
    /// (users exist, a table id is unique across venues).
    static func venue(_ directory: EntityDirectory<Venue>, storage: any Storage) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "venues",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, principal in
                let decoded = try JSONDecoder().decode(VenueCommandBody.self, from: body)
                return (try decoded.command(actingUser: principal.userID), decoded.commandId)
            },
            authorize: { command, _, principal in
                var users: [String] = []
                switch command {
                case .grantAdmin(let user), .revokeAdmin(let user), .checkIn(let user, _): users = [user]
                default: break
                }
                if case .checkIn = command, let acting = principal.userID { users.append(acting) }
                let known = try await storage.existingIDs(in: "users", users)
                if let missing = users.first(where: { !known.contains($0) }) {
                    throw DomainError(.invalid, "venue.unknown_user", "user \(missing) does not exist")
                }
                if case .addTable(let table, _) = command, try await !storage.existingIDs(in: "venue_tables", [table]).isEmpty {
                    throw DomainError(.conflict, "venue.table_exists", "a table with id \(table) already exists")
                }
                return command
            }
        )
    }
}
