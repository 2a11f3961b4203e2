import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoHooks
@testable import DojoIdentity
@testable import DojoServer

/// A mail sender that records what it sends and fails as told.
final class ScriptedMail: MailSender {
    struct Sent: Sendable, Equatable {
        var to: String
        var subject: String
        var body: String
    }

    let sent = Mutex<[Sent]>([])
    /// Failures to throw, first to last; then success.
    let failures = Mutex<[DeliveryFailure]>([])

    func send(to address: String, subject: String, body: String) async throws {
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        sent.withLock { $0.append(Sent(to: address, subject: subject, body: body)) }
    }

    var all: [Sent] { sent.withLock { $0 } }
}

/// A push sender that records what it sends.
final class RecordedPush: PushSender {
    let sent = Mutex<[PushMessage]>([])
    func push(_ message: PushMessage) async throws { sent.withLock { $0.append(message) } }
    var all: [PushMessage] { sent.withLock { $0 } }
}

@Suite("Notification delivery: email and push")
struct NotificationDeliveryTests {
    static let secret = "push-secret-0123456789abcdef01234567"

    @Test(
        "one message per notification, a digest for what waits past the limit, settings and deletion respected, retries then given up, on both backends",
        arguments: Backend.allCases
    )
    func rounds(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["dn", "quiet", "flaky", "gone"], in: storage)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            let clock = Mutex(t0)
            let mail = ScriptedMail()
            let push = RecordedPush()
            var configuration = NotificationDeliveryConfiguration()
            configuration.emailLimit = 2
            configuration.retryBase = .seconds(10)
            configuration.attempts = 3
            let delivery = NotificationDelivery(
                storage: storage,
                configuration: configuration,
                mail: mail,
                push: push,
                logger: Logger(label: "test"),
                now: { clock.withLock { $0 } }
            )
            #expect(delivery.channels == ["email", "push"])
            var serial = 0
            func notify(_ user: String, count: Int = 1) async throws -> [String] {
                var ids: [String] = []
                for _ in 0..<count {
                    serial += 1
                    let record = NotificationRecord(
                        id: "src@\(serial):\(user):territory.lost",
                        userID: user,
                        type: "territory.lost",
                        payload: ["territoryName": "Hall \(serial)"],
                        createdAt: clock.withLock { $0 }
                    )
                    _ = try await storage.insertNotifications([record], channels: delivery.channels, due: clock.withLock { $0 })
                    ids.append(record.id)
                }
                return ids
            }
            func advance(_ seconds: Double) { clock.withLock { $0 = $0.addingTimeInterval(seconds) } }
            func state(_ id: String, _ channel: String) async throws -> DeliveryState? {
                try await storage.deliveryStates(of: id).first { $0.channel == channel }
            }

            // One notification: one email, one push, each on its own.
            let first = try await notify("dn")
            try await delivery.round()
            #expect(mail.all.map(\.subject) == ["You lost Hall 1."] && mail.all.first?.to == "dn@example.test")
            #expect(push.all.count == 1 && push.all[0].isDigest == false && push.all[0].notifications.map(\.id) == first)
            #expect(try await storage.deliveryStates(of: first[0]).map(\.state) == ["sent", "sent"])
            try await delivery.round()
            #expect(mail.all.count == 1 && push.all.count == 1, "a sent notification is not sent again")

            // The second email reaches the limit (2 an hour); three more wait, then go out as one digest.
            advance(60)
            _ = try await notify("dn")
            try await delivery.round()
            advance(60)
            let waiting = try await notify("dn", count: 3)
            try await delivery.round()
            #expect(mail.all.count == 2)
            #expect(try await state(waiting[0], "email")?.state == "pending")
            #expect(push.all.count == 3 && push.all[2].isDigest && push.all[2].notifications.count == 3, "push has room: one digest at once")
            advance(3_600 - 120 - 1)
            try await delivery.round()
            #expect(mail.all.count == 2, "still within the hour of the first email")
            advance(2)
            try await delivery.round()
            #expect(mail.all.count == 3)
            #expect(mail.all[2].subject == "DojoPool: 3 new notifications" && mail.all[2].body.contains("- You lost Hall 5."))
            let digestStates = try await waiting.asyncMap { try await state($0, "email") }
            #expect(digestStates.allSatisfy { $0?.state == "sent" } && Set(digestStates.map { $0?.messageID }).count == 1)

            // A player who turned email off gets pushes only; the outbox keeps why.
            try await storage.saveSettings(of: "quiet", SettingsRecord(emailNotifications: false), at: t0)
            let quiet = try await notify("quiet")
            try await delivery.round()
            #expect(
                try await state(quiet[0], "email")
                    == DeliveryState(channel: "email", state: "skipped", attempts: 0, problem: "email notifications are off")
            )
            #expect(try await state(quiet[0], "push")?.state == "sent")

            // The mail provider fails: tried again after 10 s, then 20 s; the third failure gives up.
            mail.failures.withLock { $0 = Array(repeating: DeliveryFailure(retryable: true, "provider down"), count: 3) }
            let flaky = try await notify("flaky")
            try await delivery.round()
            #expect(try await state(flaky[0], "email").map { ($0.state, $0.attempts) } ?? ("", 0) == ("pending", 1))
            advance(9)
            try await delivery.round()
            #expect(try await state(flaky[0], "email")?.attempts == 1, "not before the pause")
            advance(1)
            try await delivery.round()
            #expect(try await state(flaky[0], "email")?.attempts == 2)
            advance(20)
            try await delivery.round()
            #expect(try await state(flaky[0], "email") == DeliveryState(channel: "email", state: "failed", attempts: 3, problem: "provider down"))
            // A refusal that is not worth repeating is given up at once.
            mail.failures.withLock { $0 = [DeliveryFailure(retryable: false, "address rejected")] }
            let refused = try await notify("flaky")
            try await delivery.round()
            #expect(try await state(refused[0], "email")?.state == "failed")

            // A deleted account: its notifications and their deliveries go with its personal data.
            let gone = try await notify("gone")
            #expect(try await storage.anonymizeUser("gone", at: t0))
            #expect(try await storage.deliveryStates(of: gone[0]).isEmpty)
            try await delivery.round()
            #expect(try await storage.pendingDeliveryCount() == 0)
            #expect(!mail.all.contains { $0.to.hasSuffix("deleted.invalid") })
        }
    }

    @Test("live: a challenge mails its defender and pushes to the gateway, signed; with no sender nothing is queued")
    func live() async throws {
        let receiver = CommentaryReceiver(path: "/push")
        try await receiver.application().test(.live) { service in
            let mail = ScriptedMail()
            let url = try #require(URL(string: "http://127.0.0.1:\(service.port!)/push"))
            let configure = { (configuration: inout ServerConfiguration) in
                configuration.notifications.interval = .milliseconds(20)
                configuration.notifications.retryBase = .milliseconds(50)
                configuration.notifications.push = PushGatewayConfiguration(url: url, secret: Self.secret)
            }
            try await withGateway(configure, mail: mail) { h in
                // The gateway fails the first attempt: the message is tried again with the same id.
                receiver.answers.withLock { $0 = [.serviceUnavailable] }
                #expect(try await h.call(.post, "/v1/challenges", as: "alice", ["id": "dc", "defenderId": "bob"]).0 == .created)
                let attempts = try await receiver.waitFor(2)
                #expect(attempts[0].delivery == attempts[1].delivery && attempts[0].body == attempts[1].body)
                let got = attempts[1]
                let body = try #require(try JSONSerialization.jsonObject(with: got.body) as? [String: Any])
                #expect(body["userId"] as? String == "bob" && body["title"] as? String == "alice challenged you for 0 coins.")
                #expect(body["digest"] as? Bool == false && got.delivery == body["messageId"] as? String)
                let notifications = body["notifications"] as? [[String: Any]] ?? []
                #expect(notifications.first?["type"] as? String == "challenge.received")
                let timestamp = try #require(got.timestamp.flatMap(Int.init))
                #expect(got.signature == SignedRequest.signature(secret: Self.secret, timestamp: timestamp, body: got.body))
                for _ in 0..<250 where mail.all.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                #expect(mail.all.map(\.to) == ["bob@example.test"])
                #expect(mail.all.first?.body.contains("Turn these emails off") == true)
            }
        }
        // No mail transport and no push gateway (the defaults): nothing is queued.
        try await withGateway({ _ in }) { (h: GatewayHarness) async throws in
            #expect(try await h.call(.post, "/v1/challenges", as: "alice", ["id": "dc", "defenderId": "bob"]).0 == .created)
            await h.server.runtime.drainConsumers()
            #expect(try await h.server.storage.pendingDeliveryCount() == 0)
        }
    }

    @Test("configuration: limits, window and timings in range; a push URL needs a secret of 32 characters or more")
    func configuration() async throws {
        func load(_ env: [String: String]) async throws -> ServerConfiguration {
            try ServerConfiguration(
                reader: try await ServerConfiguration.makeReader(flags: [:], configFile: "Config/dojopool.json", environment: env)
            )
        }
        let defaults = try await load([:])
        #expect(defaults.notifications == NotificationDeliveryConfiguration() && defaults.notifications.push == nil)
        let set = try await load([
            "DOJO_NOTIFICATIONS_EMAIL_PER_WINDOW": "2", "DOJO_NOTIFICATIONS_PUSH_PER_WINDOW": "9", "DOJO_NOTIFICATIONS_WINDOW_SECONDS": "600",
            "DOJO_NOTIFICATIONS_DELIVERY_INTERVAL_MS": "500", "DOJO_NOTIFICATIONS_DELIVERY_RETRY_MS": "1000",
            "DOJO_NOTIFICATIONS_DELIVERY_ATTEMPTS": "3", "DOJO_NOTIFICATIONS_PUSH_URL": "https://push.example/send",
            "DOJO_NOTIFICATIONS_PUSH_SECRET": Self.secret,
        ])
        #expect(set.notifications.emailLimit == 2 && set.notifications.pushLimit == 9 && set.notifications.window == .seconds(600))
        #expect(set.notifications.interval == .milliseconds(500) && set.notifications.retryBase == .seconds(1) && set.notifications.attempts == 3)
        #expect(set.notifications.push?.url.absoluteString == "https://push.example/send" && set.notifications.push?.timeout == .seconds(5))
        for (env, key) in [
            (["DOJO_NOTIFICATIONS_EMAIL_PER_WINDOW": "0"], "notifications.email.per.window"),
            (["DOJO_NOTIFICATIONS_WINDOW_SECONDS": "-1"], "notifications.window.seconds"),
            (["DOJO_NOTIFICATIONS_DELIVERY_ATTEMPTS": "1000"], "notifications.delivery.attempts"),
            (["DOJO_NOTIFICATIONS_WINDOW_SECONDS": "7200", "DOJO_NOTIFICATIONS_RETENTION_HOURS": "1"], "notifications.retention.hours"),
            (["DOJO_NOTIFICATIONS_PUSH_URL": "https://push.example/send"], "notifications.push.secret"),
            (["DOJO_NOTIFICATIONS_PUSH_URL": "mailto:x@example.test", "DOJO_NOTIFICATIONS_PUSH_SECRET": Self.secret], "notifications.push.url"),
        ] {
            let error = await #expect(throws: ConfigurationError.self) { try await load(env) }
            #expect(error?.key == key)
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
