import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Logging
import Metrics

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where commentary goes besides the match room (`commentary.hook.*`; off when no URL is set).
public typealias CommentaryHookConfiguration = HookEndpoint

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
        session = SignedRequest.session(timeout: configuration.timeout)
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

    private func send(_ body: Data, delivery: String) async {
        var lastProblem = ""
        for attempt in 0...Self.retryDelays.count {
            if attempt > 0 { try? await Task.sleep(for: Self.retryDelays[attempt - 1]) }
            let request = SignedRequest.post(configuration.url, body: body, delivery: delivery, secret: configuration.secret)
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    delivered.increment()
                    return
                }
                lastProblem = "HTTP \(status)"
                guard SignedRequest.isRetryable(status) else { break }
            } catch {
                lastProblem = "\(error)"
            }
        }
        failed.increment()
        logger.warning("commentary hook gave up a line", metadata: ["delivery": "\(delivery)", "problem": "\(lastProblem)"])
    }
}
