import Foundation

/// The external services integration tests run against, read from the environment:
/// `DOJO_TEST_POSTGRES_URL` (a role allowed to create databases) and `DOJO_TEST_REDIS_URL`.
///
/// Locally, an unset URL disables the tests that need it, with a printed reason. With `CI=true`
/// an unset URL is a failure, never a skip.
public enum TestServices {
    /// A required service that is not configured in CI.
    public struct Missing: Error, CustomStringConvertible {
        /// The variable that is unset.
        public var variable: String
        public var description: String { "\(variable) is not set, and CI=true: integration tests must not be skipped in CI" }
    }

    /// Whether this run is CI (`CI=true`).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" }

    /// The admin Postgres URL, or `nil` (locally) when unset; throws in CI when unset.
    public static func postgresURL() throws -> String? { try url("DOJO_TEST_POSTGRES_URL") }

    /// The Redis URL, or `nil` (locally) when unset; throws in CI when unset.
    public static func redisURL() throws -> String? { try url("DOJO_TEST_REDIS_URL") }

    private static func url(_ variable: String) throws -> String? {
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
        if isCI { throw Missing(variable: variable) }
        print("note: \(variable) is not set; skipping the part of this test that needs it")
        return nil
    }

    /// A new empty folder under the temporary directory.
    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "dojopool-test-" + UUID().uuidString.prefix(12).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A short random id for test-owned names.
    public static func uniqueID() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased() }
}
