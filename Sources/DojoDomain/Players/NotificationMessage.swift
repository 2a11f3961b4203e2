public import Foundation

/// The words of a notification, and the message (email or push) that carries one or several
/// (docs/notifications.md, "Email and push"). Pure: the delivery service gives the pending
/// notifications of one player and one channel, and sends what comes back.
public struct NotificationMessage: Sendable, Equatable {
    /// One notification in a message.
    public struct Item: Sendable, Equatable {
        public var id: String
        public var type: String
        public var payload: [String: String]
        public var createdAt: Date

        public init(id: String, type: String, payload: [String: String], createdAt: Date) {
            self.id = id
            self.type = type
            self.payload = payload
            self.createdAt = createdAt
        }
    }

    /// An email's subject, a push notification's title.
    public var subject: String
    /// The text: one line per notification.
    public var body: String
    /// Whether it gathers several notifications.
    public var isDigest: Bool

    public init(subject: String, body: String, isDigest: Bool) {
        self.subject = subject
        self.body = body
        self.isDigest = isDigest
    }

    /// Lines listed in a digest at most; the rest are counted ("… and 12 more").
    public static let digestLines = 20

    /// One notification alone, or a digest of several, oldest first.
    public static func compose(_ items: [Item]) -> NotificationMessage {
        let ordered = items.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        guard ordered.count > 1 else {
            let line = ordered.first.map { Self.line($0.type, $0.payload) } ?? ""
            return NotificationMessage(subject: line, body: line + "\n", isDigest: false)
        }
        var body = ordered.prefix(digestLines).map { "- " + Self.line($0.type, $0.payload) }.joined(separator: "\n") + "\n"
        if ordered.count > digestLines { body += "… and \(ordered.count - digestLines) more in the app.\n" }
        return NotificationMessage(subject: "DojoPool: \(ordered.count) new notifications", body: body, isDigest: true)
    }

    /// A notification in words (English; the player's language setting is not used yet).
    public static func line(_ type: String, _ payload: [String: String]) -> String {
        let p = { (key: String) in payload[key] ?? "?" }
        switch type {
        case "challenge.received": return "\(p("from")) challenged you for \(p("stakeCoins")) coins."
        case "challenge.accepted": return "\(p("by")) accepted your challenge: match \(p("matchId"))."
        case "challenge.declined": return "\(p("by")) declined your challenge."
        case "tournament.match_ready":
            let table = payload["tableId"].map { " at table \($0)" } ?? ""
            return "Your match against \(p("opponentId")) in \(p("tournamentName")) is ready\(table)."
        case "tournament.finished": return "\(p("tournamentName")) is over: you placed \(p("place"))."
        case "territory.challenged": return "\(p("by")) challenged you for \(p("territoryName"))."
        case "territory.lost": return "You lost \(p("territoryName"))."
        case "clan.territory_lost": return "Your clan lost \(p("territoryName")): \(p("holderId")) was beaten."
        case "match.ready":
            return "Your match against \(p("opponentId")) is ready at table \(p("tableId"))."
        case "achievement.earned": return "Achievement earned: \(p("name")) (\(p("points")) points)."
        default: return "New notification: \(type)."
        }
    }
}

/// How often one player is messaged on one channel: at most `limit` messages in any `window`.
/// What arrives while the limit is reached waits, and goes out as one digest when the window lets
/// it, so a busy night sends a few messages, not fifty (docs/notifications.md).
public struct DeliveryPolicy: Sendable, Equatable {
    public var limit: Int
    public var window: Duration

    public init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// What to do now with a player's pending notifications on a channel.
    public enum Decision: Sendable, Equatable {
        /// Send one message now (all pending together when there are several).
        case send
        /// Wait until then: the limit is reached.
        case wait(until: Date)
    }

    /// `sent`: when the messages of this player and channel were sent (any order).
    public func decide(sent: [Date], now: Date) -> Decision {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        let recent = sent.filter { $0 > now.addingTimeInterval(-seconds) }.sorted()
        guard recent.count >= max(limit, 1) else { return .send }
        // A place frees up when enough of the window's messages are `window` old.
        return .wait(until: recent[recent.count - max(limit, 1)].addingTimeInterval(seconds))
    }
}
