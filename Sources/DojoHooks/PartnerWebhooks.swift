public import DojoDomain
public import DojoRuntime
public import DojoStorage
import Foundation
public import Logging
import Metrics
public import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How partner webhooks are sent (`partners.*`; docs/webhooks.md).
public struct PartnerWebhookConfiguration: Sendable, Equatable {
    /// How often the outbox is read (`partners.delivery.interval.ms`).
    public var interval: Duration = .milliseconds(500)
    /// The pause after a first failed attempt, doubled after each next one up to an hour
    /// (`partners.delivery.retry.ms`).
    public var retryBase: Duration = .seconds(1)
    /// Attempts before a delivery is dead-lettered (`partners.delivery.attempts`).
    public var attempts = 10
    /// How long one attempt may take (`partners.delivery.timeout.ms`).
    public var timeout: Duration = .seconds(5)
    /// How long delivered rows are kept (`partners.retention.hours`); dead ones stay for a replay.
    public var retention: Duration = .seconds(7 * 86_400)

    public init() {}
}

/// Queues the committed events the partners asked for (`hook.partners`): a consumer of every
/// kind's log, so a partner gets exactly the committed events, each once in the outbox however
/// often the consumer sees it.
public struct PartnerFeed: EventConsumer {
    public static let consumerName = "hook.partners"
    public let name = PartnerFeed.consumerName
    public let kinds = EntityKind.allCases
    let storage: any Storage

    public init(storage: any Storage) { self.storage = storage }

    public func handle(stream: String, events: [RecordedEvent]) async throws {
        try await handle(batch: [(stream, events)])
    }

    public func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        let partners = try await storage.partners(active: true)
        guard !partners.isEmpty else { return }
        var deliveries: [PartnerDelivery] = []
        for (stream, events) in batch {
            for recorded in events {
                for partner in partners where partner.wants(recorded.type) {
                    let body: String
                    switch partner.format {
                    case .event: body = Self.body(partner: partner.id, stream: stream, recorded)
                    case .commentary:
                        guard let line = try CommentaryHook.body(stream: stream, recorded) else { continue }
                        body = line
                    }
                    deliveries.append(
                        PartnerDelivery(partnerID: partner.id, stream: stream, sequence: recorded.sequence, type: recorded.type, body: body)
                    )
                }
            }
        }
        try await storage.queuePartnerDeliveries(deliveries, due: Date())
    }

    /// `{"deliveryId", "partnerId", "type", "stream", "kind", "entityId", "seq", "recordedAt", "data"}`
    /// where `data` is the event as the log holds it.
    static func body(partner: String, stream: String, _ recorded: RecordedEvent) -> String {
        let key = EntityKey(stream)
        var json = JSONWriter(capacity: 256 + recorded.payload.utf8.count)
        json.beginObject()
        json.key("data")
        json.raw(Array(recorded.payload.utf8))
        json.member("deliveryId", "\(partner):\(stream)@\(recorded.sequence)")
        json.member("entityId", key?.id ?? stream)
        json.member("kind", key?.kind.rawValue ?? "")
        json.member("partnerId", partner)
        json.member("recordedAt", Timestamp(recorded.recordedAt))
        json.member("seq", recorded.sequence)
        json.member("stream", stream)
        json.member("type", recorded.type)
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

/// Sends the partners' outbox (`partner_deliveries`): per partner and stream one delivery at a
/// time, in the log's order; each a POST signed like every outgoing hook (``SignedRequest``),
/// with `X-Dojo-Event: <type>`. A 2xx answer delivers it; a network error, a timeout, 408, 429 or a
/// 5xx is tried again after `retryBase`, doubling up to an hour, the stream's later events
/// waiting behind it; after `attempts`, or at once on another 4xx, it is dead-lettered and the
/// stream goes on. Dead deliveries are replayed by an ADMIN (`POST
/// /v1/admin/partners/{id}/replay`). At least once: a node that dies between sending and
/// recording sends again when its claim lapses; receivers drop repeats by `X-Dojo-Delivery`.
public struct PartnerWebhooks: Service {
    let storage: any Storage
    let configuration: PartnerWebhookConfiguration
    let logger: Logger
    let session: URLSession
    let owner = UUID().uuidString
    let pruning = AtMostEvery(.seconds(600))

    public init(storage: any Storage, configuration: PartnerWebhookConfiguration, logger: Logger) {
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
        session = SignedRequest.session(timeout: configuration.timeout)
    }

    public func run() async throws {
        await pollUntilShutdown(every: configuration.interval, logger: logger, problem: "partner webhooks: the outbox cannot be read") {
            try await round()
        }
    }

    /// Sends what is due now (the loop's step).
    func round() async throws {
        if pruning.due() {
            let pruned = try await storage.prunePartnerDeliveries(deliveredBefore: Date().addingTimeInterval(-configuration.retention.seconds))
            if pruned > 0 { logger.info("partner webhooks: delivered rows pruned", metadata: ["rows": "\(pruned)"]) }
        }
        let due = try await storage.duePartnerStreams(now: Date(), limit: 200)
        guard !due.isEmpty else { return }
        let partners = Dictionary(uniqueKeysWithValues: try await storage.partners(active: true).map { ($0.id, $0) })
        // Streams are independent: a few at once, each in its own order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = due.makeIterator()
            var running = 0
            func next() -> Bool {
                guard let (partnerID, stream) = pending.next() else { return false }
                guard let partner = partners[partnerID] else { return true }
                group.addTask { try await deliver(partner: partner, stream: stream) }
                return true
            }
            while running < 8, next() { running += 1 }
            while try await group.next() != nil { _ = next() }
        }
    }

    private func deliver(partner: PartnerRecord, stream: String) async throws {
        let now = Date()
        guard
            let delivery = try await storage.claimPartnerDelivery(partnerID: partner.id, stream: stream, now: now, lease: .seconds(60), owner: owner),
            let url = URL(string: partner.url)
        else { return }
        var request = SignedRequest.post(url, body: Data(delivery.body.utf8), delivery: delivery.id, secret: partner.secret)
        request.setValue(delivery.type, forHTTPHeaderField: "X-Dojo-Event")
        let problem: String
        let retryable: Bool
        do {
            let (_, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if (200..<300).contains(status) {
                try await storage.settlePartnerDelivery(delivery, state: "delivered", problem: nil, at: Date())
                Self.count(partner.id, "delivered")
                return
            }
            problem = "HTTP \(status)"
            retryable = SignedRequest.isRetryable(status)
        } catch {
            problem = "\(error)"
            retryable = true
        }
        let attempts = delivery.attempts + 1
        if retryable, attempts < configuration.attempts {
            let pause = min(configuration.retryBase.seconds * pow(2, Double(attempts - 1)), 3_600)
            try await storage.settlePartnerDelivery(delivery, state: "pending", retryAt: now.addingTimeInterval(pause), problem: problem, at: now)
            Self.count(partner.id, "retried")
        } else {
            try await storage.settlePartnerDelivery(delivery, state: "dead", problem: problem, at: now)
            Self.count(partner.id, "dead")
            logger.warning(
                "partner webhook dead-lettered",
                metadata: ["partner": "\(partner.id)", "delivery": "\(delivery.id)", "attempts": "\(attempts)", "problem": "\(problem)"]
            )
        }
    }

    /// `dojo_partner_deliveries_total{partner, outcome}`.
    static func count(_ partner: String, _ outcome: String) {
        Counter(label: "dojo_partner_deliveries_total", dimensions: [("partner", partner), ("outcome", outcome)]).increment()
    }
}
