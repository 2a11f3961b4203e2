import NIOCore

/// A token bucket with a voice: `rate` per second sustained, `burst` at once. What is past it is
/// dropped; the sender hears why on its first refusal in a row and every `sayEvery`-th after,
/// and a sender that keeps going with nothing admitted (more than `abusiveAfter` refusals in a
/// row) is to be cut off. A value: the caller gives the time and the policy, the budget answers a
/// ``Verdict``. It holds only its state (a server keeps one or two per socket).
struct TokenBudget {
    struct Policy {
        var rate: Int
        var burst: Int
        var sayEvery: Int
        var abusiveAfter: Int
    }

    enum Verdict: Equatable {
        case admitted
        /// Dropped without a word (the sender was told recently).
        case dropped
        /// Dropped, and the sender is told to wait this long before the next one.
        case refused(retryAfterMilliseconds: Int)
        /// Dropped, and the sender kept going far past the budget: close it.
        case abusive
    }

    private var tokens: Double
    private var refilled: NIODeadline
    private(set) var refusedInARow = 0

    /// A full budget.
    init(_ policy: Policy, now: NIODeadline) {
        tokens = Double(policy.burst)
        refilled = now
    }

    mutating func take(_ policy: Policy, now: NIODeadline) -> Verdict {
        let rate = Double(policy.rate)
        let elapsed = Double((now - refilled).nanoseconds) / 1e9
        refilled = now
        tokens = min(Double(policy.burst), tokens + max(elapsed, 0) * rate)
        if tokens >= 1 {
            tokens -= 1
            refusedInARow = 0
            return .admitted
        }
        refusedInARow += 1
        if refusedInARow > policy.abusiveAfter { return .abusive }
        guard refusedInARow == 1 || refusedInARow % policy.sayEvery == 0 else { return .dropped }
        return .refused(retryAfterMilliseconds: Int(((1 - tokens) / rate * 1000).rounded(.up)))
    }
}
