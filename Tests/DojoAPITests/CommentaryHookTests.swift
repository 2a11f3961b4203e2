import Crypto
import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoHooks
@testable import DojoServer

/// A stand-in for an external service the server posts to (the commentary service, a push
/// gateway): records what it is sent, answers as told.
final class CommentaryReceiver: Sendable {
    struct Received: Sendable {
        var body: Data
        var delivery: String?
        var timestamp: String?
        var signature: String?
    }

    let received = Mutex<[Received]>([])
    /// Statuses to answer, first to last; then 200.
    let answers = Mutex<[HTTPResponse.Status]>([])
    let path: String

    init(path: String = "/commentary") { self.path = path }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post(RouterPath(path)) { request, context -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 65_536)
            self.received.withLock {
                $0.append(
                    Received(
                        body: Data(body.readableBytesView),
                        delivery: request.headers[HTTPField.Name("X-Dojo-Delivery")!],
                        timestamp: request.headers[HTTPField.Name("X-Dojo-Timestamp")!],
                        signature: request.headers[HTTPField.Name("X-Dojo-Signature")!]
                    )
                )
            }
            return self.answers.withLock { $0.isEmpty ? .ok : $0.removeFirst() }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func waitFor(_ count: Int) async throws -> [Received] {
        for _ in 0..<500 {
            let now = received.withLock { $0 }
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the receiver got \(received.withLock { $0.count }) requests, expected \(count)")
        return received.withLock { $0 }
    }
}

@Suite("Commentary hook")
struct CommentaryHookTests {
    static let secret = "hook-secret-0123456789abcdef0123456789"

    @Test(
        "every commentary line is POSTed through the partners' outbox, signed, once per event; failures are retried, a refusal is dead-lettered; the partner is the configuration's"
    )
    func delivery() async throws {
        let receiver = CommentaryReceiver()
        try await receiver.application().test(.live) { service in
            let url = try #require(URL(string: "http://127.0.0.1:\(service.port!)/commentary"))
            try await withGateway({
                $0.commentaryHook = CommentaryHookConfiguration(url: url, secret: Self.secret, timeout: .seconds(2))
                $0.partners.interval = .milliseconds(20)
                $0.partners.retryBase = .milliseconds(100)
            }) { h in
                // A golden break: one commentary line.
                _ = try await h.rest("/v1/matches", as: "alice", #"{"id":"h1","playerA":"alice","playerB":"bob","gameType":"9-ball","raceTo":3}"#)
                _ = try await h.rest("/v1/matches/h1/start", as: "alice")
                let shot = try await h.rest(
                    "/v1/matches/h1/shots",
                    as: "alice",
                    #"{"shotId":"g1","firstContact":1,"pocketed":[{"ball":9,"pocket":1}]}"#
                )
                let events = shot["events"] as? [[String: Any]] ?? []
                let commentary = try #require(events.first { $0["type"] as? String == "match.commentary" })
                let seq = try #require(commentary["seq"] as? Int)

                let got = try await receiver.waitFor(1)[0]
                #expect(got.delivery == "commentary-hook:match:h1@\(seq)")
                let body = try #require(try JSONSerialization.jsonObject(with: got.body) as? [String: Any])
                #expect(body["event"] as? String == "COMMENTARY" && body["matchId"] as? String == "h1" && body["seq"] as? Int == seq)
                #expect((body["text"] as? String)?.contains("alice") == true)
                // The signature is the HMAC-SHA256 of "<timestamp>.<body>" under the shared secret.
                let timestamp = try #require(got.timestamp.flatMap(Int.init))
                #expect(abs(timestamp - Int(Date().timeIntervalSince1970)) < 60)
                #expect(got.signature == SignedRequest.signature(secret: Self.secret, timestamp: timestamp, body: got.body))
                var forged = got.body
                forged.append(0x20)
                #expect(got.signature != SignedRequest.signature(secret: Self.secret, timestamp: timestamp, body: forged))

                // The service fails twice (503, then 500): the third attempt delivers.
                receiver.answers.withLock { $0 = [.serviceUnavailable, .internalServerError] }
                _ = try await h.rest("/v1/matches/h1/shots", as: "alice", #"{"shotId":"g2","firstContact":1,"pocketed":[{"ball":9,"pocket":2}]}"#)
                let retried = try await receiver.waitFor(4)
                #expect(Set(retried[1...3].map(\.delivery)).count == 1, "three attempts of one line")

                // A 4xx refusal is not retried; the next line still goes out.
                receiver.answers.withLock { $0 = [.badRequest] }
                _ = try await h.rest("/v1/matches/h1/shots", as: "alice", #"{"shotId":"g3","firstContact":1,"pocketed":[{"ball":9,"pocket":3}]}"#)
                _ = try await receiver.waitFor(5)
                try await Task.sleep(for: .milliseconds(1_500))
                #expect(receiver.received.withLock { $0.count } == 5, "no retry after 400")
                _ = try await h.rest("/v1/matches/h1/shots", as: "alice", #"{"shotId":"g4","firstContact":1,"pocketed":[{"ball":9,"pocket":4}]}"#)
                let all = try await receiver.waitFor(6)
                #expect(all.count == 6 && Set(all.map(\.delivery)).count == 4, "one line per rack, each its own delivery id")

                // It is a partner: listed for ADMIN with its dead-lettered line, its id reserved.
                let (_, list) = try await h.call(.get, "/v1/admin/partners", as: "root", role: "ADMIN")
                let partners = list["partners"] as? [[String: Any]] ?? []
                #expect(partners.contains { $0["id"] as? String == "commentary-hook" && $0["format"] as? String == "commentary" }, "\(list)")
                let (_, dead) = try await h.call(.get, "/v1/admin/partners/commentary-hook/deliveries?state=dead", as: "root", role: "ADMIN")
                #expect((dead["deliveries"] as? [[String: Any]])?.count == 1, "\(dead)")
                let (taken, refusal) = try await h.call(
                    .post,
                    "/v1/admin/partners",
                    as: "root",
                    role: "ADMIN",
                    ["id": "commentary-hook", "name": "x", "url": "https://x.example/", "secret": Self.secret, "events": ["match.*"]]
                )
                #expect(taken == .badRequest, "\(refusal)")
                // Without the URL at the next start, the partner is disabled.
                try await CommentaryHook.configure(nil, storage: h.server.storage, now: Date())
                #expect(try await h.server.storage.partners(active: true).contains { $0.id == "commentary-hook" } == false)
            }
        }
    }

    @Test("off by default; a URL needs a secret of 32 characters or more")
    func configuration() async throws {
        #expect(ServerConfiguration().commentaryHook == nil)
        func load(_ env: [String: String]) async throws -> ServerConfiguration {
            try ServerConfiguration(
                reader: try await ServerConfiguration.makeReader(flags: [:], configFile: "Config/dojopool.json", environment: env)
            )
        }
        #expect(try await load([:]).commentaryHook == nil)
        let on = try await load([
            "DOJO_COMMENTARY_HOOK_URL": "https://commentary.example/lines", "DOJO_COMMENTARY_HOOK_SECRET": Self.secret,
            "DOJO_COMMENTARY_HOOK_TIMEOUT_MS": "500",
        ])
        #expect(on.commentaryHook?.url.absoluteString == "https://commentary.example/lines" && on.commentaryHook?.timeout == .milliseconds(500))
        for (env, key) in [
            (["DOJO_COMMENTARY_HOOK_URL": "https://commentary.example/lines"], "commentary.hook.secret"),
            (["DOJO_COMMENTARY_HOOK_URL": "https://commentary.example/lines", "DOJO_COMMENTARY_HOOK_SECRET": "short"], "commentary.hook.secret"),
            (["DOJO_COMMENTARY_HOOK_URL": "ftp://commentary.example/", "DOJO_COMMENTARY_HOOK_SECRET": Self.secret], "commentary.hook.url"),
            (
                [
                    "DOJO_COMMENTARY_HOOK_URL": "https://x.example/", "DOJO_COMMENTARY_HOOK_SECRET": Self.secret,
                    "DOJO_COMMENTARY_HOOK_TIMEOUT_MS": "5",
                ], "commentary.hook.timeout.ms"
            ),
        ] {
            let error = await #expect(throws: ConfigurationError.self) { try await load(env) }
            #expect(error?.key == key)
            #expect(error?.description.contains(Self.secret) == false && error?.description.contains("short") == false)
        }
    }
}
