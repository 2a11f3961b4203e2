import Foundation

/// A pool hall and its tables. A table is AVAILABLE, OCCUPIED by a live match (set by reactions to
/// the match's events) or in MAINTENANCE (set by the venue's admins).
public enum Venue: Aggregate {
    public static let kind = EntityKind.venue
    public static let stateFormatVersion = 2

    /// The most tables one venue holds.
    public static let maximumTables = 200
    /// The most admins one venue has besides its owner.
    public static let maximumAdmins = 50
    /// How long a check-in lets a player start matches on the venue's tables.
    public static let checkInValidityMilliseconds: Int64 = 12 * 3_600_000
    /// The most players a venue remembers as checked in (the oldest are forgotten first).
    public static let maximumPresent = 5_000

    public struct Table: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var maintenance = false
        /// The live matches at this table (normally one). A set, not a single value: reactions
        /// from different matches may arrive in any order, and a late "freed" of the previous match
        /// must not free the table under the next one.
        public var liveMatches: [String] = []

        /// The seed's table status. A live match wins over maintenance: the table is in use.
        public var status: TableStatus {
            if !liveMatches.isEmpty { return .occupied }
            return maintenance ? .maintenance : .available
        }
    }

    /// A player's latest check-in at the venue.
    public struct CheckIn: Sendable, Codable, Equatable {
        public var userID: String
        public var at: Timestamp
    }

    public struct Location: Sendable, Codable, Equatable {
        public var lat: Double
        public var lng: Double
        public init(lat: Double, lng: Double) {
            self.lat = lat
            self.lng = lng
        }
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var name = ""
        public var location = Location(lat: 0, lng: 0)
        public var address: String?
        public var ownerID: String?
        /// Users who administer the venue besides its owner, sorted.
        public var admins: [String] = []
        /// Tables in the order they were added.
        public var tables: [Table] = []
        public var checkIns = 0
        /// Anyone may start a match on the tables (else: the staff, and players checked in).
        public var openTables = false
        /// Players checked in, with their latest check-in, oldest first (within the validity;
        /// private: not part of the view clients see).
        public var present: [CheckIn] = []
        public var createdAt: Timestamp?

        public init(id: String) { self.id = id }

        public func table(_ id: String) -> Table? { tables.first { $0.id == id } }

        /// True when `userID` checked in within ``Venue/checkInValidityMilliseconds`` of `now`.
        public func isCheckedIn(_ userID: String?, at now: Timestamp) -> Bool {
            guard let userID, let entry = present.last(where: { $0.userID == userID }) else { return false }
            return now.millisecondsSince1970 - entry.at.millisecondsSince1970 < Venue.checkInValidityMilliseconds
        }

        /// What clients see: everything but who is checked in.
        public var view: View {
            View(
                id: id,
                exists: exists,
                name: name,
                location: location,
                address: address,
                ownerID: ownerID,
                admins: admins,
                tables: tables,
                checkIns: checkIns,
                openTables: openTables,
                createdAt: createdAt
            )
        }

        public struct View: Sendable, Encodable, Equatable {
            public var id: String
            public var exists: Bool
            public var name: String
            public var location: Location
            public var address: String?
            public var ownerID: String?
            public var admins: [String]
            public var tables: [Table]
            public var checkIns: Int
            public var openTables: Bool
            public var createdAt: Timestamp?
        }

        /// True for the owner and the venue's admins.
        public func isVenueAdmin(_ userID: String?) -> Bool {
            guard let userID else { return false }
            return userID == ownerID || admins.contains(userID)
        }
    }

    public enum Command: Sendable, Equatable, Codable {
        case register(name: String, location: Location, address: String?, ownerID: String?)
        case addTable(id: String, name: String)
        case setMaintenance(tableID: String, on: Bool)
        case grantAdmin(userID: String)
        case revokeAdmin(userID: String)
        case checkIn(userID: String, method: CheckInMethod)
        /// Lets anyone start matches on the tables (`true`), or only the staff and players checked
        /// in (`false`, the default).
        case setOpenTables(Bool)
        /// Reaction: a match went live at the table.
        case occupyTable(tableID: String, matchID: String)
        /// Reaction: the match at the table ended.
        case releaseTable(tableID: String, matchID: String)
        /// A live match moved from one table to another (reaction to the match's move): one
        /// command, so the release and the occupation apply together and once.
        case transferMatch(matchID: String, from: String?, to: String)
    }

    public enum Event: Sendable, Codable, Equatable {
        case registered(name: String, location: Location, address: String?, ownerID: String?, at: Timestamp)
        case tableAdded(tableID: String, name: String, at: Timestamp)
        case maintenanceChanged(tableID: String, on: Bool, at: Timestamp)
        case adminGranted(userID: String, at: Timestamp)
        case adminRevoked(userID: String, at: Timestamp)
        case checkedIn(userID: String, method: CheckInMethod, at: Timestamp)
        case openTablesChanged(on: Bool, at: Timestamp)
        case tableOccupied(tableID: String, matchID: String, at: Timestamp)
        case tableReleased(tableID: String, matchID: String, at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .registered: "venue.registered"
        case .tableAdded: "venue.table_added"
        case .maintenanceChanged: "venue.maintenance_changed"
        case .adminGranted: "venue.admin_granted"
        case .adminRevoked: "venue.admin_revoked"
        case .checkedIn: "venue.checked_in"
        case .openTablesChanged: "venue.open_tables_changed"
        case .tableOccupied: "venue.table_occupied"
        case .tableReleased: "venue.table_released"
        }
    }

    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        let principal = context.principal
        if case .register(let name, let location, let address, let ownerID) = command {
            guard !state.exists else { throw DomainError(.conflict, "venue.already_exists", "venue \(state.id) already exists") }
            try AccessPolicy.check(principal, .registerVenue)
            try validName(name, "name")
            if let address { try validName(address, "address") }
            guard (-90...90).contains(location.lat), (-180...180).contains(location.lng) else {
                throw DomainError(.invalid, "venue.invalid_location", "lat must be in -90…90 and lng in -180…180")
            }
            let owner = ownerID ?? principal.userID
            if let owner { try validID(owner, "ownerId") }
            return [.registered(name: name, location: location, address: address, ownerID: owner, at: now)]
        }
        guard state.exists else { throw DomainError(.notFound, "venue.not_found", "venue \(state.id) does not exist") }

        switch command {
        case .register:
            preconditionFailure("handled above")

        case .addTable(let tableID, let name):
            try requireVenueAdmin(state, principal)
            try validID(tableID, "tableId")
            try validName(name, "name")
            guard state.table(tableID) == nil else { throw DomainError(.conflict, "venue.table_exists", "table \(tableID) already exists") }
            guard state.tables.count < maximumTables else {
                throw DomainError(.conflict, "venue.too_many_tables", "a venue holds at most \(maximumTables) tables")
            }
            return [.tableAdded(tableID: tableID, name: name, at: now)]

        case .setMaintenance(let tableID, let on):
            try requireVenueAdmin(state, principal)
            let table = try requireTable(state, tableID)
            guard table.maintenance != on else { return [] }
            if on, let match = table.liveMatches.first {
                throw DomainError(.conflict, "venue.table_occupied", "table \(tableID) is in use by match \(match)")
            }
            return [.maintenanceChanged(tableID: tableID, on: on, at: now)]

        case .grantAdmin(let userID):
            try requireOwner(state, principal)
            try validID(userID, "userId")
            guard !state.isVenueAdmin(userID) else { return [] }
            guard state.admins.count < maximumAdmins else {
                throw DomainError(.conflict, "venue.too_many_admins", "a venue has at most \(maximumAdmins) admins")
            }
            return [.adminGranted(userID: userID, at: now)]

        case .revokeAdmin(let userID):
            try requireOwner(state, principal)
            try validID(userID, "userId")
            guard state.admins.contains(userID) else { return [] }
            return [.adminRevoked(userID: userID, at: now)]

        case .checkIn(let userID, let method):
            try validID(userID, "userId")
            let isSelf = principal.userID == userID && method != .admin
            guard isSelf || principal.isAdmin || state.isVenueAdmin(principal.userID) else {
                throw DomainError(.forbidden, "forbidden", "players check themselves in; an ADMIN check-in is made by the venue's admins")
            }
            return [.checkedIn(userID: userID, method: method, at: now)]

        case .setOpenTables(let on):
            try requireVenueAdmin(state, principal)
            guard state.openTables != on else { return [] }
            return [.openTablesChanged(on: on, at: now)]

        case .occupyTable(let tableID, let matchID):
            try requireSystem(principal)
            let table = try requireTable(state, tableID)
            guard !table.liveMatches.contains(matchID) else { return [] }
            return [.tableOccupied(tableID: tableID, matchID: matchID, at: now)]

        case .transferMatch(let matchID, let from, let to):
            try requireSystem(principal)
            let target = try requireTable(state, to)
            var events: [Event] = []
            if let from, state.table(from)?.liveMatches.contains(matchID) == true {
                events.append(.tableReleased(tableID: from, matchID: matchID, at: now))
            }
            if !target.liveMatches.contains(matchID) { events.append(.tableOccupied(tableID: to, matchID: matchID, at: now)) }
            return events

        case .releaseTable(let tableID, let matchID):
            try requireSystem(principal)
            let table = try requireTable(state, tableID)
            guard table.liveMatches.contains(matchID) else { return [] }
            return [.tableReleased(tableID: tableID, matchID: matchID, at: now)]
        }
    }

    private static func requireVenueAdmin(_ state: State, _ principal: Principal) throws(DomainError) {
        try AccessPolicy.check(principal, .administerVenue(state))
    }

    private static func requireOwner(_ state: State, _ principal: Principal) throws(DomainError) {
        try AccessPolicy.check(principal, .ownVenue(state))
    }

    private static func requireSystem(_ principal: Principal) throws(DomainError) {
        guard principal.isSystem else {
            throw DomainError(.forbidden, "forbidden", "table occupancy follows the matches played there")
        }
    }

    private static func requireTable(_ state: State, _ tableID: String) throws(DomainError) -> Table {
        guard let table = state.table(tableID) else {
            throw DomainError(.notFound, "venue.unknown_table", "venue \(state.id) has no table \(tableID)")
        }
        return table
    }

    private static func validID(_ id: String, _ field: String) throws(DomainError) {
        guard EntityKey.isValidID(id) else {
            throw DomainError(.invalid, "venue.invalid_id", "\(field) must be 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
        }
    }

    private static func validName(_ text: String, _ field: String) throws(DomainError) {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= 200 else {
            throw DomainError(.invalid, "venue.invalid_text", "\(field) must be 1–200 characters")
        }
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .registered(let name, let location, let address, let ownerID, let at):
            state.exists = true
            state.name = name
            state.location = location
            state.address = address
            state.ownerID = ownerID
            state.createdAt = at
        case .tableAdded(let tableID, let name, _):
            state.tables.append(Table(id: tableID, name: name))
        case .maintenanceChanged(let tableID, let on, _):
            state.updateTable(tableID) { $0.maintenance = on }
        case .adminGranted(let userID, _):
            state.admins.append(userID)
            state.admins.sort()
        case .adminRevoked(let userID, _):
            state.admins.removeAll { $0 == userID }
        case .checkedIn(let userID, _, let at):
            state.checkIns += 1
            state.present.removeAll { $0.userID == userID || at.millisecondsSince1970 - $0.at.millisecondsSince1970 >= checkInValidityMilliseconds }
            state.present.append(CheckIn(userID: userID, at: at))
            if state.present.count > maximumPresent { state.present.removeFirst(state.present.count - maximumPresent) }
        case .openTablesChanged(let on, _):
            state.openTables = on
        case .tableOccupied(let tableID, let matchID, _):
            state.updateTable(tableID) { $0.liveMatches.append(matchID) }
        case .tableReleased(let tableID, let matchID, _):
            state.updateTable(tableID) { $0.liveMatches.removeAll { $0 == matchID } }
        }
    }
}

extension Venue.State {
    fileprivate mutating func updateTable(_ id: String, _ change: (inout Venue.Table) -> Void) {
        guard let index = tables.firstIndex(where: { $0.id == id }) else { return }
        change(&tables[index])
    }
}
