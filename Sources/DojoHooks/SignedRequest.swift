import Crypto
import DojoRuntime
public import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An external service the server posts to, signed (the commentary hook, the push gateway).
public struct HookEndpoint: Sendable, Equatable {
    /// `https://…`, or `http://` inside a private network.
    public var url: URL
    /// The HMAC-SHA256 key the requests are signed with (≥ 32 characters).
    public var secret: String
    /// How long one attempt may take.
    public var timeout: Duration

    public init(url: URL, secret: String, timeout: Duration = .seconds(2)) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }
}

/// The signed POST the server's outgoing hooks share (the commentary hook, the push sender):
/// `X-Dojo-Delivery` names what is delivered (so the receiver can drop repeats),
/// `X-Dojo-Timestamp` is Unix seconds, and `X-Dojo-Signature: sha256=<hex>` is the HMAC-SHA256 of
/// `<timestamp>.<body>` under the shared secret.
enum SignedRequest {
    /// The signature header's value for a body sent at `timestamp`.
    static func signature(secret: String, timestamp: Int, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// A JSON POST of `body` to `url`, signed now.
    static func post(_ url: URL, body: Data, delivery: String, secret: String, now: Date = Date()) -> URLRequest {
        let timestamp = Int(now.timeIntervalSince1970)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(delivery, forHTTPHeaderField: "X-Dojo-Delivery")
        request.setValue(String(timestamp), forHTTPHeaderField: "X-Dojo-Timestamp")
        request.setValue(signature(secret: secret, timestamp: timestamp, body: body), forHTTPHeaderField: "X-Dojo-Signature")
        return request
    }

    /// Whether an answer's status is worth another attempt (network trouble, 408, 429, 5xx).
    static func isRetryable(_ status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// A session whose requests give up after `timeout`.
    static func session(timeout: Duration) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.seconds
        configuration.timeoutIntervalForResource = timeout.seconds
        return URLSession(configuration: configuration)
    }
}
