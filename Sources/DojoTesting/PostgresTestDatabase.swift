import DojoStorage
import Foundation
import Logging
import PostgresNIO

/// A throw-away Postgres database: created empty for one test, dropped after it.
public enum PostgresTestDatabase {
    /// Creates a new database on the server of `adminURL`, runs `body` with its URL, then drops it.
    public static func with<T>(adminURL: String, _ body: (String) async throws -> T) async throws -> T {
        let name = "dojo_test_" + TestServices.uniqueID()
        try await admin(adminURL, "CREATE DATABASE \(name)")
        do {
            let result = try await body(replacingDatabase(in: adminURL, with: name))
            try await admin(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await admin(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Like ``with(adminURL:_:)``, with the new database reached through a ``TCPProxy`` that the test
    /// can cut and restore; `body` gets the URL through the proxy.
    public static func withProxied<T>(adminURL: String, _ body: (_ url: String, _ proxy: TCPProxy) async throws -> T) async throws -> T {
        try await with(adminURL: adminURL) { url in
            var components = URLComponents(string: url)!
            let proxy = try await TCPProxy.start(targetHost: components.host ?? "127.0.0.1", targetPort: components.port ?? 5432)
            components.host = "127.0.0.1"
            components.port = proxy.port
            do {
                let result = try await body(components.string!, proxy)
                try await proxy.stop()
                return result
            } catch {
                try? await proxy.stop()
                throw error
            }
        }
    }

    /// `url` with its database path replaced by `database`.
    public static func replacingDatabase(in url: String, with database: String) -> String {
        var components = URLComponents(string: url)!
        components.path = "/" + database
        return components.string!
    }

    private static func admin(_ url: String, _ sql: String) async throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url), backgroundLogger: Logger(label: "test.admin"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test.admin"))
        }
    }
}
