import Configuration
import DojoAPI
import DojoHooks
import Foundation

/// Reading a key with its checks, for every component's `init(reader:)`.
extension ConfigReader {
    // Every value is read as text first and parsed here, so that a bad value in a higher-precedence
    // source is reported with its key instead of silently falling back to a lower one.

    /// An outgoing hook's `<prefix>.url`, `<prefix>.secret` (≥ 32 characters, required with the
    /// URL) and `<prefix>.timeout.ms`; nil when no URL is set.
    func signedEndpoint(
        _ prefix: String,
        defaultTimeoutMilliseconds: Int
    ) throws(ConfigurationError)
        -> HookEndpoint?
    {
        guard let url = checkedText("\(prefix).url").flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(key: "\(prefix).url", message: "must be an http:// or https:// URL")
        }
        guard let secret = checkedText("\(prefix).secret", isSecret: true), secret.utf8.count >= 32 else {
            throw ConfigurationError(key: "\(prefix).secret", message: "the hook needs a secret of at least 32 characters (openssl rand -hex 32)")
        }
        let timeout = try checkedInteger("\(prefix).timeout.ms", in: 100...60_000) ?? defaultTimeoutMilliseconds
        return HookEndpoint(url: parsed, secret: secret, timeout: .milliseconds(timeout))
    }

    func checkedInteger(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = checkedText(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(key: key, message: "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(text)")
        }
        return value
    }

    func checkedList(_ key: String) -> [String] {
        (checkedText(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func checkedBoolean(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = checkedText(key) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(key: key, message: "must be true or false, not \(text)")
        }
    }

    /// The value as text, whatever its type in its source (`nil` when no source has the key).
    func checkedText(_ key: String, isSecret: Bool = false) -> String? {
        let key = ConfigKey(key)
        if let text = string(forKey: key, isSecret: isSecret) { return text }
        if let number = int(forKey: key) { return String(number) }
        if let number = double(forKey: key) { return String(number) }
        if let flag = bool(forKey: key) { return String(flag) }
        return nil
    }
}
