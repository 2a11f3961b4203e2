public import DojoDomain
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where push notifications go: a port, so that a deployment plugs in its push gateway (off by
/// default). The server's own adapter, ``WebhookPushSender``, POSTs each message to a gateway that
/// holds the players' device tokens and speaks to APNs and FCM.
public protocol PushSender: Sendable {
    /// Sends one message to a player's devices. Throws ``DeliveryFailure``.
    func push(_ message: PushMessage) async throws
}

/// One push message: a notification alone, or a digest of several.
public struct PushMessage: Sendable, Equatable {
    public var messageID: String
    public var userID: String
    public var title: String
    public var body: String
    public var isDigest: Bool
    public var notifications: [NotificationMessage.Item]
}

/// Why a message did not go out: worth another attempt later, or not.
public struct DeliveryFailure: Error, Sendable, CustomStringConvertible {
    public var retryable: Bool
    public var description: String

    public init(retryable: Bool, _ description: String) {
        self.retryable = retryable
        self.description = description
    }
}

/// The push gateway's endpoint (`notifications.push.*`; no push when no URL is set).
public typealias PushGatewayConfiguration = HookEndpoint

/// POSTs each message to the push gateway, signed like the commentary hook (``SignedRequest``):
/// `{"messageId", "userId", "title", "body", "digest", "notifications": [{"id", "type",
/// "payload", "createdAt"}]}` with `X-Dojo-Delivery: <messageId>`. A 2xx answer is a delivery; a
/// network error, 408, 429 or a 5xx is retried later; another 4xx is given up.
public struct WebhookPushSender: PushSender {
    let configuration: PushGatewayConfiguration
    let session: URLSession

    public init(configuration: PushGatewayConfiguration) {
        self.configuration = configuration
        session = SignedRequest.session(timeout: configuration.timeout)
    }

    public func push(_ message: PushMessage) async throws {
        let request = SignedRequest.post(configuration.url, body: Self.body(message), delivery: message.messageID, secret: configuration.secret)
        let status: Int
        do {
            let (_, response) = try await session.data(for: request)
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
        } catch {
            throw DeliveryFailure(retryable: true, "push gateway: \(error)")
        }
        guard (200..<300).contains(status) else {
            throw DeliveryFailure(retryable: SignedRequest.isRetryable(status), "push gateway answered HTTP \(status)")
        }
    }

    static func body(_ message: PushMessage) -> Data {
        var json = JSONWriter(capacity: 256 + message.body.utf8.count)
        json.beginObject()
        json.member("body", message.body)
        json.member("digest", message.isDigest)
        json.member("messageId", message.messageID)
        json.key("notifications")
        json.beginArray()
        for item in message.notifications {
            json.beginObject()
            json.member("createdAt", Timestamp(item.createdAt))
            json.member("id", item.id)
            json.key("payload")
            json.beginObject()
            for (key, value) in item.payload.sorted(by: { $0.key < $1.key }) { json.member(key, value) }
            json.endObject()
            json.member("type", item.type)
            json.endObject()
        }
        json.endArray()
        json.member("title", message.title)
        json.member("userId", message.userID)
        json.endObject()
        return Data(json.bytes)
    }
}
