import Synchronization

/// Connections open per client address, capped at `HTTPLimits.connectionsPerAddress` (0: no cap).
/// Addresses of trusted proxies are not capped: many clients arrive through them.
public final class AddressConnectionLimiter: Sendable {
    private let limit: Int
    private let exempt: Set<String>
    private let open = Mutex<[String: Int]>([:])

    public init(limit: Int, exempt: Set<String>) {
        self.limit = limit
        self.exempt = exempt
    }

    enum Admission { case refused, counted, uncapped }

    /// Counts a new connection from `address` (`counted`: call ``release(_:)`` when it closes);
    /// `refused` when the address is at its cap; `uncapped` when no cap applies (nothing to
    /// release, and nothing kept per connection).
    func admit(_ address: String) -> Admission {
        guard limit > 0, !exempt.contains(address) else { return .uncapped }
        return open.withLock { open in
            let count = open[address, default: 0]
            guard count < limit else { return .refused }
            open[address] = count + 1
            return .counted
        }
    }

    /// A connection admitted by ``admit(_:)`` closed.
    func release(_ address: String) {
        open.withLock { open in
            let count = open[address, default: 1] - 1
            open[address] = count > 0 ? count : nil
        }
    }

    /// Connections open now from `address` (tests, metrics).
    public func openConnections(_ address: String) -> Int { open.withLock { $0[address] ?? 0 } }
}
