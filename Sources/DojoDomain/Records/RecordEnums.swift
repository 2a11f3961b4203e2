// The enumerations of the product's data model (seed §5), shared by the schema and the domain.

/// A user's platform role.
public enum UserRole: String, Sendable, Codable, CaseIterable { case user = "USER", venueAdmin = "VENUE_ADMIN", admin = "ADMIN" }

/// The state of a pool table at a venue.
public enum TableStatus: String, Sendable, Codable, CaseIterable { case available = "AVAILABLE", occupied = "OCCUPIED", maintenance = "MAINTENANCE" }

/// How a player checked in at a venue.
public enum CheckInMethod: String, Sendable, Codable, CaseIterable { case qr = "QR", geo = "GEO", admin = "ADMIN" }

/// A member's rank in a clan.
public enum ClanRole: String, Sendable, Codable, CaseIterable { case member = "MEMBER", officer = "OFFICER", coleader = "COLEADER" }

/// What happened to a territory.
public enum TerritoryEventType: String, Sendable, Codable, CaseIterable { case claim = "CLAIM", defend = "DEFEND", lose = "LOSE", upgrade = "UPGRADE" }

/// A tournament's lifecycle.
public enum TournamentStatus: String, Sendable, Codable, CaseIterable { case upcoming = "UPCOMING", live = "LIVE", completed = "COMPLETED", cancelled = "CANCELLED" }

/// A match's lifecycle.
public enum MatchStatus: String, Sendable, Codable, CaseIterable { case scheduled = "SCHEDULED", live = "LIVE", completed = "COMPLETED", cancelled = "CANCELLED" }

/// The kinds of event recorded against a match.
public enum MatchEventType: String, Sendable, Codable, CaseIterable {
    case shot = "SHOT", foul = "FOUL", rackStart = "RACK_START", rackEnd = "RACK_END", commentary = "COMMENTARY", system = "SYSTEM"
}

/// A challenge between two players.
public enum ChallengeStatus: String, Sendable, Codable, CaseIterable { case pending = "PENDING", accepted = "ACCEPTED", declined = "DECLINED", expired = "EXPIRED" }

/// The kind of a ledger transaction.
public enum TransactionType: String, Sendable, Codable, CaseIterable { case credit = "CREDIT", debit = "DEBIT", prize = "PRIZE", fee = "FEE", purchase = "PURCHASE" }
