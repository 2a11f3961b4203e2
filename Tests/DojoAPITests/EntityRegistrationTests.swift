import DojoDomain
import DojoGateway
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

/// A kind that exists only in this test target, following docs/adding-an-entity.md: a tally that
/// signed-in users add to. It borrows `EntityKind.tournament`, a kind the product has not
/// registered yet, so nothing in the gateway or REST knows it.
enum Tally: Aggregate {
    static let kind = EntityKind.tournament
    static let stateFormatVersion = 1

    struct State: Codable, Sendable, Equatable {
        var id: String
        var exists = false
        var total = 0
    }

    enum Command: Sendable, Codable { case add(Int) }

    enum Event: Codable, Sendable, Equatable, JSONWritable {
        case added(by: Int, total: Int, user: String?)

        func writeJSON(to w: inout JSONWriter) {
            switch self {
            case .added(let by, let total, let user):
                w.enumCase("added") { w in
                    w.member("by", by)
                    w.member("total", total)
                    w.member("user", user)
                }
            }
        }
    }

    static func initialState(id: String) -> State { State(id: id) }

    static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        switch command {
        case .add(let by):
            guard (1...100).contains(by) else { throw DomainError(.invalid, "tally.invalid_amount", "add 1–100 at a time") }
            guard context.principal.userID != nil else { throw DomainError(.forbidden, "forbidden", "signed-in users add") }
            return [.added(by: by, total: state.total + by, user: context.principal.userID)]
        }
    }

    static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .added(_, let total, _):
            state.exists = true
            state.total = total
        }
    }

    static func eventType(_ event: Event) -> String { "tally.added" }

    struct Body: Decodable {
        var type: String
        var by: Int?
        var commandId: String?
    }

    /// The registration: the step of docs/adding-an-entity.md that makes REST and the socket serve it.
    static func register(_ runtime: Runtime) {
        register(runtime, follow: nil)
    }

    /// The same kind with a members-only room: only alice may follow it.
    static func registerMembersOnly(_ runtime: Runtime) {
        register(runtime) { _, principal in
            guard principal.userID == "alice" else {
                throw DomainError(.forbidden, "tally.members_only", "only the tally's members follow its room")
            }
        }
    }

    static func register(_ runtime: Runtime, follow: (@Sendable (String, Principal) async throws -> Void)?) {
        runtime.register(
            EntityRegistration(
                directory: runtime.makeDirectory(Tally.self),
                collection: "tallies",
                exists: { $0.exists },
                view: { $0 },
                decode: { body, _ in
                    let decoded = try JSONDecoder().decode(Body.self, from: body)
                    guard decoded.type == "add", let by = decoded.by else {
                        throw WireError(status: 400, code: "invalid_command", message: "use {\"type\": \"add\", \"by\": n}")
                    }
                    return (.add(by), decoded.commandId)
                },
                follow: follow
            )
        )
    }
}

@Suite("Entity kinds as registrations")
struct EntityRegistrationTests {
    @Test("a kind registered in the test target gets REST, socket commands and a room, without touching the gateway")
    func testKind() async throws {
        var configuration = try testConfiguration()
        configuration.serviceKey = "ws-test-service-key-0123456789abcdef0"
        let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry, registerKinds: Tally.register)
        try await server.application.test(.live) { client in
            try await seedUsers(["alice", "bob"], in: server.storage)
            let h = GatewayHarness(server: server, client: client)
            // REST: not there yet; a command creates it; the view reads back.
            let missing = try await client.execute(uri: "/v1/tallies/t1", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(missing.0 == .notFound && missing.1.contains("tournament.not_found"))
            let (added, body) = try await h.post("/v1/tallies/t1/commands", ["type": "add", "by": 2], headers: h.serviceHeaders("alice"))
            #expect(added == .ok, "\(body)")
            #expect(body["sequence"] as? Int == 1 && body["duplicate"] as? Bool == false)
            #expect((body["tournament"] as? [String: Any])?["total"] as? Int == 2)
            let events = body["events"] as? [[String: Any]]
            #expect(events?.first?["type"] as? String == "tally.added" && events?.first?["seq"] as? Int == 1)
            let refused = try await h.post("/v1/tallies/t1/commands", ["type": "add", "by": 1_000], headers: h.serviceHeaders("alice"))
            #expect(refused.0 == .unprocessableContent && (refused.1["error"] as? [String: Any])?["code"] as? String == "tally.invalid_amount")
            let malformed = try await h.post("/v1/tallies/t1/commands", ["type": "subtract"], headers: h.serviceHeaders("alice"))
            #expect(malformed.0 == .badRequest)

            // The room: a snapshot from the registration's view, then live events.
            let spectator = try await h.socket()
            let ack = try await h.subscribe(spectator, "tournament:t1")
            #expect(ack["seq"] as? Int == 1 && ack["epoch"] as? String == "log")
            let snapshot = try await spectator.next(type: "snapshot")
            #expect((snapshot["state"] as? [String: Any])?["total"] as? Int == 2)
            // A socket command through the same registration.
            let bob = try await h.socket(as: "bob")
            try await bob.send(json: ["type": "command", "room": "tournament:t1", "command": ["type": "add", "by": 3], "commandId": "b-1", "id": 9])
            let commandAck = try await bob.next(type: "ack")
            #expect(commandAck["sequence"] as? Int == 2 && commandAck["id"] as? Int == 9)
            let live = try await spectator.next(type: "event")
            #expect(live["seq"] as? Int == 2 && live["eventType"] as? String == "tally.added")
            #expect(((live["event"] as? [String: Any])?["added"] as? [String: Any])?["user"] as? String == "bob")
            // A repeat of the command id appends nothing.
            try await bob.send(json: ["type": "command", "room": "tournament:t1", "command": ["type": "add", "by": 3], "commandId": "b-1", "id": 10])
            #expect(try await bob.next(type: "ack")["duplicate"] as? Bool == true)
            let after = try await client.execute(uri: "/v1/tallies/t1", method: .get) { try jsonObject($0.body.readableBytesView) }
            #expect(after["sequence"] as? Int == 2 && (after["tournament"] as? [String: Any])?["total"] as? Int == 5)
            // A kind with no registration is refused with a typed error.
            try await bob.send(json: ["type": "command", "room": "user:x", "command": ["type": "add", "by": 1], "id": 11])
            #expect(try await bob.next(type: "error")["code"] as? String == "command.unsupported_room")
        }
    }

    @Test("a kind's follow rule decides who may follow its room, on the socket, with the rule's own code; its REST reads stay public")
    func followRule() async throws {
        var configuration = try testConfiguration()
        configuration.serviceKey = "ws-test-service-key-0123456789abcdef0"
        let server = try await buildServer(
            configuration: configuration,
            logger: apiLogger,
            registry: sharedRegistry,
            registerKinds: Tally.registerMembersOnly
        )
        try await server.application.test(.live) { client in
            try await seedUsers(["alice", "carol"], in: server.storage)
            let h = GatewayHarness(server: server, client: client)
            let (added, body) = try await h.post("/v1/tallies/t2/commands", ["type": "add", "by": 1], headers: h.serviceHeaders("alice"))
            #expect(added == .ok, "\(body)")
            let carol = try await h.socket(as: "carol")
            try await carol.send(json: ["type": "subscribe", "room": "tournament:t2", "id": "c"])
            let refused = try await carol.next(type: "error")
            #expect(refused["code"] as? String == "tally.members_only" && refused["id"] as? String == "c")
            let alice = try await h.socket(as: "alice")
            let ack = try await h.subscribe(alice, "tournament:t2")
            #expect(ack["seq"] as? Int == 1)
            #expect((try await alice.next(type: "snapshot")["state"] as? [String: Any])?["total"] as? Int == 1)
            // The room is open on this node now: it still does not answer for a new subscriber.
            try await carol.send(json: ["type": "subscribe", "room": "tournament:t2", "id": "c2"])
            let again = try await carol.next(type: "error")
            #expect(again["code"] as? String == "tally.members_only" && again["id"] as? String == "c2")
            // A connection that never signed in meets the rule too (the gateway names no kind):
            // refused before the rule, with auth.required, also while the room is open.
            let anonymous = try await h.socket()
            try await anonymous.send(json: ["type": "subscribe", "room": "tournament:t2", "id": "a"])
            let unsigned = try await anonymous.next(type: "error")
            #expect(unsigned["code"] as? String == "auth.required" && unsigned["id"] as? String == "a", "\(unsigned)")
            let read = try await client.execute(uri: "/v1/tallies/t2", method: .get) { $0.status }
            #expect(read == .ok)
        }
    }
}
