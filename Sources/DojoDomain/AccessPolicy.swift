/// The one place that decides whether an identity may act on a resource, outside the commands'
/// own rules (each aggregate's `decide` calls it for its permission checks too). Pure: the REST
/// handlers, the WebSocket gateway and the aggregates all ask it, so a rule changes in one place.
/// A refusal is `forbidden` (403 on REST, an `error` on the socket) and changes nothing.
public enum AccessPolicy {
    public enum Action: Sendable {
        /// Register a venue (VENUE_ADMIN or ADMIN).
        case registerVenue
        /// Run a venue: tables, maintenance, devices (its owner, its admins, or ADMIN).
        case administerVenue(Venue.State)
        /// Appoint or remove a venue's admins (its owner or ADMIN).
        case ownVenue(Venue.State)
        /// Platform administration: roles, the audit log (ADMIN).
        case administerPlatform
        /// Follow the private room of `userID` (that user or ADMIN).
        case followUserRoom(userID: String)
        /// Follow a clan's room (its members or ADMIN).
        case followClanRoom(isMember: Bool)
        /// Follow a challenge's room (its two players or ADMIN).
        case followChallengeRoom(isPlayer: Bool)
        /// Put a match on one of a venue's tables: its staff, ADMIN, one of the match's players
        /// checked in at the venue (within ``Venue/checkInValidityMilliseconds``), or anyone when
        /// the venue opened its tables.
        case useTable(Venue.State, tableID: String, players: [String], now: Timestamp)
        /// End, cancel or move a match on one of the venue's tables (its staff or ADMIN).
        case superviseTable(Venue.State)
        /// Act for a clan by rank (leader > COLEADER > OFFICER > MEMBER); ADMIN moderates any clan.
        case leadClan(Clan.State, ClanAction)
    }

    /// What a clan command asks of the sender's rank.
    public enum ClanAction: Sendable {
        /// Change the description: COLEADER or the leader.
        case describe
        /// Invite players, answer their requests, withdraw invitations: OFFICER or higher.
        case recruit
        /// Act on a member (remove them; with `role`, give them that role): the sender outranks the
        /// member, and the role given.
        case outrank(String, role: ClanRole?)
        /// Hand over the leadership or disband: the leader.
        case lead
    }

    public static func check(_ principal: Principal, _ action: Action) throws(DomainError) {
        let allowed: Bool
        let message: String
        switch action {
        case .registerVenue:
            allowed = principal.isAdmin || principal.role == .venueAdmin
            message = "a venue is registered by a venue admin or an admin"
        case .administerVenue(let venue):
            allowed = principal.isAdmin || venue.isVenueAdmin(principal.userID)
            message = "only the venue's owner, its admins or an admin may do this"
        case .ownVenue(let venue):
            allowed = principal.isAdmin || (principal.userID != nil && principal.userID == venue.ownerID)
            message = "only the venue's owner or an admin may do this"
        case .administerPlatform:
            allowed = principal.isAdmin
            message = "administration needs the ADMIN role"
        case .followUserRoom(let userID):
            allowed = principal.isAdmin || principal.userID == userID
            message = "user:\(userID) is private to that user"
        case .followClanRoom(let isMember):
            allowed = principal.isAdmin || isMember
            message = "clan rooms are for the clan's members"
        case .followChallengeRoom(let isPlayer):
            allowed = principal.isAdmin || isPlayer
            message = "a challenge's room is for its two players"
        case .useTable(let venue, let tableID, let players, let now):
            let player = principal.userID.map(players.contains) ?? false
            allowed =
                principal.isAdmin || venue.isVenueAdmin(principal.userID) || venue.openTables
                || (player && venue.isCheckedIn(principal.userID, at: now))
            message = "table \(tableID) of venue \(venue.id) takes matches from its staff and from players checked in there (check in first)"
        case .superviseTable(let venue):
            allowed = principal.isAdmin || venue.isVenueAdmin(principal.userID)
            message = "only the venue's owner, its admins or an admin may do this"
        case .leadClan(let clan, let clanAction):
            let rank = clan.rank(of: principal.userID) ?? -1
            switch clanAction {
            case .describe:
                allowed = principal.isAdmin || rank >= 2
                message = "only the clan's leader and co-leaders may do this"
            case .recruit:
                allowed = principal.isAdmin || rank >= 1
                message = "only the clan's officers, co-leaders and leader may do this"
            case .outrank(let member, let role):
                let target = clan.rank(of: member) ?? -1
                allowed = principal.isAdmin || (rank > target && role.map { rank > Clan.rank($0) } ?? true && rank >= 1)
                message = "you may act only on members below your rank, and give only roles below your own"
            case .lead:
                allowed = principal.isAdmin || rank == 3
                message = "only the clan's leader may do this"
            }
        }
        guard allowed else { throw DomainError(.forbidden, "forbidden", message) }
    }
}
