public import DojoAPI
import DojoCluster
import DojoDomain
public import DojoGateway
import DojoHooks
public import DojoIdentity
public import DojoRuntime
public import DojoStorage
import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
public import Prometheus
import ServiceLifecycle

/// The application and the parts tests and commands reach into.
public struct DojoPoolServer: Sendable {
    /// The Hummingbird application: run it (`runService()`) or test it (`test(.live)`).
    public var application: Application<RouterResponder<AppRequestContext>>
    /// The storage (also a service of `application`).
    public var storage: any Storage
    /// The group-commit writer (also a service of `application`).
    public var eventLog: EventLogWriter
    /// The actor runtime (also a service of `application`).
    public var runtime: Runtime
    /// The WebSocket gateway at `/v1/ws`.
    public var gateway: Gateway
    /// The access-token issuer (tests mint tokens with it).
    var tokens: AccessTokens
    /// Every route the router holds, as `METHOD /path/{parameter}` (the OpenAPI document's
    /// operations must be exactly these: `OpenAPITests`).
    public var routes: [String]
}

/// Opens the storage the configuration selects: Postgres when `database.url` is set, else SQLite.
public func openStorage(_ configuration: ServerConfiguration, logger: Logger) async throws -> any Storage {
    if let url = configuration.databaseURL {
        return try PostgresStorage(url: url, logger: logger)
    }
    return try await SQLiteStorage.open(path: configuration.sqlitePath, logger: logger)
}

/// The signing keys of `auth.keys.path`, created (mode 0600) when the file does not exist.
public func loadOrCreateSigningKeys(_ configuration: ServerConfiguration, logger: Logger) throws -> SigningKeyFile {
    if let file = try SigningKeyFile.load(path: configuration.keysPath) { return file }
    let file = SigningKeyFile.generate()
    try file.write(path: configuration.keysPath)
    logger.notice("created signing keys", metadata: ["auth.keys.path": "\(configuration.keysPath)", "kid": "\(file.signing)"])
    return file
}

/// The composition root, used by `dojopool serve` and by the tests.
///
/// Services run in this order and stop in the reverse one: storage, event-log writer, actor runtime,
/// notification delivery (email and push), partner webhooks, WebSocket gateway, HTTP server.
/// On SIGTERM/SIGINT the server stops accepting and finishes in-flight requests, the gateway closes
/// every socket with 1001, waits for the clients (up to 3 s) and for the socket requests in flight
/// (the gateway's `RequestTasks`), then the runtime snapshots its actors, the writer flushes its queue, and the
/// storage closes.
/// The consumers the server runs besides the runtime's own (the partners' webhooks): the legacy
/// import places them at the end of what it wrote, so history is not sent to partners as news.
public let serverConsumerNames = [PartnerFeed.consumerName]

public func buildServer(
    configuration: ServerConfiguration,
    logger: Logger,
    registry: PrometheusCollectorRegistry,
    mailSender: (any MailSender)? = nil,
    loginBackoff: LoginBackoff = LoginBackoff(),
    registerKinds: @Sendable (Runtime) -> Void = { _ in },
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws -> DojoPoolServer {
    if configuration.mailTransport == .log && mailSender == nil {
        logger.warning(
            "mail.transport is log: sign-in codes are written to the log (development only; anyone who reads this log can sign in as anyone)"
        )
    }
    let storage = try await openStorage(configuration, logger: logger)
    let eventLog = EventLogWriter(
        storage: storage,
        configuration: configuration.writerConfiguration,
        logger: logger
    )
    let hooks: [any EventConsumer] = [PartnerFeed(storage: storage)]
    let webhooks = PartnerWebhooks(storage: storage, configuration: configuration.partners, logger: logger)
    let mail = mailSender ?? configuration.mailSender(logger: logger)
    let delivery = NotificationDelivery(
        storage: storage,
        configuration: configuration.notifications,
        mail: mail,
        push: configuration.notifications.push.map { WebhookPushSender(configuration: $0) },
        logger: logger
    )
    var runtimeConfiguration = configuration.runtime
    runtimeConfiguration.notificationChannels = delivery.channels
    runtimeConfiguration.tracing = configuration.tracing.enabled
    let redis = try configuration.redisURL.map { RedisClient(endpoint: try RedisEndpoint(url: $0)) }
    let membership = Membership(redis: redis, configuration: configuration.cluster, host: configuration.host, logger: logger)
    // Several nodes (Redis and the shared secret): one owner per actor, the others forward to it.
    var ownership: ClusterOwnership?
    var forwarder: NodeForwarder?
    if let url = configuration.redisURL {
        if let secret = configuration.cluster.secret {
            let owners = RedisOwnership(
                redis: RedisClient(endpoint: try RedisEndpoint(url: url), name: configuration.cluster.nodeID + ":owners"),
                cluster: configuration.cluster.name
            )
            ownership = ClusterOwnership(owners: owners, membership: membership, node: configuration.cluster.nodeID, logger: logger)
            forwarder = NodeForwarder(membership: membership, secret: secret, lease: configuration.cluster.ttl)
        } else {
            logger.warning(
                "cluster: redis.url without cluster.secret: actors are not owned across nodes (each node runs what it is asked; a stale one is fenced by the log); set cluster.secret to forward to one owner"
            )
        }
    }
    let runtime = Runtime(
        writer: eventLog,
        storage: storage,
        configuration: runtimeConfiguration,
        logger: logger,
        consumers: hooks,
        ownership: ownership,
        forwarder: forwarder
    )

    let tokens = try await AccessTokens(
        file: try loadOrCreateSigningKeys(configuration, logger: logger),
        issuer: configuration.tokenIssuer,
        audience: configuration.tokenAudience,
        lifetime: Double(configuration.tokenLifetime.components.seconds)
    )
    let hasher = PasswordHasher()
    let accounts = Accounts(storage: storage, hasher: hasher, dummyHash: try await hasher.hash(UUID().uuidString))
    // Kinds beyond the built-in ones register before the routes are laid out (docs/adding-an-entity.md).
    registerKinds(runtime)
    // The cluster's seams (docs/cluster.md): with Redis, rooms and presence span every node that
    // shares it; alone, they stay in process.
    let node = configuration.cluster.nodeID
    let bus: any RoomBus
    let presence: any PresenceStore
    var redisBus: RedisRoomBus?
    if let url = configuration.redisURL {
        let endpoint = try RedisEndpoint(url: url)
        let roomBus = RedisRoomBus(
            publisher: RedisClient(endpoint: endpoint, name: node + ":rooms"),
            subscriber: RedisSubscriber(endpoint: endpoint, name: node + ":subscriber"),
            cluster: configuration.cluster.name,
            node: node
        )
        let store = RedisPresenceStore(redis: RedisClient(endpoint: endpoint, name: node + ":presence"), cluster: configuration.cluster.name)
        membership.forgetting { try await store.expire(node: $0) }
        (bus, presence, redisBus) = (roomBus, store, roomBus)
    } else {
        (bus, presence) = (LocalRoomBus(), LocalPresenceStore())
    }
    // Several nodes with one owner per actor: Socket.IO's session ids name their node, and any
    // node relays a session's polls to it (no sticky sessions needed at the load balancer).
    var gatewayConfiguration = configuration.gateway
    var socketIORelay: SocketIORelay?
    if forwarder != nil {
        if Gateway.isSocketIONodeTag(node) {
            gatewayConfiguration.socketIONode = node
            socketIORelay = SocketIORelay(node: node, membership: membership, pollSeconds: configuration.gateway.heartbeatSeconds)
        } else {
            logger.warning(
                "cluster: cluster.node.id has characters a Socket.IO session id cannot carry (letters, digits, '-', '.', '_'): long-polling sessions need sticky sessions at the load balancer",
                metadata: ["cluster.node": "\(node)"]
            )
        }
    }
    let gateway = Gateway(
        configuration: gatewayConfiguration,
        runtime: runtime,
        logger: logger,
        bus: bus,
        presence: presence,
        nodeID: configuration.cluster.nodeID
    ) { credential in
        do throws(WireError) {
            switch try await tokens.verifyBearer(credential) {
            case (.user(let principal), let expiresAt): return .success(.user(principal, expiresAt: expiresAt))
            case (.device(let id, let venueID, let tableID), let expiresAt):
                return .success(.device(DeviceBinding(id: id, venueID: venueID, tableID: tableID), expiresAt: expiresAt))
            }
        } catch {
            return .failure(GatewayRefusal(code: error.code, message: error.message))
        }
    }

    redisBus?.onReconnect { [weak gateway] in gateway?.resynchronize() }
    membership.countConnections { gateway.openConnections }
    var settings = RESTAPI.Settings()
    settings.corsOrigins = configuration.corsOrigins
    settings.trustedProxies = configuration.trustedProxies
    settings.tracing = configuration.tracing.enabled
    settings.writesPerMinute = configuration.writesPerMinute
    settings.readsPerMinute = configuration.readsPerMinute
    settings.authRequestsPerMinute = configuration.authRequestsPerMinute
    settings.serviceKey = configuration.serviceKey
    settings.allowHTTPWebhooks = configuration.environment == .development
    settings.oidcProviders = configuration.oidc.map { name, provider in
        OIDCProviders.Provider(name: name, issuers: OIDCProviders.issuers[name] ?? [], audience: provider.audience, jwks: provider.jwks)
    }
    settings.clusterSecret = configuration.cluster.secret
    let api = RESTAPI(
        settings: settings,
        parts: RESTAPI.Parts(
            storage: storage,
            runtime: runtime,
            gateway: gateway,
            tokens: tokens,
            accounts: accounts,
            mail: mail,
            loginBackoff: loginBackoff,
            redis: redis,
            membership: membership,
            readiness: Readiness(storage: storage, redis: redis, timeout: configuration.readinessTimeout, membership: membership),
            registry: registry,
            socketIORelay: socketIORelay,
            forwarding: forwarder != nil
        ),
        logger: logger
    )
    var application = Application(
        router: api.router,
        server: HTTPServerBuilder { responder in
            GatewayChannel(
                responder: responder,
                gateway: gateway,
                limits: configuration.httpLimits,
                addresses: AddressConnectionLimiter(limit: configuration.httpLimits.connectionsPerAddress, exempt: Set(configuration.trustedProxies)),
                logger: logger
            )
        },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dojopool"),
        // The membership and the forwarder stop after the runtime: its last commands may still forward.
        services: [storage, eventLog, membership] + (forwarder.map { [$0] } ?? []) + (socketIORelay.map { [$0] } ?? []) + [
            runtime, delivery, webhooks, gateway,
        ],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            membership.listening(on: port)
            logger.notice(
                "dojopool listening",
                metadata: [
                    "http.address": "\(configuration.host):\(port)",
                    "storage": "\(storage.backend.rawValue)",
                    "cluster": "\(redis == nil ? "in-process" : "redis")",
                ]
            )
            await onServerRunning(port)
        },
        logger: logger
    )
    let migrateOnStart = configuration.migrateOnStart
    let commentaryHook = configuration.commentaryHook
    application.beforeServerStarts {
        if migrateOnStart {
            let applied = try await storage.migrate(logger: logger)
            logger.info("migrations up to date", metadata: ["migrations.applied_now": "\(applied.map(\.description))"])
        }
        // The commentary hook is one of the partners: configured here, sent by their outbox.
        do {
            try await CommentaryHook.configure(commentaryHook, storage: storage, now: Date())
        } catch {
            logger.error("the commentary hook could not be configured", metadata: ["error": "\(String(reflecting: error))"])
        }
        runtime.storageReady()
    }
    return DojoPoolServer(
        application: application,
        storage: storage,
        eventLog: eventLog,
        runtime: runtime,
        gateway: gateway,
        tokens: tokens,
        routes: api.routes
    )
}

extension ServerConfiguration {
    /// The sender of the configured transport (nil: none configured).
    func mailSender(logger: Logger) -> (any MailSender)? {
        switch mailTransport {
        case .none: nil
        case .log: LogMailSender(logger: logger)
        case .smtp: smtp.map { SMTPMailSender(configuration: $0, heloName: cluster.nodeID, logger: logger) }
        }
    }
}
