public import NIOCore
public import NIOPosix
import Synchronization

/// One connection in Redis's subscriber mode, shared by every channel this node follows: a channel
/// is subscribed while it has a handler here, publications arrive on the connection's event loop,
/// and a lost connection is reopened (with a growing pause, up to 2 s) and every channel
/// subscribed again; once Redis has confirmed every channel, `onReconnect` tells the owner that
/// publications may have been missed.
public final class RedisSubscriber: Sendable {
    private final class Handlers: Sendable {
        let byChannel = Mutex<[String: @Sendable (ByteBuffer) -> Void]>([:])
        let reconnected = Mutex<(@Sendable () -> Void)?>(nil)
        let connections = Atomic<Int>(0)
        /// The channels Redis has confirmed on the current connection.
        let confirmed = Mutex<Set<String>>([])
        /// A reconnection not told yet: it is told when every channel is confirmed, so that what
        /// the owner then reads (the log) meets what arrives live, with nothing published in
        /// between lost (a publication before Redis took the SUBSCRIBE does not reach this node).
        let untold = Mutex<Bool>(false)
        /// Since when a channel followed here has waited for Redis's confirmation on an open
        /// connection.
        let unconfirmedSince = Mutex<ContinuousClock.Instant?>(nil)

        /// Whether Redis has confirmed every channel followed here.
        var isSettled: Bool {
            let channels = byChannel.withLock { Set($0.keys) }
            return confirmed.withLock { channels.isSubset(of: $0) }
        }

        /// Tells an untold reconnection once every channel is confirmed. Called on every
        /// confirmation: the channels are compared only while a reconnection is untold (a node
        /// subscribing thousands of rooms does not compare them all on each one).
        func tellIfSettled() {
            guard untold.withLock({ $0 }), isSettled else { return }
            guard
                untold.withLock({ untold in
                    defer { untold = false }
                    return untold
                })
            else { return }
            reconnected.withLock { $0 }?()
        }
    }

    private let handlers = Handlers()
    let client: RedisClient
    private let retry = Mutex<(scheduled: Bool, delay: Int64)>((false, 50))
    /// Checks every second that a subscriber with channels has its connection (a loss whose
    /// signal was missed must not leave the node deaf for good), and that Redis confirmed them:
    /// a connection that leaves a SUBSCRIBE unconfirmed past the timeout (stalled on its way, a
    /// half-dead peer) is closed and opened again.
    private let watchdog = Mutex<RepeatedTask?>(nil)

    public init(
        endpoint: RedisEndpoint,
        timeout: Duration = .seconds(5),
        name: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        let handlers = self.handlers
        client = RedisClient(
            endpoint: endpoint,
            timeout: timeout,
            name: name,
            group: group,
            mode: .subscriber(
                onPush: { push in
                    switch push.kind {
                    case "message":
                        handlers.byChannel.withLock { $0[push.channel] }?(push.payload)
                    case "subscribe":
                        handlers.confirmed.withLock { _ = $0.insert(push.channel) }
                        handlers.tellIfSettled()
                    default:
                        handlers.confirmed.withLock { _ = $0.remove(push.channel) }
                    }
                },
                onConnect: { channel in
                    handlers.confirmed.withLock { $0.removeAll() }
                    let channels = handlers.byChannel.withLock { Array($0.keys) }
                    if !channels.isEmpty {
                        channel.write(
                            RedisRequest(arguments: ["SUBSCRIBE"] + channels.map { .text($0) }, promise: nil, expectsReply: false),
                            promise: nil
                        )
                    }
                    // A reconnection, or a first connection that opened after channels were
                    // followed (it was slow, or Redis was away): publications may have been missed.
                    if handlers.connections.wrappingAdd(1, ordering: .relaxed).oldValue > 0 || !channels.isEmpty {
                        handlers.untold.withLock { $0 = true }
                        if channels.isEmpty { handlers.tellIfSettled() }
                    }
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
            )
        )
        client.subscriberLostHook.withLock { $0 = { [weak self] in self?.reconnectLater() } }
        let task = group.any().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] task in
            guard let self else { return task.cancel() }
            guard !self.handlers.byChannel.withLock({ $0.isEmpty }) else { return }
            guard self.client.isConnected else { return self.reconnectLater() }
            self.checkConfirmed(timeout: timeout)
        }
        watchdog.withLock { $0 = task }
    }

    /// What to do after the connection came back (publications in between are lost).
    public func onReconnect(_ action: @escaping @Sendable () -> Void) {
        handlers.reconnected.withLock { $0 = action }
    }

    /// Whether the subscriber's connection is open.
    public var isConnected: Bool { client.isConnected }

    /// Whether Redis has confirmed every channel followed here (publications to a channel reach
    /// this node only from its confirmation on).
    public var isSettled: Bool { handlers.isSettled }

    /// Follows `channel`: `handler` receives each publication's bytes (replacing an earlier handler).
    public func subscribe(_ channel: String, handler: @escaping @Sendable (ByteBuffer) -> Void) {
        let isNew = handlers.byChannel.withLock { $0.updateValue(handler, forKey: channel) == nil }
        guard isNew else { return }
        // Subscribing twice is harmless: a connection opening now subscribes it as well.
        client.channel().whenSuccess { connection in
            connection.write(RedisRequest(arguments: ["SUBSCRIBE", .text(channel)], promise: nil, expectsReply: false), promise: nil)
        }
    }

    /// Stops following `channel`.
    public func unsubscribe(_ channel: String) {
        guard handlers.byChannel.withLock({ $0.removeValue(forKey: channel) }) != nil else { return }
        client.sendWithoutReply(["UNSUBSCRIBE", .text(channel)])
    }

    /// Closes the connection for good.
    public func close() {
        handlers.byChannel.withLock { $0.removeAll() }
        watchdog.withLock { $0?.cancel() }
        client.close()
    }

    private func checkConfirmed(timeout: Duration) {
        let now = ContinuousClock.now
        let stalled = handlers.unconfirmedSince.withLock { since -> Bool in
            guard !isSettled else {
                since = nil
                return false
            }
            guard let first = since else {
                since = now
                return false
            }
            guard now - first > timeout else { return false }
            since = nil
            return true
        }
        // Closing it tells the subscriber it was lost: it reconnects and subscribes again.
        if stalled { client.dropConnection() }
    }

    private func reconnectLater() {
        guard !handlers.byChannel.withLock({ $0.isEmpty }) else { return }
        let delay: Int64? = retry.withLock { retry in
            guard !retry.scheduled else { return nil }
            retry.scheduled = true
            defer { retry.delay = min(retry.delay * 2, 2_000) }
            return retry.delay
        }
        guard let delay else { return }
        client.group.any().scheduleTask(in: .milliseconds(delay)) { [weak self] in
            guard let self else { return }
            self.retry.withLock { $0.scheduled = false }
            self.client.channel().whenComplete { [weak self] result in
                switch result {
                case .success(let channel) where channel.isActive:
                    self?.retry.withLock { $0.delay = 50 }
                case .success, .failure:
                    // Failed, or a connection that died before this attempt saw it (a loss told
                    // while this attempt was pending was not scheduled again): try again.
                    self?.reconnectLater()
                }
            }
        }
    }
}
