import Foundation
import NIOSSL
public import PostgresNIO

/// Parses `postgres://user:password@host:port/database?sslmode=…` into a client configuration.
public enum PostgresURL {
    /// A URL that cannot be used, with the reason (never the password).
    public struct Invalid: Error, CustomStringConvertible {
        /// Why.
        public var reason: String
        public var description: String { reason }
    }

    /// The configuration for `url`. `sslmode` may be `disable` (the default), `prefer` or `require`.
    public static func configuration(from url: String) throws(Invalid) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let scheme = components.scheme else {
            throw Invalid(reason: "not a URL; expected postgres://user:password@host:port/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid(reason: "scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "no host") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(reason: "no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(reason: "no database name in the path") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw Invalid(reason: "port out of range") }

        let tls: PostgresClient.Configuration.TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other: throw Invalid(reason: "unknown sslmode \(other)")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding ?? components.password,
            database: database.removingPercentEncoding ?? database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 20
        return configuration
    }
}
