public import DojoDomain
import Foundation

extension Runtime {
    /// The match a camera's shot goes to: the one live at the device's table, or the one the
    /// camera named if it is played at that table (live or not: a retry of a shot that ended the
    /// match still gets its first answer). `referee.no_live_match` when the table has none (frames
    /// still flow), `referee.wrong_match` when the camera named a match of another table.
    public func liveMatch(venueID: String, tableID: String, named: String?) async throws -> String {
        let (venue, _) = try await venues.read(venueID)
        guard let table = venue.table(tableID) else {
            throw DomainError(.notFound, "venue.unknown_table", "venue \(venueID) has no table \(tableID)")
        }
        if let named, !table.liveMatches.contains(named), EntityKey.isValidID(named) {
            let (match, _) = try await matches.read(named)
            if match.exists, match.venueID == venueID, match.tableID == tableID { return named }
        }
        guard let live = table.liveMatches.last else {
            throw DomainError(
                .conflict,
                "referee.no_live_match",
                "table \(tableID) has no live match: start the match before sending shots (frames still flow)"
            )
        }
        if let named, named != live, !table.liveMatches.contains(named) {
            throw DomainError(.conflict, "referee.wrong_match", "match \(named) is not live at table \(tableID) (\(live) is)")
        }
        return named ?? live
    }

    /// What the match itself cannot know, checked against the match's venue: a new match on a
    /// table needs the venue's consent (``AccessPolicy/Action/useTable(_:tableID:players:now:)``);
    /// a correction, an end or a cancellation names whether its sender administers the match's
    /// venue (its staff may always end or cancel a match at their tables); a move is the staff's,
    /// to a table of the venue that is free. Every other command is returned unchanged.
    public func authorize(_ command: Match.Command, match id: String, principal: Principal, now: Timestamp? = nil) async throws -> Match.Command {
        if case .moveTable(let tableID, _) = command {
            return try await authorizeMove(match: id, to: tableID, principal: principal)
        }
        guard !principal.isAdmin else { return command }
        switch command {
        case .create(let terms):
            guard let venueID = terms.venueID, let tableID = terms.tableID else { return command }
            let (venue, _) = try await venues.read(venueID)
            // A missing venue or table is reported by the caller's reference checks.
            guard venue.exists, venue.table(tableID) != nil else { return command }
            let now = now ?? Timestamp(Date())
            try AccessPolicy.check(principal, .useTable(venue, tableID: tableID, players: [terms.playerA, terms.playerB], now: now))
            return command
        case .correct(let reason, _):
            guard let venue = try await venueOf(match: id, unlessScoredBy: principal) else { return command }
            return .correct(reason: reason, venueAdmin: venue.isVenueAdmin(principal.userID))
        case .end(let winner, let reason, _):
            guard let venue = try await venueOf(match: id, unlessScoredBy: principal) else { return command }
            return .end(winner: winner, reason: reason, venueAdmin: venue.isVenueAdmin(principal.userID))
        case .cancel(let reason, _):
            guard let venue = try await venueOf(match: id, unlessScoredBy: principal) else { return command }
            return .cancel(reason: reason, venueAdmin: venue.isVenueAdmin(principal.userID))
        default:
            return command
        }
    }

    /// The staff (or ADMIN) move a match between their tables: the table must exist, be out of
    /// maintenance and hold no other live match. A match at no venue is refused by the match.
    private func authorizeMove(match id: String, to tableID: String, principal: Principal) async throws -> Match.Command {
        let (match, _) = try await matches.read(id)
        guard match.exists, let venueID = match.venueID else { return .moveTable(tableID: tableID) }
        let (venue, _) = try await venues.read(venueID)
        try AccessPolicy.check(principal, .superviseTable(venue))
        guard let table = venue.table(tableID) else {
            throw DomainError(.notFound, "venue.unknown_table", "venue \(venueID) has no table \(tableID)")
        }
        guard !table.maintenance else { throw DomainError(.conflict, "venue.table_maintenance", "table \(tableID) is in maintenance") }
        if let other = table.liveMatches.first(where: { $0 != id }) {
            throw DomainError(.conflict, "venue.table_occupied", "table \(tableID) is in use by match \(other)")
        }
        return .moveTable(tableID: tableID, venueAdmin: true)
    }

    /// The venue of a match played at one, unless `principal` scores the match (then the venue's
    /// word is not needed).
    private func venueOf(match id: String, unlessScoredBy principal: Principal) async throws -> Venue.State? {
        let (match, _) = try await matches.read(id)
        guard let venueID = match.venueID, principal.userID != match.scorer else { return nil }
        let (venue, _) = try await venues.read(venueID)
        return venue
    }
}
