import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `dojopool healthcheck`: asks a running server's `/healthz` (or `--path`) over plain HTTP and
/// exits 0 on a 200, 1 otherwise: the container's HEALTHCHECK, with no curl in the image.
struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Exit 0 when the server at --port answers 200 on --path.")

    @Option(help: "The server's port on 127.0.0.1.")
    var port = 8080
    @Option(help: "The path to ask.")
    var path = "/healthz"
    @Option(help: "Seconds to wait for the answer.")
    var timeout = 3

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port is 1–65535") }
        guard (1...60).contains(timeout) else { throw ValidationError("--timeout is 1–60 seconds") }
        guard path.hasPrefix("/"), path.utf8.count <= 256, !path.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ValidationError("--path is an absolute path without spaces, at most 256 characters")
        }
    }

    func run() async throws {
        guard let status = Self.status(port: port, path: path, timeout: timeout), status == 200 else {
            throw ExitCode(1)
        }
    }

    /// The HTTP status of `GET path` on 127.0.0.1:`port`, nil when there is no answer in time.
    static func status(port: Int, path: String, timeout: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received >= 12 else { return nil }
        // "HTTP/1.1 200 …"
        let line = String(decoding: buffer[..<received], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) : nil
    }
}
