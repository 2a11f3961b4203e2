import Foundation

/// Where and how to reach Redis: `redis://[user][:password]@host[:port][/db]`.
public struct RedisEndpoint: Sendable, Equatable {
    /// Host name or address.
    public var host: String
    /// TCP port (6379 by default).
    public var port: Int
    /// ACL user name, if any.
    public var username: String?
    /// Password, if any. Never logged.
    public var password: String?
    /// Database number (0 by default).
    public var database: Int

    /// A URL that cannot be used, with the reason (never the password).
    public struct Invalid: Error, CustomStringConvertible {
        /// Why.
        public var reason: String
        public var description: String { reason }
    }

    /// Parses a `redis://` URL.
    public init(url: String) throws(Invalid) {
        guard let components = URLComponents(string: url), let scheme = components.scheme else {
            throw Invalid(reason: "not a URL; expected redis://[:password@]host[:port][/db]")
        }
        guard scheme == "redis" else {
            throw Invalid(reason: "scheme must be redis:// (TLS is not supported yet), not \(scheme)://")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "no host") }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw Invalid(reason: "port out of range") }
        let path = components.path.drop(while: { $0 == "/" })
        var database = 0
        if !path.isEmpty {
            guard let number = Int(path), (0...15).contains(number) else { throw Invalid(reason: "database must be 0–15") }
            database = number
        }
        self.host = host
        self.port = port
        self.username = components.user.flatMap { $0.isEmpty ? nil : ($0.removingPercentEncoding ?? $0) }
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
    }
}
