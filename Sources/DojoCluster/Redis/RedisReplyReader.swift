import CHiredis
public import NIOCore

/// A message Redis pushes to a subscribed connection: `message` (a publication), or the
/// confirmation of a `subscribe` / `unsubscribe`.
public struct RedisPush: Sendable {
    public var kind: String
    public var channel: String
    /// The publication's bytes (`message`); empty for confirmations.
    public var payload: ByteBuffer
}

/// hiredis's reply parser (`redisReader`) over the bytes NIO reads: the C library stays the one
/// that understands RESP, and the socket is NIO's, non-blocking, on an event loop. Used on one
/// event loop only.
final class RedisReplyReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        reader = redisReaderCreate()
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Gives the parser the bytes that arrived.
    func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw RedisError(message: "cannot parse Redis's answer: \(errorText)") }
    }

    /// The next complete reply, nil when more bytes are needed. A protocol error throws (the
    /// connection is then unusable); an error reply is returned as `.failure`. On a subscriber's
    /// connection (`pushes`) what Redis pushes is told apart from answers.
    func next(pushes: Bool) throws(RedisError) -> Result<Parsed, RedisError>? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            throw RedisError(message: "cannot parse Redis's answer: \(errorText)")
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        if reply.pointee.type == REDIS_REPLY_ERROR {
            return .failure(RedisError(message: Self.text(reply.pointee)))
        }
        if pushes, let push = Self.push(reply.pointee) { return .success(.push(push)) }
        return .success(.reply(try Self.convert(reply)))
    }

    enum Parsed {
        case reply(RedisReply)
        case push(RedisPush)
    }

    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    static func text(_ value: redisReply) -> String {
        guard let str = value.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: Int(value.len)), as: UTF8.self)
    }

    /// A pushed message (RESP2: an array of three whose first member is `message`, `subscribe` or
    /// `unsubscribe`).
    private static func push(_ value: redisReply) -> RedisPush? {
        guard value.type == REDIS_REPLY_ARRAY, value.elements == 3,
            let first = value.element[0]?.pointee, first.type == REDIS_REPLY_STRING,
            let second = value.element[1]?.pointee, second.type == REDIS_REPLY_STRING,
            let third = value.element[2]?.pointee
        else { return nil }
        let kind = text(first)
        guard kind == "message" || kind == "subscribe" || kind == "unsubscribe" else { return nil }
        var payload = ByteBuffer()
        if kind == "message", third.type == REDIS_REPLY_STRING, let str = third.str {
            payload = ByteBuffer(bytes: UnsafeRawBufferPointer(start: str, count: Int(third.len)))
        }
        return RedisPush(kind: kind, channel: text(second), payload: payload)
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) throws(RedisError) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STATUS: return .status(text(value))
        case REDIS_REPLY_STRING: return .string(text(value))
        case REDIS_REPLY_INTEGER: return .integer(value.integer)
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ERROR: throw RedisError(message: text(value))
        case REDIS_REPLY_ARRAY:
            var members: [RedisReply] = []
            members.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                guard let member = value.element[index] else { continue }
                members.append(try convert(member))
            }
            return .array(members)
        default: return .string(text(value))
        }
    }
}

/// Requests in RESP, written straight into NIO's buffer (an array of bulk strings: binary-safe).
enum RESP {
    static func write(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            switch argument {
            case .text(let text):
                buffer.writeString("$\(text.utf8.count)\r\n")
                buffer.writeString(text)
            case .bytes(let bytes):
                buffer.writeString("$\(bytes.readableBytes)\r\n")
                buffer.writeImmutableBuffer(bytes)
            }
            buffer.writeStaticString("\r\n")
        }
    }
}

/// One argument of a command: text, or bytes as they are.
public enum RedisArgument: Sendable, ExpressibleByStringLiteral {
    case text(String)
    case bytes(ByteBuffer)

    public init(stringLiteral value: String) { self = .text(value) }
}
