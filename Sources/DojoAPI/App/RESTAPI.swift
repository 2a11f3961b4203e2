public import DojoCluster
public import DojoGateway
public import DojoIdentity
public import DojoRuntime
public import DojoStorage
import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
public import Prometheus

/// The REST API `/v1`: its middleware and every route, laid out over the parts the composition
/// root (`DojoServer`) built. What a route needs beyond those parts (authentication, the audit
/// trail, the rate limiters) is made here, once, and shared by the routes.
public struct RESTAPI {
    /// The API's settings (read from the configuration by the composition root).
    public struct Settings: Sendable {
        public var corsOrigins: [String] = []
        public var trustedProxies: [String] = []
        /// A span per request (`tracing.enabled`).
        public var tracing = false
        public var writesPerMinute = 600
        public var readsPerMinute = 1_200
        /// Sign-in and device-token requests per client address and minute.
        public var authRequestsPerMinute = 30
        /// The backends' key (`auth.service.key`).
        public var serviceKey: String?
        /// Partners may register plain-HTTP webhooks (development only).
        public var allowHTTPWebhooks = false
        public var oidcProviders: [OIDCProviders.Provider] = []
        /// The nodes' shared secret: with forwarding on, the internal routes other nodes call.
        public var clusterSecret: String?

        public init() {}
    }

    /// The parts the routes use.
    public struct Parts: Sendable {
        public var storage: any Storage
        public var runtime: Runtime
        public var gateway: Gateway
        public var tokens: AccessTokens
        public var accounts: Accounts
        public var mail: (any MailSender)?
        public var loginBackoff: LoginBackoff
        /// Shared rate limits across nodes (nil: per node).
        public var redis: RedisClient?
        public var membership: Membership
        public var readiness: Readiness
        public var registry: PrometheusCollectorRegistry
        /// Several nodes with one owner per actor: Socket.IO polls of another node's session are
        /// relayed to it.
        public var socketIORelay: SocketIORelay?
        /// Commands are forwarded between nodes (the internal routes are served).
        public var forwarding: Bool

        public init(
            storage: any Storage,
            runtime: Runtime,
            gateway: Gateway,
            tokens: AccessTokens,
            accounts: Accounts,
            mail: (any MailSender)?,
            loginBackoff: LoginBackoff,
            redis: RedisClient?,
            membership: Membership,
            readiness: Readiness,
            registry: PrometheusCollectorRegistry,
            socketIORelay: SocketIORelay?,
            forwarding: Bool
        ) {
            self.storage = storage
            self.runtime = runtime
            self.gateway = gateway
            self.tokens = tokens
            self.accounts = accounts
            self.mail = mail
            self.loginBackoff = loginBackoff
            self.redis = redis
            self.membership = membership
            self.readiness = readiness
            self.registry = registry
            self.socketIORelay = socketIORelay
            self.forwarding = forwarding
        }
    }

    /// The router, with every route laid out.
    public let router: Router<AppRequestContext>
    /// Every route the router holds, as `METHOD /path/{parameter}` (the OpenAPI document's
    /// operations must be exactly these: `OpenAPITests`).
    public let routes: [String]

    /// Lays out the API. Kinds beyond the built-in ones must be registered with the runtime before
    /// (docs/adding-an-entity.md): the generic entity routes dispatch through the registrations.
    public init(settings: Settings, parts: Parts, logger: Logger) {
        let router = Router(context: AppRequestContext.self)
        let routeTemplates = MethodNotAllowedMiddleware.Routes()
        if settings.tracing {
            // A span per request, named by its route, continuing the caller's W3C `traceparent`;
            // the request log line below is written inside it (with its trace id).
            router.add(middleware: TracingMiddleware())
        }
        router.addMiddleware {
            RequestIDMiddleware()
            SecurityHeadersMiddleware()
            CORSAllowListMiddleware(origins: Set(settings.corsOrigins))
            ErrorEnvelopeMiddleware()
            MethodNotAllowedMiddleware(routes: routeTemplates)
            ClientAddressMiddleware(trustedProxies: Set(settings.trustedProxies))
            MetricsMiddleware()
            LogRequestsMiddleware(.info)
        }
        let (storage, runtime, redis) = (parts.storage, parts.runtime, parts.redis)
        func limiter(_ perMinute: Int, _ prefix: String) -> SharedRateLimiter {
            SharedRateLimiter(limit: perMinute, period: 60, redis: redis, prefix: prefix, logger: logger)
        }
        let authentication = Authentication(serviceKey: settings.serviceKey, tokens: parts.tokens)
        router.add(
            middleware: RateLimitMiddleware(
                writes: limiter(settings.writesPerMinute, "dojo:rl:write:"),
                reads: limiter(settings.readsPerMinute, "dojo:rl:read:"),
                authentication: authentication
            )
        )
        ClusterRoutes(authentication: authentication, membership: parts.membership).register(on: router)
        if parts.forwarding, let secret = settings.clusterSecret {
            InternalRoutes(runtime: runtime, secret: secret).register(on: router)
        }
        SystemRoutes(readiness: parts.readiness, registry: parts.registry, backend: storage.backend, redisConfigured: redis != nil)
            .register(on: router)
        let audit = AuditTrail(storage: storage, logger: logger)
        AuthRoutes(
            accounts: parts.accounts,
            authentication: authentication,
            limiter: limiter(settings.authRequestsPerMinute, "dojo:rl:auth:"),
            backoff: parts.loginBackoff,
            audit: audit,
            mail: parts.mail,
            oidc: OIDCProviders(settings.oidcProviders)
        ).register(on: router)
        AdminRoutes(storage: storage, authentication: authentication, audit: audit).register(on: router)
        PartnerRoutes(storage: storage, authentication: authentication, audit: audit, allowHTTP: settings.allowHTTPWebhooks).register(on: router)
        EntityRoutes(runtime: runtime, authentication: authentication).register(on: router)
        CommandRoutes(runtime: runtime, storage: storage, authentication: authentication).register(on: router)
        ClanRoutes(runtime: runtime, storage: storage, authentication: authentication).register(on: router)
        TerritoryRoutes(runtime: runtime, storage: storage, authentication: authentication).register(on: router)
        LedgerRoutes(runtime: runtime, storage: storage, authentication: authentication, audit: audit).register(on: router)
        ChallengeRoutes(runtime: runtime, authentication: authentication).register(on: router)
        TournamentRoutes(runtime: runtime, authentication: authentication).register(on: router)
        PlayerRecordRoutes(storage: storage, authentication: authentication).register(on: router)
        ProfileRoutes(storage: storage, runtime: runtime, authentication: authentication, audit: audit).register(on: router)
        NotificationRoutes(storage: storage, authentication: authentication).register(on: router)
        CollectibleRoutes(storage: storage, runtime: runtime, authentication: authentication, audit: audit).register(on: router)
        WatchRoutes(storage: storage).register(on: router)
        WalletRoutes(storage: storage, authentication: authentication, audit: audit, nonces: DeviceChallenges()).register(on: router)
        RefereeRoutes(authentication: authentication).register(on: router)
        DeviceRoutes(
            runtime: runtime,
            storage: storage,
            authentication: authentication,
            tokens: parts.tokens,
            challenges: DeviceChallenges(),
            limiter: limiter(settings.authRequestsPerMinute, "dojo:rl:device:"),
            audit: audit
        ).register(on: router)
        SocketIORoutes(gateway: parts.gateway, relay: parts.socketIORelay).register(on: router)
        let routes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
        routeTemplates.install(routes)
        self.router = router
        self.routes = routes
    }
}
