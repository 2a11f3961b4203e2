import Metrics
public import NIOCore
public import NIOPosix
import Synchronization

/// A pipelined, non-blocking connection to Redis: NIO owns the socket on an event loop, hiredis's
/// reader parses the answers (``RedisReplyReader``). Commands are written as they come, without
/// waiting for earlier answers, and a burst goes out in one write; answers come back in order and
/// complete their commands in order. The hot paths (room messages, presence) use it; a command
/// costs no thread and no round trip of its own.
///
/// - The connection opens on the first command and reopens on the next one after it is lost; AUTH
///   and SELECT go first. A command that has no answer within `timeout` closes the connection,
///   failing every command waiting on it (a paused or partitioned Redis is a clear error, never a
///   hang). After a failed connection, commands fail at once for ``retryPause`` before the next
///   attempt (a Redis that is down costs one attempt per pause, not one per command).
/// - In subscriber mode (``RedisSubscriber``) what Redis pushes goes to `onPush`.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    public let timeout: Duration
    /// The connection's name in Redis (`CLIENT SETNAME`), for `CLIENT LIST`.
    public let name: String?
    let group: any EventLoopGroup
    let mode: Mode
    private let state = Mutex<State>(.idle)
    /// Commands answered with an error or lost with their connection
    /// (`dojo_redis_command_failures_total`).
    private let failures = Atomic<Int>(0)
    private static let failureMetric = Counter(label: "dojo_redis_command_failures_total")

    enum Mode: Sendable {
        case commands
        case subscriber(onPush: @Sendable (RedisPush) -> Void, onConnect: @Sendable (any Channel) -> EventLoopFuture<Void>)
    }

    private enum State {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        /// The last attempt failed: commands fail at once until `until` (no connection storm
        /// while Redis is down: one attempt per `retryPause`).
        case failed(until: NIODeadline, RedisError)
        case closed
    }

    /// How long after a failed connection commands fail without a new attempt.
    static let retryPause = TimeAmount.milliseconds(500)

    public convenience init(
        endpoint: RedisEndpoint,
        timeout: Duration = .seconds(5),
        name: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.init(endpoint: endpoint, timeout: timeout, name: name, group: group, mode: .commands)
    }

    init(endpoint: RedisEndpoint, timeout: Duration, name: String?, group: any EventLoopGroup, mode: Mode) {
        self.endpoint = endpoint
        self.name = name
        self.timeout = timeout
        self.group = group
        self.mode = mode
    }

    /// Commands whose answer was an error or never came.
    public var failureCount: Int { failures.load(ordering: .relaxed) }

    /// Sends `PING` and throws unless the answer is `PONG`.
    public func ping() async throws {
        guard try await command(["PING"]) == .status("PONG") else { throw RedisError(message: "unexpected answer to PING") }
    }

    /// Runs one command and waits for its answer; an error reply throws.
    public func command(_ arguments: [RedisArgument]) async throws -> RedisReply {
        try await submit(arguments).get()
    }

    /// Runs one command of text arguments.
    public func command(_ arguments: [String]) async throws -> RedisReply {
        try await command(arguments.map { .text($0) })
    }

    /// Sends a command without waiting for its answer (publications, presence): in order with
    /// every other command of this client; a failure is counted, not thrown.
    public func send(_ arguments: [RedisArgument]) {
        submit(arguments)
    }

    /// Whether a connection is open now.
    public var isConnected: Bool {
        state.withLock { state in
            if case .connected(let channel) = state { return channel.isActive }
            return false
        }
    }

    /// Closes the connection; later commands fail.
    public func close() {
        let channel: (any Channel)? = state.withLock { state in
            defer { state = .closed }
            if case .connected(let channel) = state { return channel }
            return nil
        }
        channel?.close(promise: nil)
    }

    /// Closes the open connection (a stalled one); the next command, or the subscriber's
    /// reconnection, opens another.
    func dropConnection() {
        let channel: (any Channel)? = state.withLock { state in
            if case .connected(let channel) = state { return channel }
            return nil
        }
        channel?.close(promise: nil)
    }

    @discardableResult
    func submit(_ arguments: [RedisArgument]) -> EventLoopFuture<RedisReply> {
        let future = channel().flatMap { channel -> EventLoopFuture<RedisReply> in
            RedisRequest.send(arguments, on: channel)
        }
        future.whenFailure { _ in
            self.failures.add(1, ordering: .relaxed)
            Self.failureMetric.increment()
        }
        return future
    }

    /// Writes a command that has no reply of its own (SUBSCRIBE and UNSUBSCRIBE in subscriber mode,
    /// whose confirmations are pushes) on the open connection, if any.
    func sendWithoutReply(_ arguments: [RedisArgument]) {
        let channel: (any Channel)? = state.withLock { state in
            if case .connected(let channel) = state { return channel }
            return nil
        }
        channel?.write(RedisRequest(arguments: arguments, promise: nil, expectsReply: false), promise: nil)
    }

    /// The open connection, or one being opened.
    func channel() -> EventLoopFuture<any Channel> {
        let eventLoop = group.any()
        enum Next {
            case ready(any Channel)
            case wait(EventLoopFuture<any Channel>)
            case refused(RedisError)
            case closed
            case open(EventLoopPromise<any Channel>)
        }
        let next: Next = state.withLock { state in
            switch state {
            case .connected(let channel) where channel.isActive: return .ready(channel)
            case .connecting(let future): return .wait(future)
            case .closed: return .closed
            case .failed(let until, let error) where until > .now(): return .refused(error)
            case .idle, .connected, .failed:
                let promise = eventLoop.makePromise(of: (any Channel).self)
                state = .connecting(promise.futureResult)
                return .open(promise)
            }
        }
        switch next {
        case .ready(let channel): return channel.eventLoop.makeSucceededFuture(channel)
        case .wait(let future): return future
        case .closed: return eventLoop.makeFailedFuture(RedisError(message: "the Redis client is closed"))
        case .refused(let error): return eventLoop.makeFailedFuture(error)
        case .open(let promise):
            connect(on: eventLoop).whenComplete { result in
                let closedMeanwhile = self.state.withLock { state in
                    guard case .connecting = state else { return true }
                    switch result {
                    case .success(let channel): state = .connected(channel)
                    case .failure(let error):
                        state = .failed(until: .now() + Self.retryPause, error as? RedisError ?? RedisError(message: "\(error)"))
                    }
                    return false
                }
                if closedMeanwhile, case .success(let channel) = result {
                    // close() ran while connecting: the new connection is not kept.
                    channel.close(promise: nil)
                    return promise.fail(RedisError(message: "the Redis client is closed"))
                }
                if case .success(let channel) = result {
                    channel.closeFuture.whenComplete { _ in
                        self.state.withLock { state in
                            if case .connected(let current) = state, current === channel { state = .idle }
                        }
                        self.disconnected()
                    }
                }
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    private func disconnected() {
        if case .subscriber = mode { subscriberLost?() }
    }

    /// Set by ``RedisSubscriber``: what to do when its connection is lost.
    let subscriberLostHook = Mutex<(@Sendable () -> Void)?>(nil)
    private var subscriberLost: (@Sendable () -> Void)? { subscriberLostHook.withLock { $0 } }

    private func connect(on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let endpoint = self.endpoint
        let timeout = self.timeout
        let pushes: (@Sendable (RedisPush) -> Void)?
        if case .subscriber(let onPush, _) = mode { pushes = onPush } else { pushes = nil }
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(timeout: timeout, onPush: pushes))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMapErrorThrowing { error in
                throw RedisError(message: "cannot connect to \(endpoint.host):\(endpoint.port): \(error)")
            }
        let mode = self.mode
        let name = self.name
        return connected.flatMap { channel in
            var steps: [[RedisArgument]] = []
            if let password = endpoint.password {
                steps.append(endpoint.username.map { ["AUTH", .text($0), .text(password)] } ?? ["AUTH", .text(password)])
            }
            if endpoint.database != 0 { steps.append(["SELECT", .text(String(endpoint.database))]) }
            if let name { steps.append(["CLIENT", "SETNAME", .text(name)]) }
            let replies = steps.map { RedisRequest.send($0, on: channel) }
            var ready = EventLoopFuture.andAllSucceed(replies, on: channel.eventLoop)
            if case .subscriber(_, let onConnect) = mode { ready = ready.flatMap { onConnect(channel) } }
            return ready.map { channel }.flatMapError { error in
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
    }
}

/// A command on its way to the handler.
struct RedisRequest {
    var arguments: [RedisArgument]
    var promise: EventLoopPromise<RedisReply>?
    /// False for SUBSCRIBE / UNSUBSCRIBE on a subscriber connection (answered by pushes).
    var expectsReply: Bool

    /// Writes a command to `channel` and returns its answer. A write that would never reach the
    /// handler fails the command at once: once the connection has closed its handler leaves the
    /// pipeline, and NIO then fails the write, not the request it carried, whose answer (and the
    /// connection a client was opening with it) would wait forever. On the channel's loop (the
    /// usual case: the caller continues a future of that loop) an active channel still has its
    /// handler, which fails what comes after it closed; off the loop, the write's own promise is
    /// watched instead (one more allocation).
    static func send(_ arguments: [RedisArgument], on channel: any Channel) -> EventLoopFuture<RedisReply> {
        let answer = channel.eventLoop.makePromise(of: RedisReply.self)
        if channel.eventLoop.inEventLoop {
            guard channel.isActive else {
                answer.fail(RedisError(message: "the connection to Redis was lost"))
                return answer.futureResult
            }
            channel.write(RedisRequest(arguments: arguments, promise: answer, expectsReply: true), promise: nil)
        } else {
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { _ in answer.fail(RedisError(message: "the connection to Redis was lost")) }
            channel.write(RedisRequest(arguments: arguments, promise: answer, expectsReply: true), promise: written)
        }
        return answer.futureResult
    }
}

/// The connection's handler: encodes requests into one buffered write per event-loop turn, parses
/// answers with hiredis, completes the waiting commands in order, and closes the connection when
/// the oldest command has waited past the timeout.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private let reader = RedisReplyReader()
    private var waiting = CircularBuffer<(promise: EventLoopPromise<RedisReply>?, since: NIODeadline)>()
    private var flushScheduled = false
    private var watchdog: RepeatedTask?
    private let timeout: TimeAmount
    private let onPush: (@Sendable (RedisPush) -> Void)?
    private var outbound = ByteBuffer()
    /// When the last answer arrived.
    fileprivate var lastAnswer = NIODeadline.distantPast
    /// Set when the connection closes: later writes fail at once.
    private var closed = false

    init(timeout: Duration, onPush: (@Sendable (RedisPush) -> Void)?) {
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.onPush = onPush
    }

    func channelActive(context: ChannelHandlerContext) {
        let timeout = self.timeout
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            let (handler, context) = loopBound.value
            // Silence, not slowness: the oldest command has waited past the timeout and no answer
            // at all came meanwhile (a long pipeline on a loaded machine keeps answering).
            if let oldest = handler.waiting.first, max(oldest.since, handler.lastAnswer) + timeout < .now() {
                handler.closed = true
                handler.failAll(RedisError(message: "Redis did not answer within \(timeout.nanoseconds / 1_000_000) ms"))
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard !closed else {
            // The connection closed between the caller finding it open and this write: nothing
            // would ever answer.
            request.promise?.fail(RedisError(message: "the connection to Redis was lost"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        RESP.write(request.arguments, into: &outbound)
        if request.expectsReply { waiting.append((request.promise, .now())) }
        promise?.succeed()
        guard !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.flushScheduled = false
            guard handler.outbound.readableBytes > 0 else { return }
            let bytes = handler.outbound
            handler.outbound = context.channel.allocator.buffer(capacity: 0)
            context.writeAndFlush(handler.wrapOutboundOut(bytes), promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.feed(unwrapInboundIn(data))
            while let parsed = try reader.next(pushes: onPush != nil) {
                switch parsed {
                case .success(.push(let push)): onPush?(push)
                case .success(.reply(let reply)):
                    lastAnswer = .now()
                    waiting.popFirst()?.promise?.succeed(reply)
                case .failure(let error):
                    lastAnswer = .now()
                    waiting.popFirst()?.promise?.fail(error)
                }
            }
        } catch {
            closed = true
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        watchdog?.cancel()
        failAll(RedisError(message: "the connection to Redis was lost"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closed = true
        failAll(RedisError(message: "the connection to Redis failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        while let entry = waiting.popFirst() { entry.promise?.fail(error) }
    }
}
