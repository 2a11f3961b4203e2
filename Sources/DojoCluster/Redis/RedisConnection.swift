import CHiredis
import NIOPosix
import Synchronization

/// A Redis error: the server's error reply or a connection failure, without secrets.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { "RedisError: \(message)" }
}

/// A reply from Redis.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case string(String)
    case integer(Int64)
    case array([RedisReply])
    case null
}

/// One connection to Redis through hiredis (the C client), used for commands that are not on the hot
/// path (readiness, administration). Blocking hiredis calls run on NIO's thread pool, one at a time;
/// a failed connection is dropped and reopened on the next command.
public final class RedisConnection: Sendable {
    /// The server.
    public let endpoint: RedisEndpoint
    /// Timeout for connecting and for each command.
    public let timeout: Duration

    // Safe: the context pointer is only touched while holding the mutex, by one thread at a time.
    private struct Context: @unchecked Sendable { var pointer: UnsafeMutablePointer<redisContext>? }
    private let context = Mutex(Context(pointer: nil))
    private let threadPool: NIOThreadPool

    /// Creates a connection (it connects lazily, on the first command).
    ///
    /// The connection has a thread of its own for hiredis's blocking calls, so a slow or unreachable
    /// Redis never holds a thread that other work needs.
    public init(endpoint: RedisEndpoint, timeout: Duration = .seconds(2)) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.threadPool = NIOThreadPool(numberOfThreads: 1)
        self.threadPool.start()
    }

    deinit {
        context.withLock { context in
            if let pointer = context.pointer { redisFree(pointer) }
        }
        threadPool.shutdownGracefully { _ in }
    }

    /// Sends `PING` and throws unless the answer is `PONG`.
    public func ping() async throws {
        guard try await command(["PING"]) == .status("PONG") else { throw RedisError(message: "unexpected answer to PING") }
    }

    /// Runs one command.
    public func command(_ arguments: [String]) async throws -> RedisReply {
        try await threadPool.runIfActive { try self.commandBlocking(arguments) }
    }

    private func commandBlocking(_ arguments: [String]) throws -> RedisReply {
        try context.withLock { context in
            do {
                let pointer = try context.pointer ?? connect()
                context.pointer = pointer
                return try Self.send(arguments, on: pointer)
            } catch {
                if let pointer = context.pointer, pointer.pointee.err != 0 {
                    redisFree(pointer)
                    context.pointer = nil
                }
                throw error
            }
        }
    }

    private func connect() throws -> UnsafeMutablePointer<redisContext> {
        let tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        guard let pointer = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), tv) else {
            throw RedisError(message: "cannot allocate a Redis context")
        }
        if pointer.pointee.err != 0 {
            let reason = Self.errorText(pointer)
            redisFree(pointer)
            throw RedisError(message: "cannot connect to \(endpoint.host):\(endpoint.port): \(reason)")
        }
        redisSetTimeout(pointer, tv)
        do {
            if let password = endpoint.password {
                _ = try Self.send(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password], on: pointer)
            }
            if endpoint.database != 0 { _ = try Self.send(["SELECT", String(endpoint.database)], on: pointer) }
        } catch {
            redisFree(pointer)
            throw error
        }
        return pointer
    }

    private static func send(_ arguments: [String], on pointer: UnsafeMutablePointer<redisContext>) throws -> RedisReply {
        let cStrings = arguments.map { strdup($0) }
        defer {
            for pointer in cStrings { free(pointer) }
        }
        var argv = cStrings.map { UnsafePointer<CChar>($0) }
        var lengths = arguments.map { $0.utf8.count }
        guard let raw = redisCommandArgv(pointer, Int32(arguments.count), &argv, &lengths) else {
            throw RedisError(message: "command failed: \(errorText(pointer))")
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return try convert(reply)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) throws -> RedisReply {
        let value = reply.pointee
        func text() -> String {
            guard let str = value.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: Int(value.len)), as: UTF8.self)
        }
        switch value.type {
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_INTEGER: return .integer(value.integer)
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ERROR: throw RedisError(message: text())
        case REDIS_REPLY_ARRAY:
            return .array(try (0..<Int(value.elements)).map { try convert(value.element[$0]!) })
        default: return .string(text())
        }
    }

    private static func errorText(_ pointer: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: pointer.pointee.errstr) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
