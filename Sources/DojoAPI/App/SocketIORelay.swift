import AsyncHTTPClient
import DojoGateway
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// Socket.IO's long-polling requests for a session another node holds, relayed to that node
/// (docs/cluster.md, "Socket.IO long-polling"): a session id names the node that opened it
/// (`<random>~<node>`), so a load balancer need not keep a session's polls on one node. The
/// holder is found in the membership; the answer is relayed as the holder gave it. Its own pool of
/// kept-alive connections, with a read timeout past the long poll's wait.
public final class SocketIORelay: Service, Sendable {
    let node: String
    let addresses: NodeAddresses
    let client: HTTPClient
    let timeout: TimeAmount

    /// `pollSeconds`: how long a poll may wait for packets (the gateway's heartbeat).
    public init(node: String, membership: Membership, pollSeconds: Int) {
        self.node = node
        addresses = NodeAddresses(membership: membership)
        timeout = .seconds(Int64(pollSeconds) + 10)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.timeout = .init(connect: .seconds(2), read: timeout)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The holder's answer when `query` names a session of another node; nil for this node's own
    /// (and for requests of no session: a handshake opens the session where it lands), and for a
    /// request the gateway refuses anyway (another protocol version or transport): refused here,
    /// not sent on.
    func relayIfElsewhere(method: HTTPRequest.Method, query: [String: String], rawQuery: String, body: [UInt8]?) async -> EngineIOResponse? {
        guard Gateway.engineIOQueryRefusal(query) == nil, let sid = query["sid"], let holder = Gateway.socketIONode(ofSessionID: sid),
            holder != node
        else { return nil }
        let address: String?
        do {
            address = try await addresses.address(of: String(holder), rereadOnMiss: false)
        } catch {
            Self.count("no_membership")
            return .error(1, "Session ID unknown: its node could not be looked up", status: 503)
        }
        guard let address else {
            // Its node is gone (or never was): so is the session; the client opens a new one.
            Self.count("unknown_node")
            return .error(1, "Session ID unknown")
        }
        // The query as the client sent it (the holder reads it as this node did); concurrent
        // long polls to one holder share the pool's 256 connections (more wait for one).
        var outgoing = HTTPClientRequest(url: address + Gateway.socketIOPath + "/?" + rawQuery)
        outgoing.method = HTTPMethod(rawValue: method.rawValue)
        if let body {
            outgoing.headers.add(name: "Content-Type", value: "text/plain;charset=UTF-8")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            let answer = try await response.body.collect(upTo: 16 << 20)
            Self.count("relayed")
            return EngineIOResponse(
                status: Int(response.status.code),
                contentType: response.headers.first(name: "Content-Type") ?? "text/plain; charset=UTF-8",
                body: Array(answer.readableBytesView)
            )
        } catch {
            // The holder did not answer: its session is as good as gone for this client, which
            // opens a new one and recovers with `since`.
            addresses.forget()
            Self.count("failed")
            return .error(1, "Session ID unknown: its node did not answer", status: 503)
        }
    }

    private static func count(_ outcome: String) {
        Counter(label: "dojo_socketio_relayed_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Keeps the pool until graceful shutdown, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}
