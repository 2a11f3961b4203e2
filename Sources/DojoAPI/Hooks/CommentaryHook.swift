import Crypto
import DojoDomain
import DojoRuntime
import DojoStorage
public import Foundation
import Logging
import Metrics

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where commentary goes besides the match room (`commentary.hook.*`; off when no URL is set).
public struct CommentaryHookConfiguration: Sendable, Equatable {
    /// The external service's endpoint (`https://…`, or `http://` inside a private network).
    public var url: URL
    /// The HMAC-SHA256 key the requests are signed with (≥ 32 characters).
    public var secret: String
    /// How long one attempt may take.
    public var timeout: Duration

    public init(url: URL, secret: String, timeout: Duration = .seconds(2)) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }
}

/// Sends every COMMENTARY line of every match to an external commentary service: one HTTP POST per
/// line, signed, following the event log like the other consumers (so a line is sent after it is
/// durable, and again after a crash before its position was stored: at least once; the
/// `X-Dojo-Delivery` header names the event, so the receiver can drop repeats).
///
/// The request: `POST <url>` with `{"event": "COMMENTARY", "matchId", "seq", "text", "at"}` and
/// `X-Dojo-Timestamp` (Unix seconds) and `X-Dojo-Signature: sha256=<hex>`, the HMAC-SHA256 of
/// `<timestamp>.<body>` under the shared secret. A 2xx answer is a delivery; a network error, a
/// timeout, 408, 429 or a 5xx is tried twice more (after 0.2 s and 1 s); then, or on another 4xx,
/// the line is given up (logged, `dojo_commentary_hook_failures_total`) and the hook moves on, so
/// a service that is down never holds back the lines after it for long.
struct CommentaryHook: EventConsumer {
    let name = "hook.commentary"
    let kinds = [EntityKind.match]
    let configuration: CommentaryHookConfiguration
    let session: URLSession
    let logger: Logger
    private let delivered = Counter(label: "dojo_commentary_hook_deliveries_total")
    private let failed = Counter(label: "dojo_commentary_hook_failures_total")

    /// Pauses before the second and third attempts.
    static let retryDelays: [Duration] = [.milliseconds(200), .seconds(1)]

    init(configuration: CommentaryHookConfiguration, logger: Logger) {
        self.configuration = configuration
        let timeout = Double(configuration.timeout.components.seconds) + Double(configuration.timeout.components.attoseconds) / 1e18
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.timeoutIntervalForRequest = timeout
        sessionConfiguration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: sessionConfiguration)
        self.logger = logger
    }

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        for recorded in events where recorded.type == "match.commentary" {
            guard case .commentary(let text, let at) = try recorded.event(of: Match.self) else { continue }
            var body = JSONWriter(capacity: 128 + text.utf8.count)
            body.beginObject()
            body.member("at", at)
            body.member("event", "COMMENTARY")
            body.member("matchId", key.id)
            body.member("seq", recorded.sequence)
            body.member("text", text)
            body.endObject()
            await send(Data(body.bytes), delivery: "\(stream)@\(recorded.sequence)")
        }
    }

    /// The signature header's value for a body sent at `timestamp`.
    static func signature(secret: String, timestamp: Int, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    private func send(_ body: Data, delivery: String) async {
        var lastProblem = ""
        for attempt in 0...Self.retryDelays.count {
            if attempt > 0 { try? await Task.sleep(for: Self.retryDelays[attempt - 1]) }
            let timestamp = Int(Date().timeIntervalSince1970)
            var request = URLRequest(url: configuration.url)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(delivery, forHTTPHeaderField: "X-Dojo-Delivery")
            request.setValue(String(timestamp), forHTTPHeaderField: "X-Dojo-Timestamp")
            request.setValue(Self.signature(secret: configuration.secret, timestamp: timestamp, body: body), forHTTPHeaderField: "X-Dojo-Signature")
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    delivered.increment()
                    return
                }
                lastProblem = "HTTP \(status)"
                guard status == 408 || status == 429 || status >= 500 else { break }
            } catch {
                lastProblem = "\(error)"
            }
        }
        failed.increment()
        logger.warning("commentary hook gave up a line", metadata: ["delivery": "\(delivery)", "problem": "\(lastProblem)"])
    }
}
