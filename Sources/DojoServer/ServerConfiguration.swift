public import Configuration
public import DojoAPI
import DojoCluster
public import DojoGateway
public import DojoHooks
public import DojoIdentity
public import DojoRuntime
public import DojoStorage
import Foundation
public import Logging
import NIOCore
import SystemPackage

/// Everything `dojopool serve` needs, read from swift-configuration with this precedence:
/// command-line flags > environment (`DOJO_…`) > the JSON file (`Config/dojopool.json` or `--config`)
/// > the defaults below.
///
/// | key | environment | default | meaning |
/// | --- | --- | --- | --- |
/// | `http.host` | `DOJO_HTTP_HOST` | `127.0.0.1` | address to listen on |
/// | `http.port` | `DOJO_HTTP_PORT` | `8080` | port (0: any free port) |
/// | `log.level` | `DOJO_LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error, critical |
/// | `database.url` | `DOJO_DATABASE_URL` | none | `postgres://…`; unset: embedded SQLite (secret) |
/// | `database.sqlite.path` | `DOJO_DATABASE_SQLITE_PATH` | `./data/dojopool.sqlite` | SQLite file |
/// | `database.migrate` | `DOJO_DATABASE_MIGRATE` | `true` | apply migrations when `serve` starts |
/// | `redis.url` | `DOJO_REDIS_URL` | none | `redis://…`; unset: in-process presence and bus (secret) |
/// | `storage.batch.max` | `DOJO_STORAGE_BATCH_MAX` | `2000` | most appends in one group commit |
/// | `storage.batch.concurrency` | `DOJO_STORAGE_BATCH_CONCURRENCY` | `4` | group commits in flight at once (Postgres; SQLite: 1) |
/// | `storage.batch.timeout.ms` | `DOJO_STORAGE_BATCH_TIMEOUT_MS` | `10000` | time a batch may take before its appends fail `unavailable` |
/// | `storage.queue.max` | `DOJO_STORAGE_QUEUE_MAX` | `100000` | most appends waiting before `unavailable` |
/// | `readiness.timeout.ms` | `DOJO_READINESS_TIMEOUT_MS` | `2000` | time each readiness check may take |
/// | `runtime.mailbox.max` | `DOJO_RUNTIME_MAILBOX_MAX` | `256` | commands waiting per actor before `busy` |
/// | `runtime.batch.max` | `DOJO_RUNTIME_BATCH_MAX` | `64` | commands one actor appends together |
/// | `runtime.idle.seconds` | `DOJO_RUNTIME_IDLE_SECONDS` | `300` | idle time before an actor is passivated |
/// | `runtime.resident.max` | `DOJO_RUNTIME_RESIDENT_MAX` | `100000` | resident actors per kind (least recently used passivated past it) |
/// | `runtime.snapshot.events` | `DOJO_RUNTIME_SNAPSHOT_EVENTS` | `100` | events between snapshots |
/// | `runtime.snapshot.seconds` | `DOJO_RUNTIME_SNAPSHOT_SECONDS` | `60` | time between snapshots of a changed actor |
/// | `runtime.timers.interval.ms` | `DOJO_RUNTIME_TIMERS_INTERVAL_MS` | `50` | how often due timers are looked for (their lateness) |
/// | `runtime.stages` | `DOJO_RUNTIME_STAGES` | `true` | time each command stage by stage (`dojo_command_stage_seconds{stage}`) |
/// | `challenges.expiry.default.seconds` | `DOJO_CHALLENGES_EXPIRY_DEFAULT_SECONDS` | `86400` | a challenge's expiry when it names none |
/// | `challenges.expiry.min.seconds`, `….max.seconds` | `DOJO_CHALLENGES_EXPIRY_MIN_SECONDS`, `…_MAX_SECONDS` | `60`, `604800` | the bounds of an expiry a challenge names |
/// | `challenges.fee.basis.points` | `DOJO_CHALLENGES_FEE_BASIS_POINTS` | `0` | the house's fee on a settled pot (100 = 1 %) |
/// | `challenges.open.max` | `DOJO_CHALLENGES_OPEN_MAX` | `10` | open challenges per challenger |
/// | `runtime.commands.window` | `DOJO_RUNTIME_COMMANDS_WINDOW` | `64` | command ids remembered per actor (idempotent repeats) |
/// | `auth.keys.path` | `DOJO_AUTH_KEYS_PATH` | `./data/keys.json` | the Ed25519 signing keys (created on first start, mode 0600) |
/// | `auth.token.ttl.seconds` | `DOJO_AUTH_TOKEN_TTL_SECONDS` | `900` | access-token lifetime |
/// | `auth.issuer` | `DOJO_AUTH_ISSUER` | `dojopool` | the tokens' `iss` |
/// | `auth.audience` | `DOJO_AUTH_AUDIENCE` | `dojopool` | the tokens' `aud` |
/// | `auth.ratelimit.per.minute` | `DOJO_AUTH_RATELIMIT_PER_MINUTE` | `30` | requests to `/v1/auth/*` per client IP and minute (burst included) |
/// | `gateway.message.max.bytes` | `DOJO_GATEWAY_MESSAGE_MAX_BYTES` | `65536` | largest WebSocket message a client may send (1009 past it) |
/// | `gateway.subscriptions.max` | `DOJO_GATEWAY_SUBSCRIPTIONS_MAX` | `64` | rooms one connection may follow |
/// | `gateway.messages.per.second` | `DOJO_GATEWAY_MESSAGES_PER_SECOND` | `20` | messages a client may send per second (sustained) |
/// | `gateway.messages.burst` | `DOJO_GATEWAY_MESSAGES_BURST` | `40` | messages a client may send at once |
/// | `gateway.commands.inflight.max` | `DOJO_GATEWAY_COMMANDS_INFLIGHT_MAX` | `16` | commands one connection may have waiting |
/// | `gateway.outbound.max.messages` | `DOJO_GATEWAY_OUTBOUND_MAX_MESSAGES` | `4096` | reliable messages queued for a slow socket before 4008 |
/// | `gateway.outbound.max.bytes` | `DOJO_GATEWAY_OUTBOUND_MAX_BYTES` | `4194304` | their bytes before 4008 |
/// | `gateway.recovery.buffer` | `DOJO_GATEWAY_RECOVERY_BUFFER` | `512` | reliable messages each room keeps for recovery |
/// | `gateway.recovery.log.max` | `DOJO_GATEWAY_RECOVERY_LOG_MAX` | `2000` | most missed events recovered from the log (else a snapshot) |
/// | `gateway.heartbeat.seconds` | `DOJO_GATEWAY_HEARTBEAT_SECONDS` | `20` | ping interval; silent for two intervals: closed (4000) |
/// | `gateway.presence.interval.ms` | `DOJO_GATEWAY_PRESENCE_INTERVAL_MS` | `1000` | least time between two presence updates of a room |
/// | `gateway.bench.enabled` | `DOJO_GATEWAY_BENCH_ENABLED` | `false` | `bench:` rooms any client may publish to (load tests only) |
/// | `referee.vision.threshold.percent` | `DOJO_REFEREE_VISION_THRESHOLD_PERCENT` | `80` | the shot detector's confidence from which a shot read from frames is judged without review (`auto` matches) |
/// | `auth.oidc.google.audience`, `auth.oidc.google.jwks` | `DOJO_AUTH_OIDC_GOOGLE_AUDIENCE`, `…_JWKS` | none | sign in with Google: the app's client id, and the JWKS URL or file (both set: enabled) |
/// | `auth.oidc.apple.audience`, `auth.oidc.apple.jwks` | `DOJO_AUTH_OIDC_APPLE_AUDIENCE`, `…_JWKS` | none | sign in with Apple, likewise |
/// | `http.cors.origins` | `DOJO_HTTP_CORS_ORIGINS` | none | origins allowed to call the API from a browser, comma-separated (`https://app.example`) |
/// | `http.trusted.proxies` | `DOJO_HTTP_TRUSTED_PROXIES` | none | proxy addresses whose `X-Forwarded-For` names the client, comma-separated |
/// | `api.ratelimit.write.per.minute` | `DOJO_API_RATELIMIT_WRITE_PER_MINUTE` | `600` | writes per identity (or IP) and minute |
/// | `api.ratelimit.read.per.minute` | `DOJO_API_RATELIMIT_READ_PER_MINUTE` | `1200` | reads per identity (or IP) and minute |
/// | `auth.service.key` | `DOJO_AUTH_SERVICE_KEY` | none | shared key of a trusted backend that acts for users (secret, ≥ 32 characters) |
/// | `cluster.name` | `DOJO_CLUSTER_NAME` | `dojopool` | the platform's name: nodes sharing a Redis and a name are one platform (its keys' prefix) |
/// | `cluster.node.id` | `DOJO_CLUSTER_NODE_ID` | generated | this node's id among them |
/// | `cluster.advertise` | `DOJO_CLUSTER_ADVERTISE` | `http://<http.host>:<port>` | where other nodes reach this one |
/// | `cluster.heartbeat.ms` | `DOJO_CLUSTER_HEARTBEAT_MS` | `1000` | how often the node renews its membership |
/// | `cluster.node.ttl.ms` | `DOJO_CLUSTER_NODE_TTL_MS` | `5000` | how long a node without a heartbeat stays listed (≥ 3 heartbeats) |
/// | `cluster.secret` | `DOJO_CLUSTER_SECRET` | none | the nodes' shared secret (≥ 32 characters): with Redis, one owner per actor and commands forwarded to it |
/// | `commentary.hook.url` | `DOJO_COMMENTARY_HOOK_URL` | none (off) | an external commentary service: every COMMENTARY line is POSTed to it, signed, as the partner `commentary-hook` |
/// | `commentary.hook.secret` | `DOJO_COMMENTARY_HOOK_SECRET` | none | the HMAC-SHA256 key of those requests (secret, ≥ 32 characters; required with the URL) |
/// | `commentary.hook.timeout.ms` | `DOJO_COMMENTARY_HOOK_TIMEOUT_MS` | `2000` | no longer used (checked): `partners.delivery.timeout.ms` applies |
/// | `tracing.enabled` | `DOJO_TRACING_ENABLED` | `false` | OpenTelemetry traces exported over OTLP/HTTP (docs/operations.md, "Traces"); the `OTEL_*` variables override the keys below |
/// | `tracing.endpoint` | `DOJO_TRACING_ENDPOINT` | `http://localhost:4318` | the collector's OTLP/HTTP address (spans go to `/v1/traces`) |
/// | `tracing.protocol` | `DOJO_TRACING_PROTOCOL` | `http/protobuf` | `http/protobuf` or `http/json` |
/// | `tracing.sampler.ratio` | `DOJO_TRACING_SAMPLER_RATIO` | `1.0` | the share of new traces recorded (0–1); a caller's `traceparent` decides for its own |
/// | `tracing.service.name` | `DOJO_TRACING_SERVICE_NAME` | `dojopool` | the `service.name` of the spans |
/// | `tracing.export.delay.ms` | `DOJO_TRACING_EXPORT_DELAY_MS` | `5000` | how long finished spans wait to be exported in a batch |
/// | `notifications.email.per.window` | `DOJO_NOTIFICATIONS_EMAIL_PER_WINDOW` | `4` | emails per player in any window; more wait and go out as one digest |
/// | `notifications.push.per.window` | `DOJO_NOTIFICATIONS_PUSH_PER_WINDOW` | `20` | push messages per player in any window, likewise |
/// | `notifications.window.seconds` | `DOJO_NOTIFICATIONS_WINDOW_SECONDS` | `3600` | the window of those limits |
/// | `notifications.push.url` | `DOJO_NOTIFICATIONS_PUSH_URL` | none (no push) | the push gateway messages are POSTed to, signed |
/// | `notifications.push.secret` | `DOJO_NOTIFICATIONS_PUSH_SECRET` | none | the HMAC-SHA256 key of those requests (secret, ≥ 32 characters; required with the URL) |
/// | `notifications.push.timeout.ms` | `DOJO_NOTIFICATIONS_PUSH_TIMEOUT_MS` | `5000` | time one attempt may take |
/// | `notifications.delivery.interval.ms` | `DOJO_NOTIFICATIONS_DELIVERY_INTERVAL_MS` | `2000` | how often the outbox of email and push is read |
/// | `notifications.delivery.retry.ms` | `DOJO_NOTIFICATIONS_DELIVERY_RETRY_MS` | `5000` | pause after a failed attempt, doubled after each next one (at most an hour) |
/// | `notifications.delivery.attempts` | `DOJO_NOTIFICATIONS_DELIVERY_ATTEMPTS` | `8` | attempts before a message is given up |
/// | `partners.delivery.interval.ms` | `DOJO_PARTNERS_DELIVERY_INTERVAL_MS` | `500` | how often the partners' webhook outbox is read |
/// | `partners.delivery.retry.ms` | `DOJO_PARTNERS_DELIVERY_RETRY_MS` | `1000` | pause after a failed webhook, doubled after each next one (at most an hour) |
/// | `partners.delivery.attempts` | `DOJO_PARTNERS_DELIVERY_ATTEMPTS` | `10` | attempts before a webhook is dead-lettered |
/// | `partners.delivery.timeout.ms` | `DOJO_PARTNERS_DELIVERY_TIMEOUT_MS` | `5000` | time one webhook attempt may take |
/// | `partners.retention.hours` | `DOJO_PARTNERS_RETENTION_HOURS` | `168` | how long delivered webhooks are kept (dead ones stay for a replay) |
/// | `notifications.retention.hours` | `DOJO_NOTIFICATIONS_RETENTION_HOURS` | `168` | how long sent, skipped and failed emails and pushes are kept (at least the window) |
/// | `server.environment` | `DOJO_SERVER_ENVIRONMENT` | `development` | `development` or `production` (production refuses development-only options) |
/// | `mail.transport` | `DOJO_MAIL_TRANSPORT` | `none` | `none` (email codes answer 503), `log` (development: mail written to the log, refused in production) or `smtp` |
/// | `mail.smtp.url` | `DOJO_MAIL_SMTP_URL` | none | with `smtp`: `smtp://user:password@host:587` (STARTTLS required), `smtps://…:465`, or `smtp://localhost:25?tls=none` (loopback only); secret |
/// | `mail.from` | `DOJO_MAIL_FROM` | none | with `smtp`: the sender, `DojoPool <no-reply@example.com>` |
/// | `mail.smtp.ca.file` | `DOJO_MAIL_SMTP_CA_FILE` | the system's | certificate authorities (PEM) to trust for the server instead of the system's |
/// | `mail.smtp.timeout.ms` | `DOJO_MAIL_SMTP_TIMEOUT_MS` | `10000` | time one message may take |
/// | `http.timeout.header.seconds` | `DOJO_HTTP_TIMEOUT_HEADER_SECONDS` | `10` | time a client has to send a request's line and headers |
/// | `http.timeout.idle.seconds` | `DOJO_HTTP_TIMEOUT_IDLE_SECONDS` | `60` | time an HTTP connection may sit between requests (or stall in a body) |
/// | `http.header.max.bytes` | `DOJO_HTTP_HEADER_MAX_BYTES` | `16384` | request line and headers together; past it `431` |
/// | `http.connections.per.address` | `DOJO_HTTP_CONNECTIONS_PER_ADDRESS` | `1024` | open connections (HTTP and WebSocket) per client address; 0: no limit |
public struct ServerConfiguration: Sendable, Equatable {
    /// Where the server runs: production refuses options meant for development only.
    public enum Environment: String, Sendable, Equatable { case development, production }
    /// How mail (sign-in codes) is sent.
    public enum MailTransport: String, Sendable, Equatable {
        /// No transport: `POST /v1/auth/email/code` answers 503 `auth.email_unavailable`.
        case none
        /// Development only: each message, its code included, is written to the log.
        case log
        /// A submission server (`mail.smtp.url`, `mail.from`): ``SMTPMailSender``.
        case smtp
    }

    /// `server.environment`.
    public var environment = Environment.development
    /// `mail.transport`.
    public var mailTransport = MailTransport.none
    /// The submission server, with `mail.transport = smtp`.
    public var smtp: SMTPConfiguration?
    /// The HTTP edge's limits (timeouts, header size, connections per address).
    public var httpLimits = HTTPLimits()

    /// Address to listen on.
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free port.
    public var port = 8080
    /// Log level.
    public var logLevel = Logger.Level.info
    /// Postgres URL; `nil` selects the embedded SQLite database.
    public var databaseURL: String?
    /// The SQLite file used when `databaseURL` is `nil`.
    public var sqlitePath = "./data/dojopool.sqlite"
    /// Whether `serve` applies pending migrations at start.
    public var migrateOnStart = true
    /// Redis URL; `nil` selects the in-process presence and bus.
    public var redisURL: String?
    /// The most appends in one group commit.
    public var maximumBatch = 2_000
    /// The most appends waiting for the writer.
    public var maximumQueued = 100_000
    /// Group commits in flight at once (Postgres; SQLite always 1).
    public var batchConcurrency = 4
    /// How long one group commit may take before its appends fail with `unavailable`.
    public var batchTimeout = Duration.milliseconds(10_000)
    /// The time each readiness check may take.
    public var readinessTimeout = Duration.milliseconds(2_000)
    /// The actor runtime's tuning.
    public var runtime = RuntimeConfiguration()
    /// The key a trusted backend presents to act for a user (`Authorization: Bearer …` with
    /// `X-Dojo-User`); nil: command endpoints answer 401.
    public var serviceKey: String?
    /// The signing-keys file.
    public var keysPath = "./data/keys.json"
    /// Access-token lifetime.
    public var tokenLifetime = Duration.seconds(900)
    /// The tokens' issuer and audience.
    public var tokenIssuer = "dojopool"
    public var tokenAudience = "dojopool"
    /// Requests to `/v1/auth/*` per client IP and minute.
    public var authRequestsPerMinute = 30
    /// Origins allowed to call the API from a browser (CORS).
    public var corsOrigins: [String] = []
    /// Proxies whose `X-Forwarded-For` names the client (for rate limits and the audit log).
    public var trustedProxies: [String] = []
    /// REST writes and reads per identity (or client IP) and minute.
    public var writesPerMinute = 600
    public var readsPerMinute = 1_200
    /// The WebSocket gateway's limits.
    public var gateway = GatewayConfiguration()
    /// Sign-in providers (`google`, `apple`): the app's client id and the provider's JWKS (URL or file).
    public var oidc: [String: OIDCProviderConfiguration] = [:]
    /// The external commentary service; nil: off.
    public var commentaryHook: CommentaryHookConfiguration?
    /// Email and push delivery of notifications.
    public var notifications = NotificationDeliveryConfiguration()
    /// Partner webhooks' delivery.
    public var partners = PartnerWebhookConfiguration()
    /// This node in the platform (membership in Redis when `redis.url` is set).
    public var cluster = ClusterConfiguration()
    /// OpenTelemetry traces; off by default.
    public var tracing = TracingConfiguration()

    /// The defaults.
    public init() {}

    /// The group-commit writer's tuning.
    public var writerConfiguration: EventLogWriter.Configuration {
        .init(maximumBatch: maximumBatch, maximumQueued: maximumQueued, maximumConcurrentBatches: batchConcurrency, batchTimeout: batchTimeout)
    }

    /// The storage backend this configuration selects.
    public var storageBackend: StorageBackend { databaseURL == nil ? .sqlite : .postgres }

    /// Reads and validates every key; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        let defaults = ServerConfiguration()
        host = reader.checkedText("http.host") ?? defaults.host
        guard !host.isEmpty else { throw ConfigurationError(key: "http.host", message: "must not be empty") }
        port = try reader.checkedInteger("http.port", in: 0...65535) ?? defaults.port
        if let level = reader.checkedText("log.level") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError(
                    key: "log.level",
                    message: "unknown log level \(level); use one of trace, debug, info, notice, warning, error, critical"
                )
            }
            logLevel = parsed
        }
        databaseURL = reader.checkedText("database.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if let databaseURL {
            do throws(PostgresURL.Invalid) {
                _ = try PostgresURL.configuration(from: databaseURL)
            } catch {
                throw ConfigurationError(key: "database.url", message: "malformed Postgres URL: \(error.reason)")
            }
        }
        sqlitePath = reader.checkedText("database.sqlite.path") ?? defaults.sqlitePath
        guard !sqlitePath.isEmpty else { throw ConfigurationError(key: "database.sqlite.path", message: "must not be empty") }
        migrateOnStart = try reader.checkedBoolean("database.migrate") ?? defaults.migrateOnStart
        redisURL = reader.checkedText("redis.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if let redisURL {
            do throws(RedisEndpoint.Invalid) {
                _ = try RedisEndpoint(url: redisURL)
            } catch {
                throw ConfigurationError(key: "redis.url", message: "malformed Redis URL: \(error.reason)")
            }
        }
        maximumBatch = try reader.checkedInteger("storage.batch.max", in: 1...100_000) ?? defaults.maximumBatch
        maximumQueued = try reader.checkedInteger("storage.queue.max", in: 1...10_000_000) ?? defaults.maximumQueued
        batchConcurrency = try reader.checkedInteger("storage.batch.concurrency", in: 1...64) ?? defaults.batchConcurrency
        if let milliseconds = try reader.checkedInteger("storage.batch.timeout.ms", in: 100...600_000) {
            batchTimeout = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.checkedInteger("readiness.timeout.ms", in: 10...60_000) {
            readinessTimeout = .milliseconds(milliseconds)
        }
        runtime = try RuntimeConfiguration(reader: reader)
        keysPath = reader.checkedText("auth.keys.path") ?? keysPath
        guard !keysPath.isEmpty else { throw ConfigurationError(key: "auth.keys.path", message: "must not be empty") }
        if let seconds = try reader.checkedInteger("auth.token.ttl.seconds", in: 60...3_600) { tokenLifetime = .seconds(seconds) }
        tokenIssuer = reader.checkedText("auth.issuer") ?? tokenIssuer
        tokenAudience = reader.checkedText("auth.audience") ?? tokenAudience
        guard !tokenIssuer.isEmpty, !tokenAudience.isEmpty else {
            throw ConfigurationError(key: tokenIssuer.isEmpty ? "auth.issuer" : "auth.audience", message: "must not be empty")
        }
        authRequestsPerMinute = try reader.checkedInteger("auth.ratelimit.per.minute", in: 1...100_000) ?? authRequestsPerMinute
        corsOrigins = reader.checkedList("http.cors.origins")
        for origin in corsOrigins where !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) || origin.hasSuffix("/") {
            throw ConfigurationError(key: "http.cors.origins", message: "an origin is scheme://host[:port] without a path, not \(origin)")
        }
        trustedProxies = reader.checkedList("http.trusted.proxies")
        writesPerMinute = try reader.checkedInteger("api.ratelimit.write.per.minute", in: 1...10_000_000) ?? writesPerMinute
        readsPerMinute = try reader.checkedInteger("api.ratelimit.read.per.minute", in: 1...10_000_000) ?? readsPerMinute
        gateway = try GatewayConfiguration(reader: reader)
        for provider in ["google", "apple"] {
            let audience = reader.checkedText("auth.oidc.\(provider).audience")
            let jwks = reader.checkedText("auth.oidc.\(provider).jwks")
            switch (audience, jwks) {
            case (let audience?, let jwks?) where !audience.isEmpty && !jwks.isEmpty:
                oidc[provider] = OIDCProviderConfiguration(audience: audience, jwks: jwks)
            case (nil, nil): break
            default:
                throw ConfigurationError(key: "auth.oidc.\(provider)", message: "set both audience and jwks (a URL or a file), or neither")
            }
        }
        commentaryHook = try reader.signedEndpoint("commentary.hook", defaultTimeoutMilliseconds: 2_000)
        cluster = try ClusterConfiguration(reader: reader)
        tracing = try TracingConfiguration(reader: reader)
        notifications = try NotificationDeliveryConfiguration(reader: reader)
        partners = try PartnerWebhookConfiguration(reader: reader)
        if let text = reader.checkedText("server.environment") {
            guard let parsed = Environment(rawValue: text.lowercased()) else {
                throw ConfigurationError(key: "server.environment", message: "must be development or production, not \(text)")
            }
            environment = parsed
        }
        if let text = reader.checkedText("mail.transport") {
            guard let parsed = MailTransport(rawValue: text.lowercased()) else {
                throw ConfigurationError(key: "mail.transport", message: "must be none, log or smtp, not \(text)")
            }
            mailTransport = parsed
        }
        if mailTransport == .smtp {
            guard let url = reader.checkedText("mail.smtp.url", isSecret: true) else {
                throw ConfigurationError(
                    key: "mail.smtp.url",
                    message: "mail.transport smtp needs the server: smtp://user:password@mail.example.com:587"
                )
            }
            guard let from = reader.checkedText("mail.from") else {
                throw ConfigurationError(key: "mail.from", message: "mail.transport smtp needs the sender: DojoPool <no-reply@example.com>")
            }
            var smtp: SMTPConfiguration
            do throws(SMTPConfiguration.Invalid) {
                smtp = try SMTPConfiguration(url: url, from: from, caFile: reader.checkedText("mail.smtp.ca.file"))
            } catch {
                throw ConfigurationError(key: error.key, message: error.message)
            }
            if let milliseconds = try reader.checkedInteger("mail.smtp.timeout.ms", in: 100...120_000) { smtp.timeout = .milliseconds(milliseconds) }
            self.smtp = smtp
        }
        if environment == .production, mailTransport == .log {
            throw ConfigurationError(
                key: "mail.transport",
                message: "log writes sign-in codes to the log: it is refused in production (anyone who reads the log could sign in as anyone)"
            )
        }
        if environment == .production, gateway.benchRooms {
            throw ConfigurationError(key: "gateway.bench.enabled", message: "bench rooms let any client publish: refused in production")
        }
        httpLimits = try HTTPLimits(reader: reader)
        serviceKey = reader.checkedText("auth.service.key", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if let serviceKey, serviceKey.utf8.count < 32 {
            throw ConfigurationError(key: "auth.service.key", message: "must be at least 32 characters (use a random key: openssl rand -hex 32)")
        }
    }
}

/// A sign-in provider: the app's client id (the ID tokens' audience) and the provider's JWKS (a
/// URL or a file path).
public struct OIDCProviderConfiguration: Sendable, Equatable {
    public var audience: String
    public var jwks: String

    public init(audience: String, jwks: String) {
        self.audience = audience
        self.jwks = jwks
    }
}

extension ServerConfiguration {
    /// The reader for `serve` and `migrate`: `flags` > environment (`DOJO_…`) > JSON file > defaults.
    ///
    /// - Parameters:
    ///   - flags: values given on the command line, by key.
    ///   - configFile: the JSON file; a missing file is an error when given explicitly, and ignored when
    ///     it is the default `Config/dojopool.json`.
    ///   - environment: the environment (the process's own when `nil`).
    public static func makeReader(
        flags: [String: String] = [:],
        configFile: String?,
        environment: [String: String]? = nil
    ) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: flags.reduce(into: [:]) { values, pair in
                    values[AbsoluteConfigKey(pair.key.split(separator: ".").map(String.init))] = ConfigValue(.string(pair.value), isSecret: false)
                }
            )
        ]
        let secrets = SecretsSpecifier<String, String>.specific(["DOJO_DATABASE_URL", "DOJO_REDIS_URL", "DOJO_AUTH_SERVICE_KEY"])
        let env =
            environment.map { EnvironmentVariablesProvider(environmentVariables: $0, secretsSpecifier: secrets) }
            ?? EnvironmentVariablesProvider(secretsSpecifier: secrets)
        providers.append(env.prefixKeys(with: "dojo"))
        do {
            providers.append(
                try await FileProvider<JSONSnapshot>(
                    filePath: FilePath(configFile ?? "Config/dojopool.json"),
                    allowMissing: configFile == nil
                )
            )
        } catch {
            throw ConfigurationError(key: "config", message: "cannot read the configuration file \(configFile ?? "Config/dojopool.json"): \(error)")
        }
        return ConfigReader(providers: providers)
    }
}
