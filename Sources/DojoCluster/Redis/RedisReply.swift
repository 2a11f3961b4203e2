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
