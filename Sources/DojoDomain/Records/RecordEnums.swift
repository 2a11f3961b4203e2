// The enumerations of the product's data model (seed §5), shared by the schema and the domain.

/// A user's platform role.
public enum UserRole: String, Sendable, Codable, CaseIterable {
    case user = "USER"
    case venueAdmin = "VENUE_ADMIN"
    case admin = "ADMIN"
}

/// The state of a pool table at a venue.
public enum TableStatus: String, Sendable, Codable, CaseIterable {
    case available = "AVAILABLE"
    case occupied = "OCCUPIED"
    case maintenance = "MAINTENANCE"
}

/// How a player checked in at a venue.
public enum CheckInMethod: String, Sendable, Codable, CaseIterable {
    case qr = "QR"
    case geo = "GEO"
    case admin = "ADMIN"
}

/// A member's rank in a clan.
public enum ClanRole: String, Sendable, Codable, CaseIterable {
    case member = "MEMBER"
    case officer = "OFFICER"
    case coleader = "COLEADER"
}

/// What happened to a territory.
public enum TerritoryEventType: String, Sendable, Codable, CaseIterable {
    case claim = "CLAIM"
    case defend = "DEFEND"
    case lose = "LOSE"
    case upgrade = "UPGRADE"
}

/// A tournament's lifecycle.
public enum TournamentStatus: String, Sendable, Codable, CaseIterable {
    case upcoming = "UPCOMING"
    case live = "LIVE"
    case completed = "COMPLETED"
    case cancelled = "CANCELLED"
}

/// A match's lifecycle.
public enum MatchStatus: String, Sendable, Codable, CaseIterable {
    case scheduled = "SCHEDULED"
    case live = "LIVE"
    case completed = "COMPLETED"
    case cancelled = "CANCELLED"
}

/// The kinds of event recorded against a match.
public enum MatchEventType: String, Sendable, Codable, CaseIterable {
    case shot = "SHOT"
    case foul = "FOUL"
    case rackStart = "RACK_START"
    case rackEnd = "RACK_END"
    case commentary = "COMMENTARY"
    case system = "SYSTEM"
}

/// A challenge between two players.
public enum ChallengeStatus: String, Sendable, Codable, CaseIterable {
    case pending = "PENDING"
    case accepted = "ACCEPTED"
    case declined = "DECLINED"
    case expired = "EXPIRED"
    // Beyond the seed (docs/challenges.md): the stakes being escrowed, the challenger withdrew,
    // the winner was paid, the stakes went back (the match was cancelled).
    case accepting = "ACCEPTING"
    case withdrawn = "WITHDRAWN"
    case settled = "SETTLED"
    case refunded = "REFUNDED"
}

/// The kind of a ledger transaction.
public enum TransactionType: String, Sendable, Codable, CaseIterable {
    case credit = "CREDIT"
    case debit = "DEBIT"
    case prize = "PRIZE"
    case fee = "FEE"
    case purchase = "PURCHASE"
}
