import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Nothing acknowledged is ever lost: the real server under concurrent commands is killed with
/// SIGKILL at a random moment, restarted on the same database, and the log is checked.
@Suite("Crash: kill -9 mid-load", .serialized)
struct CrashTests {
    static let serviceKey = "crash-test-service-key-0123456789abcdef"
    static let clients = 12
    static let tables = 12

    @Test("every acknowledged command survives, nothing is half-applied, every reaction happened once", arguments: Backend.allCases)
    func killMidLoad(_ backend: Backend) async throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<3 {
            let killAfter = Duration.milliseconds(Int.random(in: 400...1_800, using: &generator))
            try await withFreshStorage(backend) { storage, _ in
                try await seedUsers(["owner"] + (0..<Self.clients * 2).map { "p\($0)" }, in: storage)
                try await Self.run(storage: storage, backend: backend, killAfter: killAfter, round: round)
            }
        }
    }

    /// One acknowledged command: its id, the match, and the sequence range the server acknowledged.
    struct Ack: Sendable {
        var match: String
        var commandID: String
        var first: Int64
        var last: Int64
    }

    static func run(storage: any Storage, backend: Backend, killAfter: Duration, round: Int) async throws {
        let environment = try await serverEnvironment(storage: storage, backend: backend)
        var server = try await ServerChild.start(environment: environment)
        let client = Client(port: server.port, key: serviceKey)

        // A venue with one table per client; each client plays matches at its table one after another.
        _ = try await client.post("/v1/venues", user: "owner", role: "VENUE_ADMIN", ["id": "hall", "name": "Hall", "lat": 1.0, "lng": 2.0])
        for table in 0..<tables {
            _ = try await client.post("/v1/venues/hall/tables", user: "owner", ["id": "t\(table)", "name": "Table \(table)"])
        }
        // The tables take matches from players checked in at the hall.
        for index in 0..<clients {
            let checkIn = try await client.post("/v1/venues/hall/check-ins", user: "p\(index * 2)", ["method": "QR"])
            #expect(checkIn.status == 200, "\(checkIn.json)")
        }

        let acks = Locked<[Ack]>([])
        let sent = Locked<[String: SentCommand]>([:])
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<clients {
                    group.addTask {
                        var matchNumber = 0
                        while !Task.isCancelled {
                            let match = "r\(round)c\(index)m\(matchNumber)"
                            let a = "p\(index * 2)"
                            let b = "p\(index * 2 + 1)"
                            let commands: [(String, [String: any Sendable])] =
                                [
                                    (
                                        "/v1/matches",
                                        [
                                            "id": match, "playerA": a, "playerB": b, "gameType": "9-ball", "raceTo": 3, "venueId": "hall",
                                            "tableId": "t\(index)",
                                        ]
                                    ),
                                    ("/v1/matches/\(match)/start", [:]),
                                ]
                                + (0..<5).map { rack in
                                    ("/v1/matches/\(match)/racks", ["winner": rack % 2 == 0 ? "A" : "B"] as [String: any Sendable])
                                }
                            for (number, (path, body)) in commands.enumerated() {
                                let commandID = "\(match)-\(number)"
                                sent.withLock { $0[commandID] = SentCommand(match: match, path: path, user: a, body: body) }
                                guard let reply = try? await client.post(path, user: a, body, commandID: commandID), reply.status < 300 else {
                                    return
                                }
                                guard let first = reply.json["firstSequence"] as? Int, let last = reply.json["sequence"] as? Int else { return }
                                acks.withLock { $0.append(Ack(match: match, commandID: commandID, first: Int64(first), last: Int64(last))) }
                            }
                            matchNumber += 1
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: killAfter)
        // Under a loaded machine (the whole suite at once) the load may start late: the kill waits
        // for more acknowledged commands than clients (at most 10 s more), then comes at once.
        for _ in 0..<500 where acks.withLock({ $0.count }) <= clients { try await Task.sleep(for: .milliseconds(20)) }
        server.kill9()
        await load.value
        let acknowledged = acks.withLock { $0 }
        #expect(acknowledged.count > clients, "the load produced too few acknowledged commands before the kill")

        // Restart on the same database.
        server = try await ServerChild.start(environment: environment)
        defer { server.stop() }
        let after = Client(port: server.port, key: serviceKey)

        // 1. Every acknowledged command's events are in the log, under its command id.
        var byStream: [String: [RecordedEvent]] = [:]
        for match in Set(acknowledged.map(\.match)) {
            byStream[match] = try await storage.readEvents(stream: "match:\(match)", after: 0, limit: 10_000)
        }
        for ack in acknowledged {
            let events = byStream[ack.match] ?? []
            let range = events.filter { $0.sequence >= ack.first && $0.sequence <= ack.last }
            #expect(range.count == Int(ack.last - ack.first + 1), "acknowledged \(ack.commandID) lost events")
            #expect(
                range.allSatisfy { field("commandId", in: $0.payload) == ack.commandID },
                "\(ack.commandID): other events at its sequence numbers"
            )
        }

        // 2. Nothing half-applied: every command in the log has all its events (a rack result is a
        //    start and an end), and the server's state is the log's state.
        for (match, events) in byStream {
            let racksStarted = events.filter { $0.type == "match.rack_started" }.count
            let racksEnded = events.filter { $0.type == "match.rack_ended" }.count
            #expect(racksStarted == racksEnded, "\(match): a rack result was half-applied")
            let reply = try await after.get("/v1/matches/\(match)")
            #expect(reply.json["sequence"] as? Int == events.count, "\(match): the restarted server's state is not the log's")
        }

        // 3. A command the client never got an answer for can be retried with its id: it is applied
        //    once (a duplicate if it had been recorded before the kill).
        let unanswered = sent.withLock { $0 }.filter { id, _ in !acknowledged.contains { $0.commandID == id } }
        for (commandID, command) in unanswered {
            let reply = try await after.post(command.path, user: command.user, command.body, commandID: commandID)
            #expect(reply.status < 300 || reply.status == 409 || reply.status == 422, "\(commandID): \(reply.status) \(reply.json)")
        }

        // 4. Reactions, exactly once: every match that went live occupied its table once, and every
        //    one that ended after going live freed it once; the tables show the live matches.
        var venueEvents: [RecordedEvent] = []
        var satisfied = false
        for _ in 0..<100 where !satisfied {
            venueEvents = try await storage.readEvents(stream: "venue:hall", after: 0, limit: 100_000)
            satisfied = try await reactionsComplete(storage: storage, venueEvents: venueEvents)
            if !satisfied { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(satisfied, "reactions missing after the restart")
        FileHandle.standardError.write(
            Data(
                "crash test \(backend) round \(round): killed after \(killAfter), \(acknowledged.count) acknowledged commands over \(byStream.count) matches, \(unanswered.count) unanswered retried, \(venueEvents.count) venue events\n"
                    .utf8
            )
        )
        var occupied: [String: Int] = [:]
        var released: [String: Int] = [:]
        for event in venueEvents {
            guard let match = field("matchID", in: event.payload) else { continue }
            if event.type == "venue.table_occupied" { occupied[String(match), default: 0] += 1 }
            if event.type == "venue.table_released" { released[String(match), default: 0] += 1 }
        }
        #expect(occupied.values.allSatisfy { $0 == 1 } && released.values.allSatisfy { $0 == 1 }, "a reaction was applied twice")
        let venue = try await after.get("/v1/venues/hall")
        let tables = (venue.json["venue"] as? [String: Any])?["tables"] as? [[String: Any]] ?? []
        for table in tables {
            for match in table["liveMatches"] as? [String] ?? [] {
                let state = try await after.get("/v1/matches/\(match)")
                #expect(
                    (state.json["match"] as? [String: Any])?["status"] as? String == "LIVE",
                    "table \(table["id"] ?? "") shows \(match), which is not live"
                )
            }
        }
    }

    /// True when every started match in the log has its occupancy, and every ended one its release.
    static func reactionsComplete(storage: any Storage, venueEvents: [RecordedEvent]) async throws -> Bool {
        let streams = try await storage.withSQL { db in
            try await db.raw("SELECT stream FROM event_streams WHERE stream LIKE 'match:%'").all().map {
                try $0.decode(column: "stream", as: String.self)
            }
        }
        for stream in streams {
            let events = try await storage.readEvents(stream: stream, after: 0, limit: 10_000)
            let id = String(stream.dropFirst("match:".count))
            let started = events.contains { $0.type == "match.started" }
            let ended = events.contains { $0.type == "match.completed" || $0.type == "match.cancelled" }
            let occupied = venueEvents.contains { $0.type == "venue.table_occupied" && field("matchID", in: $0.payload) == id }
            let released = venueEvents.contains { $0.type == "venue.table_released" && field("matchID", in: $0.payload) == id }
            if started != occupied || (started && ended) != released { return false }
        }
        return true
    }

    static func serverEnvironment(storage: any Storage, backend: Backend) async throws -> [String: String] {
        var environment = [
            "DOJO_AUTH_SERVICE_KEY": serviceKey,
            "DOJO_HTTP_PORT": "0",
            "DOJO_LOG_LEVEL": "notice",
            "DOJO_STORAGE_BATCH_TIMEOUT_MS": "5000",
        ]
        switch backend {
        case .postgres:
            let database = try await storage.withSQL { db in
                try await db.raw("SELECT current_database() AS name").first()!.decode(column: "name", as: String.self)
            }
            let admin = try #require(try TestServices.postgresURL())
            environment["DOJO_DATABASE_URL"] = PostgresTestDatabase.replacingDatabase(in: admin, with: database)
        case .sqlite:
            let path = try await storage.withSQL { db in
                try await db.raw("SELECT file FROM pragma_database_list WHERE name = 'main'").first()!.decode(column: "file", as: String.self)
            }
            environment["DOJO_DATABASE_SQLITE_PATH"] = path
        }
        return environment
    }
}

/// A string field anywhere in a JSON payload (Postgres re-formats JSONB, so not a substring test).
func field(_ name: String, in payload: String) -> String? {
    guard let range = payload.range(of: "\"\(name)\":\\s*\"([^\"]+)\"", options: .regularExpression) else { return nil }
    let text = payload[range]
    let afterColon = text[text.index(after: text.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces)
    return String(afterColon.dropFirst().dropLast())
}

/// A command as the load sent it.
struct SentCommand: Sendable {
    var match: String
    var path: String
    var user: String
    var body: [String: any Sendable]
}

/// A value behind a lock, shareable by escaping closures (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}

/// The real server as a child process.
struct ServerChild {
    let child: DojoPoolExecutable.Child
    let port: Int

    static func start(environment: [String: String]) async throws -> ServerChild {
        let child = try DojoPoolExecutable.start(["serve"], environment: environment, directory: try TestServices.temporaryDirectory())
        for _ in 0..<300 {
            try await Task.sleep(for: .milliseconds(100))
            let text = child.standardError + child.standardOutput
            if let range = text.range(of: #"http.address=127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last!)
            {
                return ServerChild(child: child, port: port)
            }
        }
        child.signal(SIGKILL)
        throw ServerDidNotStart(output: child.standardError)
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        var output: String
        var description: String { "the server did not report its address:\n\(output.suffix(2_000))" }
    }

    func kill9() { child.signal(SIGKILL) }
    func stop() { child.signal(SIGTERM) }
}

/// A small JSON client for the REST API, authenticated as a trusted backend acting for a user.
struct Client: Sendable {
    let port: Int
    let key: String

    struct Reply: @unchecked Sendable {
        var status: Int
        var json: [String: Any]
    }

    func post(_ path: String, user: String, role: String? = nil, _ body: [String: any Sendable], commandID: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue(user, forHTTPHeaderField: "X-Dojo-User")
        if let role { request.setValue(role, forHTTPHeaderField: "X-Dojo-Role") }
        if let commandID { request.setValue(commandID, forHTTPHeaderField: "Idempotency-Key") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        return try await send(request)
    }

    func get(_ path: String) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 10
        return try await send(request)
    }

    private func send(_ request: URLRequest) async throws -> Reply {
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, json: json)
    }
}
