public import DojoDomain
public import Foundation

/// Which node owns an entity's actor when several nodes serve one platform (docs/cluster.md): one
/// owner at a time, the others forward to it. Without an ownership (one node) every actor is local.
/// The cluster's adapter keeps the claims in Redis, valid while their node's membership is.
public protocol EntityOwnership: Sendable {
    /// Takes the entity for this node, confirms this node holds it, or names the node that does.
    func claim(_ key: EntityKey) async throws -> OwnershipClaim
    /// Gives the entity up (passivation): another node may take it at once.
    func release(_ key: EntityKey) async
    /// This node's standing: a number that changes whenever its membership lapsed (its claims may
    /// have been taken since, so actors activated before must be activated again), or nil while it
    /// is lapsed (it may serve no actor).
    func generation() -> Int?
}

/// The answer of ``EntityOwnership/claim(_:)``.
public enum OwnershipClaim: Sendable, Equatable {
    case owned
    case ownedBy(node: String)
}

/// Carries a command or a read to the node that owns the entity and brings its answer back
/// (``ForwardedRequest``, ``ForwardedAnswer`` as JSON): the node-to-node transport. It throws
/// ``ForwardingError/notDelivered`` only when the request surely did not reach the node (no
/// connection): the caller may then ask again who owns the entity and send it there. Any other
/// failure leaves the outcome unknown: the command may have been recorded, and only the client,
/// with its command id, may try again.
public protocol CommandForwarder: Sendable {
    func forward(to node: String, kind: EntityKind, id: String, request: Data) async throws -> Data
}

/// A forward that surely did not reach its node.
public struct ForwardingError: Error, Sendable, CustomStringConvertible {
    public var node: String
    public var reason: String

    public init(notDeliveredTo node: String, reason: String) {
        self.node = node
        self.reason = reason
    }

    public var description: String { "node \(node) could not be reached: \(reason)" }
}

/// The entity is owned by another node (thrown inside the directory, which then forwards).
struct NotOwner: Error {
    var node: String
}

/// A command or a read forwarded to the owner: the caller's command as its directory got it.
struct ForwardedRequest<A: Aggregate>: Codable, Sendable {
    var command: A.Command?
    var context: CommandContext?
    var commandID: String?
    var cause: Cause?
    /// The caller's W3C trace context (traces on): the owner's spans continue its trace.
    var traceparent: String? = nil
}

/// The owner's answer: the command's result or the state, or the error it threw, as the caller's
/// directory would have thrown it.
struct ForwardedAnswer<A: Aggregate>: Codable, Sendable {
    struct Failure: Codable, Sendable {
        var domain: DomainError.Kind?
        var runtime: String?
        var code: String
        var message: String
        /// The receiving node does not own the entity (it moved): ask who does, then forward there.
        var moved: Bool? = nil
    }

    var sequence: Int64 = 0
    var firstSequence: Int64?
    var events: [A.Event] = []
    var duplicate = false
    var state: A.State?
    var failure: Failure?

    init(result: CommandResult<A>) {
        sequence = result.sequence
        firstSequence = result.firstSequence
        events = result.events
        duplicate = result.duplicate
        state = result.state
    }

    init(state: A.State, sequence: Int64) {
        self.state = state
        self.sequence = sequence
    }

    init(error: any Error) {
        switch error {
        case let error as DomainError:
            failure = Failure(domain: error.kind, code: error.code, message: error.message)
        case let error as RuntimeError:
            failure = Failure(runtime: error.code.rawValue, code: error.code.rawValue, message: error.message)
        default:
            failure = Failure(runtime: RuntimeError.Code.unavailable.rawValue, code: "unavailable", message: "the owner failed: \(error)")
        }
    }

    /// The error the owner threw, thrown here.
    func rethrow() throws {
        guard let failure else { return }
        if let kind = failure.domain { throw DomainError(kind, failure.code, failure.message) }
        throw RuntimeError(RuntimeError.Code(rawValue: failure.runtime ?? "") ?? .unavailable, failure.message)
    }

    func result() throws -> CommandResult<A> {
        try rethrow()
        guard let state else { throw RuntimeError(.unavailable, "the owner's answer has no state") }
        return CommandResult(sequence: sequence, firstSequence: firstSequence, events: events, duplicate: duplicate, state: state)
    }
}
