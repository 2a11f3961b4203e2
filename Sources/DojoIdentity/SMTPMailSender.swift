import DojoDomain
import DojoStorage
public import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Where `mail.transport = smtp` sends: a submission server (RFC 6409), reached over TLS —
/// STARTTLS on `smtp://` (port 587 by default), TLS from the first byte on `smtps://` (465) — or,
/// for a relay on this machine only, in plain text (`smtp://localhost:25?tls=none`).
public struct SMTPConfiguration: Sendable, Equatable {
    public enum Security: String, Sendable, Equatable {
        /// `STARTTLS` after the greeting; a server that does not offer it is refused.
        case starttls
        /// TLS from the first byte (`smtps://`).
        case implicit
        /// Plain text: only to a loopback address (a local relay or a test server).
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The `From:` header (`DojoPool <no-reply@example.com>`) and its address (`MAIL FROM`).
    public var from: String
    public var fromAddress: String
    /// A PEM file of certificate authorities to trust instead of the system's (a private relay).
    public var caFile: String?
    /// How long one message may take, connection to `QUIT`.
    public var timeout: Duration = .seconds(10)

    /// What is wrong with a setting: its configuration key and why.
    public struct Invalid: Error, Sendable, Equatable {
        public var key: String
        public var message: String
    }

    /// Reads `smtp://user:password@host:port?tls=none` or `smtps://…`; the error says what is wrong.
    public init(url text: String, from: String, caFile: String? = nil) throws(Invalid) {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["smtp", "smtps"].contains(scheme), let host = url.host, !host.isEmpty
        else {
            throw Invalid(key: "mail.smtp.url", message: "an smtp:// or smtps:// URL, like smtp://user:password@mail.example.com:587")
        }
        self.host = host
        let tls = url.queryItems?.first { $0.name == "tls" }?.value
        switch (scheme, tls) {
        case ("smtps", nil): security = .implicit
        case ("smtp", nil), ("smtp", "starttls"): security = .starttls
        case ("smtp", "none"):
            guard ["localhost", "127.0.0.1", "::1"].contains(host) else {
                throw Invalid(
                    key: "mail.smtp.url",
                    message: "tls=none sends passwords and codes in the clear: only to a relay on this machine"
                )
            }
            security = .none
        default:
            throw Invalid(key: "mail.smtp.url", message: "tls is starttls (the default for smtp://) or none (loopback only)")
        }
        port = url.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65_535).contains(port) else { throw Invalid(key: "mail.smtp.url", message: "the port is 1–65535") }
        username = url.user?.removingPercentEncoding
        password = url.password?.removingPercentEncoding
        guard let address = Self.address(in: from) else {
            throw Invalid(key: "mail.from", message: "an address, or a name and <address>: DojoPool <no-reply@example.com>")
        }
        self.from = from
        fromAddress = address
        self.caFile = caFile
    }

    /// The address of `Name <address>` or of a bare address; nil when there is none or the text
    /// could break a header.
    public static func address(in text: String) -> String? {
        // Scalars, not characters: "\r\n" is one Character, equal to neither.
        guard !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
        var address = text
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            address = String(text[text.index(after: open)..<close])
        }
        address = address.trimmingCharacters(in: .whitespaces)
        return AccountNames.isValidEmail(address.lowercased()) ? address : nil
    }
}

/// An SMTP client for one message at a time (a connection per message: mail here is sign-in codes
/// and rate-limited notification digests, not bulk): EHLO, STARTTLS (then EHLO again), AUTH PLAIN
/// when a user is configured, MAIL FROM, RCPT TO, DATA, QUIT. The body goes as base64 text/plain
/// UTF-8 (no line is ever a lone dot, no 8-bit transport is needed); a non-ASCII subject as an
/// RFC 2047 encoded word. A refusal from the server is thrown with its reply.
public struct SMTPMailSender: MailSender {
    public struct Refused: Error, CustomStringConvertible {
        public var step: String
        public var reply: String
        public var description: String { "the mail server refused \(step): \(reply)" }
    }

    public let configuration: SMTPConfiguration
    public let heloName: String
    public let logger: Logger

    public init(configuration: SMTPConfiguration, heloName: String, logger: Logger) {
        self.configuration = configuration
        self.heloName = heloName
        self.logger = logger
    }

    public func send(to address: String, subject: String, body: String) async throws {
        guard AccountNames.isValidEmail(address.lowercased()), !subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw Refused(step: "the message", reply: "a recipient or subject that would break the headers")
        }
        let message = Self.message(from: configuration.from, to: address, subject: subject, body: body, domain: configuration.fromAddress)
        let configuration = self.configuration
        let helo = heloName
        try await withTimeout(configuration.timeout) {
            try await Self.deliver(message, to: address, configuration: configuration, helo: helo)
        }
    }

    static func tlsContext(_ configuration: SMTPConfiguration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.caFile { tls.trustRoots = .file(file) }
        return try NIOSSLContext(configuration: tls)
    }

    public static func deliver(_ message: String, to address: String, configuration: SMTPConfiguration, helo: String) async throws {
        let context = configuration.security == .none ? nil : try tlsContext(configuration)
        let host = configuration.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if configuration.security == .implicit, let context {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: host))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var replies = Replies(inbound.makeAsyncIterator())
            func command(_ line: String, _ step: String, expect codes: Set<Int>) async throws -> Reply {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                return try await replies.next(step, expect: codes)
            }
            _ = try await replies.next("the greeting", expect: [220])
            var hello = try await command("EHLO \(helo)", "EHLO", expect: [250])
            if configuration.security == .starttls {
                guard hello.offers("STARTTLS") else { throw Refused(step: "STARTTLS", reply: "the server does not offer it") }
                _ = try await command("STARTTLS", "STARTTLS", expect: [220])
                let raw = channel.channel
                try await raw.eventLoop.submit {
                    try raw.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context!, serverHostname: host), position: .first)
                }.get()
                hello = try await command("EHLO \(helo)", "EHLO after STARTTLS", expect: [250])
            }
            if let user = configuration.username {
                let token = Data(([0] + Array(user.utf8) + [0] + Array((configuration.password ?? "").utf8))).base64EncodedString()
                _ = try await command("AUTH PLAIN \(token)", "AUTH", expect: [235])
            }
            _ = try await command("MAIL FROM:<\(configuration.fromAddress)>", "MAIL FROM", expect: [250])
            _ = try await command("RCPT TO:<\(address)>", "RCPT TO", expect: [250, 251])
            _ = try await command("DATA", "DATA", expect: [354])
            _ = try await command(message + "\r\n.", "the message", expect: [250])
            _ = try? await command("QUIT", "QUIT", expect: [221])
        }
    }

    /// The message: headers and a base64 body, lines ending in CRLF (the final `.` is the caller's).
    public static func message(from: String, to: String, subject: String, body: String, domain: String, date: Date = Date()) -> String {
        let encodedSubject =
            subject.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 }
            ? subject : "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let host = domain.split(separator: "@").last.map(String.init) ?? "dojopool"
        let encoded = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: \(from)", "To: <\(to)>", "Subject: \(encodedSubject)", "Date: \(formatter.string(from: date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(host)>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64", "", encoded,
        ].joined(separator: "\r\n")
    }

    /// One reply: its code and its lines' text.
    public struct Reply {
        var code: Int
        var lines: [String]

        /// Whether an EHLO reply lists `keyword` (the first word of a line after the greeting).
        func offers(_ keyword: String) -> Bool {
            lines.dropFirst().contains { $0.split(separator: " ").first?.uppercased() == keyword }
        }
    }

    /// Reads replies line by line: `250-…` lines continue, `250 …` ends one.
    public struct Replies {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending: [UInt8] = []

        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

        mutating func line() async throws -> String {
            while true {
                if let end = pending.firstIndex(of: 0x0A) {
                    var bytes = Array(pending[..<end])
                    pending.removeFirst(end + 1)
                    if bytes.last == 0x0D { bytes.removeLast() }
                    return String(decoding: bytes, as: UTF8.self)
                }
                guard pending.count < 8_192 else { throw Refused(step: "the reply", reply: "a line longer than 8 KiB") }
                guard var buffer = try await iterator.next() else { throw Refused(step: "the reply", reply: "the connection closed") }
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        }

        mutating func next(_ step: String, expect codes: Set<Int>) async throws -> Reply {
            var lines: [String] = []
            while true {
                let line = try await line()
                guard line.utf8.count >= 3, let code = Int(line.prefix(3)) else {
                    throw Refused(step: step, reply: "not an SMTP reply: \(line.prefix(80))")
                }
                lines.append(String(line.dropFirst(4)))
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                    guard codes.contains(code) else { throw Refused(step: step, reply: "\(code) \(lines.joined(separator: " ").prefix(200))") }
                    return Reply(code: code, lines: lines)
                }
                guard lines.count < 100 else { throw Refused(step: step, reply: "a reply of more than 100 lines") }
            }
        }
    }
}
