import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoHooks
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Partner webhooks")
struct PartnerWebhookTests {
    static let secret = "partner-secret-0123456789abcdef0123"

    @Test(
        "an ADMIN registers a partner; the events it asked for are POSTed, signed, in the log's order per entity; failures are retried, then dead-lettered, and replayed"
    )
    func deliveries() async throws {
        let receiver = CommentaryReceiver(path: "/hooks")
        try await receiver.application().test(.live) { service in
            let url = "http://127.0.0.1:\(service.port!)/hooks"
            let configure = { (configuration: inout ServerConfiguration) in
                configuration.partners.interval = .milliseconds(20)
                configuration.partners.retryBase = .milliseconds(50)
                configuration.partners.attempts = 3
            }
            try await withGateway(configure) { h in
                let partner: [String: Any] = [
                    "id": "league", "name": "City league", "url": url, "secret": Self.secret, "events": ["match.started", "match.completed"],
                ]
                #expect(try await h.call(.post, "/v1/admin/partners", as: "bob", partner).0 == .forbidden)
                var (status, body) = try await h.call(.post, "/v1/admin/partners", as: "alice", role: "ADMIN", partner)
                #expect(status == .created && (body["partner"] as? [String: Any])?["secret"] == nil, "\(body)")
                #expect(code(try await h.call(.post, "/v1/admin/partners", as: "alice", role: "ADMIN", partner).1) == "partner.exists")

                // The first attempt of the first event fails: it is retried, and the next event waits behind it.
                receiver.answers.withLock { $0 = [.serviceUnavailable] }
                _ = try await h.rest("/v1/matches/m1/start")
                for _ in 0..<5 { _ = try await h.rest("/v1/matches/m1/racks", as: "alice", #"{"winner":"A"}"#) }
                let got = try await receiver.waitFor(3)
                #expect(
                    got.map { $0.delivery ?? "" }.map { $0.components(separatedBy: "@").first ?? "" } == Array(repeating: "league:match:m1", count: 3)
                )
                let sequences = got.compactMap { $0.delivery?.components(separatedBy: "@").last.flatMap(Int.init) }
                #expect(sequences[0] == sequences[1] && sequences[1] < sequences[2], "the retry first, then the later event: \(sequences)")
                let last = try #require(got.last)
                let json = try #require(try JSONSerialization.jsonObject(with: last.body) as? [String: Any])
                #expect(json["type"] as? String == "match.completed" && json["entityId"] as? String == "m1" && json["kind"] as? String == "match")
                #expect(json["data"] as? [String: Any] != nil && json["partnerId"] as? String == "league")
                let timestamp = try #require(last.timestamp.flatMap(Int.init))
                #expect(last.signature == SignedRequest.signature(secret: Self.secret, timestamp: timestamp, body: last.body))

                // Down for good: three attempts, then the delivery is dead; a replay sends it again.
                receiver.answers.withLock { $0 = Array(repeating: .internalServerError, count: 3) }
                _ = try await h.rest("/v1/matches", as: "alice", #"{"id":"m2","playerA":"alice","playerB":"bob","gameType":"8-ball","raceTo":1}"#)
                _ = try await h.rest("/v1/matches/m2/start")
                _ = try await receiver.waitFor(6)
                var dead: [[String: Any]] = []
                for _ in 0..<100 {
                    (_, body) = try await h.call(.get, "/v1/admin/partners/league/deliveries?state=dead", as: "alice", role: "ADMIN")
                    dead = body["deliveries"] as? [[String: Any]] ?? []
                    if !dead.isEmpty { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(dead.count == 1 && dead.first?["attempts"] as? Int == 3 && dead.first?["problem"] as? String == "HTTP 500", "\(dead)")
                (status, body) = try await h.call(.post, "/v1/admin/partners/league/replay", as: "alice", role: "ADMIN", [:])
                #expect(status == .ok && body["replayed"] as? Int == 1)
                let replayed = try await receiver.waitFor(7)
                #expect(replayed.last?.delivery == replayed[5].delivery, "the dead delivery, sent again with its id")

                // Disabled: nothing more is sent.
                let disabled = try await h.client.execute(
                    uri: "/v1/admin/partners/league",
                    method: .delete,
                    headers: h.serviceHeaders("alice", role: "ADMIN")
                ) {
                    $0.status
                }
                #expect(disabled == .noContent)
                _ = try await h.rest("/v1/matches/m2/racks", as: "alice", #"{"winner":"A"}"#)
                await h.server.runtime.drainConsumers()
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.received.withLock { $0.count } == 7)
                #expect(code(try await h.call(.get, "/v1/admin/partners/nobody/deliveries", as: "alice", role: "ADMIN").1) == "partner.not_found")
                #expect(code(try await h.call(.post, "/v1/admin/partners/nobody/replay", as: "alice", role: "ADMIN", [:]).1) == "partner.not_found")
                #expect(try await h.call(.get, "/v1/admin/partners/league/deliveries?state=lost", as: "alice", role: "ADMIN").0 == .badRequest)
                #expect(try await h.call(.get, "/v1/admin/partners/league/deliveries?limit=100000", as: "alice", role: "ADMIN").0 == .badRequest)
                #expect(try await h.call(.get, "/v1/admin/partners", as: "bob").0 == .forbidden)
                (_, body) = try await h.call(.get, "/v1/admin/partners", as: "alice", role: "ADMIN")
                #expect((body["partners"] as? [[String: Any]])?.first?["disabled"] as? Bool == true)
            }
        }
    }

    @Test("bad registrations: the URL (https only in production), the secret, the event types, the name")
    func validation() throws {
        func partner(
            _ url: String = "https://league.example/hooks",
            secret: String = Self.secret,
            events: [String] = ["match.completed"],
            name: String = "L"
        )
            -> PartnerRoutes.PartnerBody
        {
            PartnerRoutes.PartnerBody(id: "p", name: name, url: url, secret: secret, events: events)
        }
        #expect(try partner().validated(allowHTTP: false, now: Date()).events == ["match.completed"])
        #expect(try partner(events: ["tournament.*", "challenge.settled"]).validated(allowHTTP: false, now: Date()).wants("tournament.completed"))
        for body in [
            partner("http://league.example/hooks"), partner("ftp://league.example/"), partner("https://"), partner(secret: "short"),
            partner(events: []), partner(events: ["Match.Completed"]), partner(events: ["*"]), partner(events: ["match.completed; drop"]),
            partner(name: ""), partner(name: "bad\u{7}name"),
        ] {
            #expect(throws: APIError.self) { try body.validated(allowHTTP: false, now: Date()) }
        }
        #expect(try partner("http://127.0.0.1:9/hooks").validated(allowHTTP: true, now: Date()).url == "http://127.0.0.1:9/hooks")
    }
}
