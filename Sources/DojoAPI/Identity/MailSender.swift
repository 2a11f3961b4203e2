public import Logging

/// Where login codes and other mail go: a port, so that a deployment plugs in its provider. The
/// default writes the message to the log (development); tests capture what was sent.
public protocol MailSender: Sendable {
    func send(to address: String, subject: String, body: String) async throws
}

/// Writes each message to the log at notice level (the body included: for development only).
public struct LogMailSender: MailSender {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func send(to address: String, subject: String, body: String) async throws {
        logger.notice("mail (log sender: configure a real sender in production)", metadata: ["mail.to": "\(address)", "mail.subject": "\(subject)", "mail.body": "\(body)"])
    }
}
