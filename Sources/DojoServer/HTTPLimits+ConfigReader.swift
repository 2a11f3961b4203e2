public import Configuration
public import DojoGateway
import NIOCore

/// The HTTP edge's keys: `http.timeout.*`, `http.header.max.bytes`, `http.connections.per.address`.
extension HTTPLimits {
    /// Reads and validates the component's keys; throws a ``ConfigurationError`` naming the first bad one.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        if let seconds = try reader.checkedInteger("http.timeout.header.seconds", in: 1...3_600) {
            self.headerTimeout = .seconds(Int64(seconds))
        }
        if let seconds = try reader.checkedInteger("http.timeout.idle.seconds", in: 1...86_400) { self.idleTimeout = .seconds(Int64(seconds)) }
        self.maximumHeaderBytes = try reader.checkedInteger("http.header.max.bytes", in: 1_024...1_048_576) ?? self.maximumHeaderBytes
        self.connectionsPerAddress =
            try reader.checkedInteger("http.connections.per.address", in: 0...10_000_000) ?? self.connectionsPerAddress
    }
}
