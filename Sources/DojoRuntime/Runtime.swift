public import DojoDomain
public import DojoStorage
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The actor runtime: one directory per entity kind, the consumers that follow the log (reactions,
/// projections) and the passivation sweep. A Service: on graceful shutdown it stops taking
/// commands, lets every actor finish, snapshots it, and returns; the event-log writer (started
/// before it) stops after it.
public final class Runtime: Service {
    public let matches: EntityDirectory<Match>
    public let venues: EntityDirectory<Venue>
    public let clans: EntityDirectory<Clan>
    public let territories: EntityDirectory<Territory>
    public let accounts: EntityDirectory<Account>
    public let challenges: EntityDirectory<Challenge>
    public let tournaments: EntityDirectory<Tournament>
    public let configuration: RuntimeConfiguration
    /// Where commands' time goes, stage by stage (``CommandStage``).
    public let commandStages: CommandStageClock
    private let runners: [ConsumerRunner]
    let logger: Logger
    /// This process's name when it leases timers.
    let timerOwner = "node-" + UUID().uuidString.prefix(8).lowercased()
    let environment: ActorEnvironment
    private let registrations = Mutex<[EntityKind: EntityRegistration]>([:])

    /// Creates the runtime over a running writer and storage.
    ///
    /// - Parameters:
    ///   - projections: run the records projection (off only in benchmarks that isolate the actors).
    ///   - reactions: run the reactions between entities (off only in such benchmarks).
    ///   - consumers: further consumers of the log (the partners' webhook feed).
    ///   - ownership, forwarder: with several nodes, who owns which actor and the way to the owner
    ///     (docs/cluster.md); nil: every actor is this node's.
    ///   - now: the clock commands are decided with (tests pass their own).
    public init(
        writer: EventLogWriter,
        storage: any Storage,
        configuration: RuntimeConfiguration,
        logger: Logger,
        projections: Bool = true,
        reactions: Bool = true,
        consumers extra: [any EventConsumer] = [],
        ownership: (any EntityOwnership)? = nil,
        forwarder: (any CommandForwarder)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.logger = logger
        let stages = CommandStageClock(enabled: configuration.measureStages)
        commandStages = stages
        let fanOut = FanOut()
        let environment = ActorEnvironment(
            writer: writer,
            storage: storage,
            configuration: configuration,
            logger: logger,
            metrics: RuntimeMetrics(),
            stages: stages,
            onCommitted: { key, events in fanOut.publish(key, events) },
            now: now,
            ownership: ownership,
            forwarder: forwarder
        )
        let matches = EntityDirectory<Match>(environment: environment)
        let venues = EntityDirectory<Venue>(environment: environment)
        let clans = EntityDirectory<Clan>(environment: environment)
        let territories = EntityDirectory<Territory>(environment: environment)
        let accounts = EntityDirectory<Account>(environment: environment)
        let challenges = EntityDirectory<Challenge>(environment: environment)
        let tournaments = EntityDirectory<Tournament>(environment: environment)
        let notices = NoticeListeners()
        let slots = SlotReleaser()
        var consumers: [any EventConsumer] = []
        if reactions {
            consumers.append(
                MatchReactions(
                    matches: matches,
                    venues: venues,
                    territories: territories,
                    clans: clans,
                    challenges: challenges,
                    tournaments: tournaments,
                    clanOf: { user in try await Runtime.clan(of: user, storage: storage, clans: clans) },
                    logger: logger,
                    now: now
                )
            )
            consumers.append(ClanReactions(clans: clans, logger: logger, now: now))
            consumers.append(LedgerReactions(accounts: accounts, logger: logger, now: now))
            consumers.append(
                ChallengeReactions(
                    challenges: challenges,
                    accounts: accounts,
                    matches: matches,
                    finished: { state in await slots.runtime?.releaseOpenSlot(state) },
                    notice: { rooms, state, type in
                        guard let notice = Notice(rooms: rooms, entity: EntityKey(kind: .challenge, id: state.id), eventType: type, view: state.view)
                        else { return }
                        notices.tell(notice)
                    },
                    logger: logger,
                    now: now
                )
            )
            consumers.append(TournamentTableReactions(venues: venues, tournaments: tournaments, storage: storage, logger: logger, now: now))
            consumers.append(
                TournamentReactions(
                    tournaments: tournaments,
                    accounts: accounts,
                    matches: matches,
                    notice: { rooms, state, type in
                        guard let notice = Notice(rooms: rooms, entity: EntityKey(kind: .tournament, id: state.id), eventType: type, view: state.view)
                        else { return }
                        notices.tell(notice)
                    },
                    logger: logger,
                    now: now
                )
            )
        }
        if projections {
            consumers.append(
                RecordsProjection(
                    storage: storage,
                    venues: venues,
                    territories: territories,
                    clans: clans,
                    challenges: challenges,
                    tournaments: tournaments
                )
            )
            consumers.append(RatingsProjection(matches: matches, storage: storage))
            var sink = NotificationSink(storage: storage, channels: configuration.notificationChannels, now: now) { records in
                for record in records {
                    let view = NotificationView(record)
                    guard
                        let notice = Notice(
                            rooms: ["user:\(record.userID)"],
                            entity: EntityKey(kind: .user, id: record.userID),
                            eventType: record.type,
                            view: view
                        )
                    else { continue }
                    notices.tell(notice)
                }
            }
            sink.quiet = configuration.quietNotifications
            consumers.append(StatsProjection(matches: matches, storage: storage, notifications: sink))
            consumers.append(AchievementsProjection(clans: clans, tournaments: tournaments, storage: storage, notifications: sink))
            consumers.append(
                NotificationsProjection(
                    challenges: challenges,
                    tournaments: tournaments,
                    territories: territories,
                    matches: matches,
                    clans: clans,
                    sink: sink
                )
            )
        }
        consumers += extra
        let runners = consumers.map {
            ConsumerRunner(consumer: $0, storage: storage, configuration: configuration, logger: logger, ownership: ownership)
        }
        fanOut.runners = runners
        self.matches = matches
        self.venues = venues
        self.clans = clans
        self.territories = territories
        self.accounts = accounts
        self.challenges = challenges
        self.tournaments = tournaments
        self.noticeListeners = notices
        self.runners = runners
        self.fanOut = fanOut
        self.environment = environment
        register(EntityRegistration.match(matches, runtime: self))
        register(EntityRegistration.venue(venues, runtime: self))
        register(EntityRegistration.clan(clans, runtime: self))
        register(EntityRegistration.territory(territories, runtime: self))
        register(EntityRegistration.challenge(challenges, runtime: self))
        register(EntityRegistration.tournament(tournaments, runtime: self))
        slots.runtime = self
    }

    /// The actors of a new kind, sharing the runtime's writer, storage, clock and metrics: the
    /// first step of adding a kind (docs/adding-an-entity.md), then ``register(_:)``.
    public func makeDirectory<A: Aggregate>(_: A.Type) -> EntityDirectory<A> {
        EntityDirectory<A>(environment: environment)
    }

    /// Registers an entity kind: REST, the gateway and the runtime's loops dispatch to it. Done
    /// while the server is built, before it serves.
    public func register(_ registration: EntityRegistration) {
        registrations.withLock { $0[registration.kind] = registration }
    }

    /// The registration of a kind, nil when none is registered.
    public func registration(for kind: EntityKind) -> EntityRegistration? {
        registrations.withLock { $0[kind] }
    }

    /// Every registered kind, in a stable order.
    public var registered: [EntityRegistration] {
        registrations.withLock { $0.values.sorted { $0.kind.rawValue < $1.kind.rawValue } }
    }

    private let fanOut: FanOut
    let accessListeners = Mutex<[@Sendable (EntityKey, [String]) -> Void]>([])
    let noticeListeners: NoticeListeners

    /// Registers a listener for notices: an entity's state for rooms that are not its own (a
    /// challenge in its players' `user:` rooms). Called by the reactions after the events are
    /// durable; at least once, newest state last.
    public func onNotice(_ listener: @escaping @Sendable (Notice) -> Void) {
        noticeListeners.add(listener)
    }

    /// Registers a listener told when users lose access to an entity's private room (members who
    /// left or were removed from a clan, every member of a disbanded one): the gateway ends their
    /// subscriptions. Called after the durable append, on the node that took the command.
    public func onAccessRevoked(_ listener: @escaping @Sendable (EntityKey, [String]) -> Void) {
        accessListeners.withLock { $0.append(listener) }
    }

    /// Registers a listener for committed events (the rooms of the gateway). It is called on the
    /// actor's executor right after the events are applied: it must not block.
    public func onCommitted(_ listener: @escaping @Sendable (EntityKey, [CommittedEvent]) -> Void) {
        fanOut.listeners.withLock { $0.append(listener) }
    }

    private let ready = AsyncStream<Void>.makeStream()

    /// Tells the runtime the schema is in place: its consumers start reading the log.
    public func storageReady() { ready.continuation.finish() }

    public func run() async throws {
        // Wait for migrations (or shutdown) before the consumers touch their tables.
        await cancelWhenGracefulShutdown { for await _ in self.ready.stream {} }
        await withTaskGroup(of: Void.self) { group in
            for runner in runners {
                group.addTask { await runner.run() }
            }
            group.addTask { await self.passivationLoop() }
            group.addTask { await self.timerLoop() }
            try? await gracefulShutdown()
            logger.info("runtime stopping: snapshotting resident actors")
            for registration in registered { await registration.shutdown() }
            await accounts.shutdown()  // private: not a registration
            // Hand what the last commands produced to the consumers before they stop.
            for runner in runners { await runner.round() }
            for runner in runners { runner.finish() }
            group.cancelAll()
        }
    }

    private func passivationLoop() async {
        let idle = configuration.idleTimeout
        let interval = min(max(idle / 4, .milliseconds(100)), .seconds(30))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let passivated = await passivateIdle(olderThan: idle)
            if passivated > 0 { logger.debug("passivated idle actors", metadata: ["count": "\(passivated)"]) }
        }
    }

    /// Handles everything the consumers have pending, and sweeps the log once (tests, shutdown).
    public func drainConsumers() async {
        for runner in runners {
            await runner.sweep()
            await runner.round()
        }
    }

    /// Passivates every actor idle for at least `idle` now (tests, admin).
    @discardableResult
    public func passivateIdle(olderThan idle: Duration = .zero) async -> Int {
        var passivated = 0
        for registration in registered { passivated += await registration.passivateIdle(idle) }
        passivated += await accounts.passivateIdle(olderThan: idle)
        return passivated
    }
}

/// Routes committed events to the consumers and listeners.
private final class FanOut: @unchecked Sendable {
    // Set once in Runtime.init before any actor exists, then only read.
    var runners: [ConsumerRunner] = []
    let listeners = Mutex<[@Sendable (EntityKey, [CommittedEvent]) -> Void]>([])

    func publish(_ key: EntityKey, _ events: [CommittedEvent]) {
        for runner in runners where runner.follows(key.kind) { runner.notify(events) }
        listeners.withLock { listeners in
            for listener in listeners { listener(key, events) }
        }
    }
}
