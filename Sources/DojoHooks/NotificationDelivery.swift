import Crypto
import DojoDomain
public import DojoIdentity
import DojoRuntime
public import DojoStorage
public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle

/// How notifications go out by email and push (`notifications.*`; docs/notifications.md).
public struct NotificationDeliveryConfiguration: Sendable, Equatable {
    /// Emails per player in any `window` (`notifications.email.per.window`).
    public var emailLimit = 4
    /// Push messages per player in any `window` (`notifications.push.per.window`).
    public var pushLimit = 20
    /// The rate limit's window (`notifications.window.seconds`).
    public var window: Duration = .seconds(3_600)
    /// How often the outbox is read (`notifications.delivery.interval.ms`).
    public var interval: Duration = .seconds(2)
    /// The pause after a first failed attempt, doubled after each next one up to an hour
    /// (`notifications.delivery.retry.ms`).
    public var retryBase: Duration = .seconds(5)
    /// Attempts before a message is given up (`notifications.delivery.attempts`).
    public var attempts = 8
    /// The push gateway; nil: no push (the default).
    public var push: PushGatewayConfiguration?
    /// How long settled deliveries are kept (`notifications.retention.hours`; at least the window).
    public var retention: Duration = .seconds(7 * 86_400)

    public init() {}
}

/// Sends the outbox of notifications (`notification_deliveries`) by email and push: per player
/// and channel, one message for what is pending (a digest when there are several), at most
/// `emailLimit`/`pushLimit` messages in any window (``DeliveryPolicy``); the player's settings are
/// read when a message goes out, so turning a channel off also stops what waits. A failed attempt
/// is retried with a doubling pause, then given up (`failed`, with its problem). At least once: a
/// node that dies between sending and recording sends that message again when its claim lapses.
public struct NotificationDelivery: Service {
    let storage: any Storage
    let configuration: NotificationDeliveryConfiguration
    let mail: (any MailSender)?
    let push: (any PushSender)?
    let logger: Logger
    let now: @Sendable () -> Date
    /// Claims this node's (a dead node's claims lapse after a minute).
    let owner = UUID().uuidString
    let pruning = AtMostEvery(.seconds(600))

    /// The channels that can send: what new notifications are queued on.
    public var channels: [String] { (mail == nil ? [] : ["email"]) + (push == nil ? [] : ["push"]) }

    public init(
        storage: any Storage,
        configuration: NotificationDeliveryConfiguration,
        mail: (any MailSender)?,
        push: (any PushSender)?,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.storage = storage
        self.configuration = configuration
        self.mail = mail
        self.push = push
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        // A service that returns ends the group: with nothing to send, wait for the shutdown (and
        // end quietly when cancelled: a service that throws leaves the group hanging in tests).
        guard !channels.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await pollUntilShutdown(every: configuration.interval, logger: logger, problem: "notification delivery: the outbox cannot be read") {
            try await round()
        }
    }

    /// Sends what is due now (the loop's step; tests call it).
    public func round() async throws {
        if pruning.due() {
            // Kept at least a window (and the claim's minute): the limit counts the messages sent in it.
            let keep = max(configuration.retention.seconds, configuration.window.seconds + 60)
            try await storage.pruneNotificationDeliveries(settledBefore: now().addingTimeInterval(-keep))
        }
        for group in try await storage.dueDeliveryGroups(now: now(), limit: 100) {
            try await deliver(userID: group.userID, channel: group.channel)
        }
    }

    private func deliver(userID: String, channel: String) async throws {
        let now = now()
        let claimed = try await storage.claimDeliveries(userID: userID, channel: channel, now: now, lease: .seconds(60), owner: owner)
        guard !claimed.isEmpty else { return }
        let ids = claimed.map(\.notificationID)
        let labels = [("channel", channel)]

        if let reason = try await Self.refusal(of: userID, channel: channel, storage: storage) {
            try await storage.settleDeliveries(ids, channel: channel, state: "skipped", problem: reason, at: now)
            Counter(label: "dojo_notification_deliveries_skipped_total", dimensions: labels).increment(by: ids.count)
            return
        }
        let policy = DeliveryPolicy(limit: channel == "email" ? configuration.emailLimit : configuration.pushLimit, window: configuration.window)
        let sent = try await storage.deliveryTimes(userID: userID, channel: channel, since: now.addingTimeInterval(-configuration.window.seconds))
        if case .wait(let until) = policy.decide(sent: sent, now: now) {
            try await storage.postponeDeliveries(ids, channel: channel, until: until, attempted: false)
            Counter(label: "dojo_notification_deliveries_held_total", dimensions: labels).increment(by: ids.count)
            return
        }

        let items = claimed.map { NotificationMessage.Item(id: $0.notificationID, type: $0.type, payload: $0.payload, createdAt: $0.createdAt) }
        let message = NotificationMessage.compose(items)
        let messageID = Self.messageID(channel: channel, ids: ids)
        do {
            try await send(message, items: items, messageID: messageID, userID: userID, channel: channel)
            try await storage.settleDeliveries(ids, channel: channel, state: "sent", messageID: messageID, at: now)
            Counter(label: "dojo_notification_messages_total", dimensions: labels + [("kind", message.isDigest ? "digest" : "single")]).increment()
        } catch {
            let failure = error as? DeliveryFailure ?? DeliveryFailure(retryable: true, "\(error)")
            let attempts = (claimed.map(\.attempts).max() ?? 0) + 1
            Counter(label: "dojo_notification_delivery_failures_total", dimensions: labels).increment()
            if failure.retryable, attempts < configuration.attempts {
                let pause = min(configuration.retryBase.seconds * pow(2, Double(attempts - 1)), 3_600)
                try await storage.postponeDeliveries(
                    ids,
                    channel: channel,
                    until: now.addingTimeInterval(pause),
                    attempted: true,
                    problem: failure.description
                )
            } else {
                try await storage.settleDeliveries(ids, channel: channel, state: "failed", problem: failure.description, at: now)
                logger.warning(
                    "notification delivery gave up a message",
                    metadata: ["user.id": "\(userID)", "channel": "\(channel)", "attempts": "\(attempts)", "problem": "\(failure.description)"]
                )
            }
        }
    }

    private func send(
        _ message: NotificationMessage,
        items: [NotificationMessage.Item],
        messageID: String,
        userID: String,
        channel: String
    )
        async throws
    {
        switch channel {
        case "email":
            guard let mail, let user = try await storage.user(id: userID) else { throw DeliveryFailure(retryable: false, "no mail sender") }
            let footer = "\nTurn these emails off in your settings (notifications.email).\n"
            try await mail.send(to: user.email, subject: message.subject, body: message.body + footer)
        case "push":
            guard let push else { throw DeliveryFailure(retryable: false, "no push sender") }
            try await push.push(
                PushMessage(
                    messageID: messageID,
                    userID: userID,
                    title: message.subject,
                    body: message.body,
                    isDigest: message.isDigest,
                    notifications: items
                )
            )
        default:
            throw DeliveryFailure(retryable: false, "unknown channel \(channel)")
        }
    }

    /// A message's id: the same for the same notifications on the same channel, so that a retry
    /// after a lost answer is recognisable as a repeat (`X-Dojo-Delivery`).
    static func messageID(channel: String, ids: [String]) -> String {
        let digest = SHA256.hash(data: Data(([channel] + ids.sorted()).joined(separator: "\n").utf8))
        return "msg-" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Why a player gets nothing on a channel now, if so: the channel is off in their settings,
    /// or the account is deleted (its address is not a real one).
    static func refusal(of userID: String, channel: String, storage: any Storage) async throws -> String? {
        guard let user = try await storage.user(id: userID), !user.email.hasSuffix("@deleted.invalid") else { return "no such player" }
        let settings = try await storage.settings(of: userID)
        switch channel {
        case "email": return settings.emailNotifications ? nil : "email notifications are off"
        case "push": return settings.pushNotifications ? nil : "push notifications are off"
        default: return "unknown channel"
        }
    }
}
