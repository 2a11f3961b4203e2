import ArgumentParser
import Crypto
import Foundation
import Histogram
import NIOCore
import NIOPosix
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@main
struct LoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dojo-loadtest",
        abstract: "Load generator for dojopool's WebSocket gateway (loopback only, bounded in count and time).",
        subcommands: [Fanout.self, Rooms.self, Venues.self, TournamentRoom.self, Commands.self, WorkerCommand.self]
    )
}

struct Common: ParsableArguments {
    @Option(help: "server port on 127.0.0.1") var port = 8080
    @Option(
        help: ArgumentHelp(
            "the nodes of one platform, as their ports on 127.0.0.1 (9000,9001,9002): subscribers are spread over them in turn; setup, scorers and publishers use the first",
            valueName: "ports"
        )
    )
    var nodes: String?
    @Option(help: "subscriber worker processes (each holds at most 19,000 connections)") var workers = 1
    @Option(help: "source addresses 127.0.0.1…127.0.0.N for subscribers") var sources = 8
    @Option(help: "warm-up seconds before the measured window") var warmup = 3.0
    @Option(help: "measured seconds") var duration = 10.0
    @Option(help: "seconds to wait for stragglers after publishing stops") var drain = 3.0
    @Option(help: "server PID (or @pidfile) for its CPU and RSS") var serverPid: String?
    @Option(help: "run id prefix for rooms and entities") var runId = "lt\(Int.random(in: 1000...9999))"
    @Flag(help: "print the result as one JSON object") var json = false
    @Flag(help: "subscribers speak Socket.IO (Engine.IO 4 over WebSocket, /socket.io/) instead of the native protocol")
    var socketio = false

    func validate() throws {
        guard workers >= 1, workers <= 16 else { throw ValidationError("--workers is 1…16") }
        guard duration > 0, duration <= 600, warmup >= 0, warmup <= 120, drain >= 0, drain <= 60 else {
            throw ValidationError("--duration ≤ 600 s, --warmup ≤ 120 s, --drain ≤ 60 s")
        }
        guard sources >= 1, sources <= 250 else { throw ValidationError("--sources is 1…250") }
        _ = try nodePorts()
    }

    /// The nodes' ports (`--nodes`), or `--port` alone.
    func nodePorts() throws -> [Int] {
        guard let nodes else { return [port] }
        let ports = nodes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ports.isEmpty, ports.count <= 16, ports.allSatisfy({ $0.map { (1...65535).contains($0) } ?? false }) else {
            throw ValidationError("--nodes is 1…16 ports on 127.0.0.1, comma-separated (9000,9001,9002)")
        }
        return ports.compactMap { $0 }
    }

    /// Bench rooms live on the node their publisher reached: they do not cross the cluster.
    func oneNode() throws {
        guard try nodePorts().count == 1 else {
            throw ValidationError("bench rooms do not cross nodes: --nodes takes venues or tournament (rooms of real entities)")
        }
    }

    /// A plan of `kind` with the options every scenario shares.
    func plan(_ kind: Plan.Kind) -> Plan {
        var plan = Plan(kind: kind)
        plan.ports = (try? nodePorts()) ?? [port]
        plan.port = plan.ports[0]
        plan.runID = runId
        plan.sourceAddresses = sources
        plan.socketIO = socketio
        return plan
    }

    /// The server's processes (`--server-pid PID[,PID…]`, or `@file` with one or more PIDs): their
    /// CPU and RSS are summed.
    var probe: ProcessProbe? {
        guard let serverPid else { return nil }
        let text = serverPid.hasPrefix("@") ? (try? String(contentsOfFile: String(serverPid.dropFirst()), encoding: .utf8)) ?? "" : serverPid
        let pids = text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).compactMap { Int32($0) }
        return pids.isEmpty ? nil : ProcessProbe(pids: pids)
    }
}

struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One bench room, N subscribers, M messages/s of B bytes (server: DOJO_GATEWAY_BENCH_ENABLED=true)."
    )
    @OptionGroup var common: Common
    @Option(help: "subscribers") var subscribers = 1_000
    @Option(help: "messages per second published") var rate = 100.0
    @Option(help: "payload bytes") var bytes = 200

    func validate() throws {
        guard subscribers >= 1, subscribers <= 200_000 else { throw ValidationError("--subscribers is 1…200,000") }
        guard rate > 0, rate <= 100_000 else { throw ValidationError("--rate is at most 100,000") }
        try common.oneNode()
    }

    func run() async throws {
        var plan = common.plan(.fanout)
        plan.subscribers = subscribers
        try await Runner(plan: plan, common: common, label: "fanout \(subscribers) subscribers, \(rate) msg/s, \(bytes) B").run { driver, group in
            let publisher = try await connectWebSocket(group: group, host: plan.host, port: plan.port, source: nil) { _ in }
            driver.publish(handlers: [publisher], rooms: ["bench:\(plan.runID)f0"], rate: rate, bytes: bytes)
            return ["rate": rate, "bytes": Double(bytes)]
        }
    }
}

struct Rooms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "R bench rooms × S subscribers, M messages/s spread over the rooms from 4 publishers.")
    @OptionGroup var common: Common
    @Option(help: "rooms") var rooms = 1_000
    @Option(help: "subscribers per room") var perRoom = 10
    @Option(help: "messages per second in all") var rate = 1_000.0
    @Option(help: "payload bytes") var bytes = 200

    func validate() throws { try common.oneNode() }

    func run() async throws {
        var plan = common.plan(.rooms)
        plan.rooms = rooms
        plan.subscribers = perRoom
        try await Runner(plan: plan, common: common, label: "rooms \(rooms) × \(perRoom), \(rate) msg/s, \(bytes) B").run { driver, group in
            var publishers: [NIOLoopBound<WSClientHandler>] = []
            for _ in 0..<4 { publishers.append(try await connectWebSocket(group: group, host: plan.host, port: plan.port, source: nil) { _ in }) }
            driver.publish(handlers: publishers, rooms: (0..<rooms).map { "bench:\(plan.runID)r\($0)" }, rate: rate, bytes: bytes)
            return ["rate": rate, "bytes": Double(bytes)]
        }
    }
}

struct Venues: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "V venues × T tables: a live match per table, its scorer, its camera, S spectators per match, W watchers per venue."
    )
    @OptionGroup var common: Common
    @Option(help: "venues") var venues = 10
    @Option(help: "tables per venue") var tables = 8
    @Option(help: "spectators per match") var spectators = 10
    @Option(help: "watchers per venue room") var watchers = 5
    @Option(help: "scorer commands per second per table") var commandRate = 1.0
    @Option(help: "camera frames per second per table") var fps = 30.0
    @Flag(help: "scorers send only referee shots (legal misses, each a timestamped probe) instead of the command mix")
    var shots = false
    @Flag(help: "the camera devices send the referee shots (at --command-rate) instead of the scorers")
    var cameraShots = false
    @Option(help: "the server's auth.service.key (registering venues needs the VENUE_ADMIN role; default: $DOJO_AUTH_SERVICE_KEY)")
    var serviceKey = ProcessInfo.processInfo.environment["DOJO_AUTH_SERVICE_KEY"] ?? ""

    func run() async throws {
        var plan = common.plan(.venues)
        plan.socketIO = false
        plan.venues = venues
        plan.tables = tables
        plan.spectators = spectators
        plan.watchers = watchers
        guard serviceKey.utf8.count >= 32 else {
            throw ValidationError("venues needs --service-key (or DOJO_AUTH_SERVICE_KEY): the server's auth.service.key")
        }
        let (token, cameraTokens) = try await Setup(port: plan.port, serviceKey: serviceKey).venues(plan)
        try await Runner(plan: plan, common: common, label: "venues \(venues) × \(tables), \(spectators) spectators/match, \(fps) fps").run {
            driver,
            group in
            // Connect every scorer and camera first, then start them all together.
            var scorers: [(String, NIOLoopBound<WSClientHandler>)] = []
            var cameras: [(String, NIOLoopBound<WSClientHandler>)] = []
            for v in 0..<venues {
                for t in 0..<tables {
                    let source = "127.0.0.\(200 + (v * tables + t) % 50)"
                    scorers.append(
                        (
                            plan.matchID(v, t),
                            try await connectWebSocket(
                                group: group,
                                host: plan.host,
                                port: plan.port,
                                source: source,
                                headers: ["Authorization": "Bearer \(token)"]
                            ) { _ in }
                        )
                    )
                    cameras.append(
                        (
                            plan.cameraRoom(v, t),
                            try await connectWebSocket(
                                group: group,
                                host: plan.host,
                                port: plan.port,
                                source: source,
                                headers: ["Authorization": "Bearer \(cameraTokens[v * tables + t])"]
                            ) { _ in }
                        )
                    )
                }
            }
            if !cameraShots {
                for (match, scorer) in scorers { driver.score(scorer, match: match, rate: commandRate, shotsOnly: shots) }
            }
            for (_, camera) in cameras {
                driver.camera(camera, fps: fps)
                if cameraShots { driver.cameraShots(camera, rate: commandRate) }
            }
            return ["commandRate": commandRate, "fps": fps, "shotsOnly": shots ? 1 : 0, "cameraShots": cameraShots ? 1 : 0]
        }
    }
}

/// Creates the venues' users, venues, tables and live matches through the REST API.
struct Setup {
    let port: Int
    var serviceKey = ""

    func request(_ method: String, _ path: String, token: String?, actingFor user: String? = nil, _ body: [String: Any]) async throws -> [String: Any]
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let user {
            request.setValue("Bearer \(serviceKey)", forHTTPHeaderField: "Authorization")
            request.setValue(user, forHTTPHeaderField: "X-Dojo-User")
            request.setValue("VENUE_ADMIN", forHTTPHeaderField: "X-Dojo-Role")
        } else if let token {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            throw LoadError("\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self).prefix(300))")
        }
        return json
    }

    /// A signed-in user (registered on first use).
    func user(_ name: String) async throws -> (id: String, token: String) {
        let password = "load-test-password-\(name)"
        let reply: [String: Any]
        do {
            reply = try await request(
                "POST",
                "/v1/auth/register",
                token: nil,
                ["email": "\(name)@load.test", "username": name, "password": password]
            )
        } catch {
            reply = try await request("POST", "/v1/auth/login", token: nil, ["login": name, "password": password])
        }
        guard let user = reply["user"] as? [String: Any], let id = user["id"] as? String, let token = reply["accessToken"] as? String else {
            throw LoadError("no user or token in \(reply)")
        }
        return (id, token)
    }

    /// Creates the venues and, per table, a live match and a camera device signed in for the table
    /// (an Ed25519 key registered with the venue, then the challenge signed). Returns the scorer's
    /// token and the cameras' tokens (index `v * tables + t`).
    func venues(_ plan: Plan) async throws -> (String, [String]) {
        let scorer = try await user("ltscorer")
        let opponent = try await user("ltopponent")
        let started = ContinuousClock.now
        let cameras = try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
            for v in 0..<plan.venues {
                group.addTask {
                    _ = try await request(
                        "POST",
                        "/v1/venues",
                        token: nil,
                        actingFor: scorer.id,
                        ["id": plan.venueID(v), "name": "Load hall \(v)", "lat": 1.0, "lng": 2.0]
                    )
                    for t in 0..<plan.tables {
                        _ = try await request(
                            "POST",
                            "/v1/venues/\(plan.venueID(v))/tables",
                            token: scorer.token,
                            ["id": plan.tableID(v, t), "name": "Table \(t)"]
                        )
                        _ = try await request(
                            "POST",
                            "/v1/matches",
                            token: scorer.token,
                            [
                                "id": plan.matchID(v, t), "playerA": scorer.id, "playerB": opponent.id, "gameType": "9-ball", "raceTo": 99,
                                "venueId": plan.venueID(v), "tableId": plan.tableID(v, t),
                            ]
                        )
                        _ = try await request("POST", "/v1/matches/\(plan.matchID(v, t))/start", token: scorer.token, [:])
                        _ = try await request("POST", "/v1/matches/\(plan.matchID(v, t))/commands", token: scorer.token, ["type": "startRack"])
                    }
                    var tokens: [(Int, String)] = []
                    for t in 0..<plan.tables {
                        tokens.append((v * plan.tables + t, try await camera(venue: plan.venueID(v), table: plan.tableID(v, t), owner: scorer.token)))
                    }
                    return tokens
                }
            }
            var all = [String](repeating: "", count: plan.venues * plan.tables)
            for try await tokens in group { for (index, token) in tokens { all[index] = token } }
            return all
        }
        FileHandle.standardError.write(
            Data(
                "setup: \(plan.venues) venues, \(plan.venues * plan.tables) live matches and camera devices in \(ContinuousClock.now - started)\n"
                    .utf8
            )
        )
        return (scorer.token, cameras)
    }

    /// A camera device for a table: registered by the venue's owner, signed in with its key.
    func camera(venue: String, table: String, owner: String) async throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        let registered = try await request(
            "POST",
            "/v1/venues/\(venue)/devices",
            token: owner,
            ["tableId": table, "publicKey": base64URL(key.publicKey.rawRepresentation)]
        )
        guard let id = (registered["device"] as? [String: Any])?["id"] as? String else { throw LoadError("no device in \(registered)") }
        let challenge = try await request("POST", "/v1/devices/token", token: nil, ["deviceId": id])
        guard let nonce = challenge["nonce"] as? String else { throw LoadError("no nonce in \(challenge)") }
        let signature = try key.signature(for: Data(("dojopool-device-token:" + nonce).utf8))
        let answer = try await request("POST", "/v1/devices/token", token: nil, ["deviceId": id, "nonce": nonce, "signature": base64URL(signature)])
        guard let token = answer["accessToken"] as? String else { throw LoadError("no device token in \(answer)") }
        return token
    }

    private func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=",
            with: ""
        )
    }
}
