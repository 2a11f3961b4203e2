public import Logging

/// Where login codes and other mail go: a port, so that a deployment plugs in its provider. With
/// no transport configured (`mail.transport = none`, the default) nothing is sent and the email
/// code route answers 503; `mail.transport = log` writes messages to the log, for development
/// only (refused with `server.environment = production`); `mail.transport = smtp` sends through a
/// submission server (``SMTPMailSender``); tests capture what was sent.
public protocol MailSender: Sendable {
    func send(to address: String, subject: String, body: String) async throws
}

/// Writes each message to the log at notice level, the body (and so the code) included: chosen
/// explicitly with `mail.transport = log`, warned about at start-up, refused in production.
public struct LogMailSender: MailSender {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func send(to address: String, subject: String, body: String) async throws {
        logger.notice(
            "mail (log sender: configure a real sender in production)",
            metadata: ["mail.to": "\(address)", "mail.subject": "\(subject)", "mail.body": "\(body)"]
        )
    }
}
