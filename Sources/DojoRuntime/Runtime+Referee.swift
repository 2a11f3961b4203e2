public import DojoDomain

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
            throw DomainError(.conflict, "referee.no_live_match", "table \(tableID) has no live match: start the match before sending shots (frames still flow)")
        }
        if let named, named != live, !table.liveMatches.contains(named) {
            throw DomainError(.conflict, "referee.wrong_match", "match \(named) is not live at table \(tableID) (\(live) is)")
        }
        return named ?? live
    }

    /// A correction names whether its sender administers the match's venue (the match itself only
    /// knows its scorer); every other command is returned unchanged.
    public func authorize(_ command: Match.Command, match id: String, principal: Principal) async throws -> Match.Command {
        guard case .correct(let reason, _) = command, !principal.isAdmin else { return command }
        let (match, _) = try await matches.read(id)
        guard let venueID = match.venueID, principal.userID != match.scorer else { return command }
        let (venue, _) = try await venues.read(venueID)
        return .correct(reason: reason, venueAdmin: venue.isVenueAdmin(principal.userID))
    }
}
