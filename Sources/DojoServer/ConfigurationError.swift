import Foundation

/// A configuration value that stops start-up, naming its key and its environment variable.
/// The value itself is shown only when the key is not a secret.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration key (`http.port`).
    public var key: String
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    /// The environment variable for `key`: `DOJO_` and the key upper-cased with `_` for `.`.
    public var environmentVariable: String { "DOJO_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }

    public var description: String { "invalid configuration: \(key) (\(environmentVariable)): \(message)" }
}
