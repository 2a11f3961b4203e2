import DojoDomain
import DojoStorage
import Testing

@testable import DojoRuntime

@Suite("One wire form for every error, on REST and the socket")
struct WireErrorTests {
    @Test("internal runtime codes and storage text never reach a client")
    func runtimeAndStorage() {
        let cases: [(any Error, Int, String)] = [
            (RuntimeError(.busy, "match:m1 has 256 commands waiting"), 503, "busy"),
            (RuntimeError(.fenced, "match:m1 was appended by another writer at 12"), 409, "conflict"),
            (RuntimeError(.stopped, "actor match:m1 stopped"), 503, "unavailable"),
            (RuntimeError(.unavailable, "batch timed out after 10 s"), 503, "unavailable"),
            (RuntimeError(.shuttingDown, "stopping"), 503, "shutting_down"),
            (StorageError(.unavailable, "connection refused 127.0.0.1:5432", stream: "match:m1"), 503, "unavailable"),
            (StorageError(.invalidRequest, "event type must be 1–128 bytes", stream: "match:m1"), 500, "internal"),
            (DomainError(.conflict, "match.finished", "cannot start a completed match"), 409, "match.finished"),
            (DomainError(.invalid, "match.invalid_race", "the race must be 1–99 racks"), 422, "match.invalid_race"),
            (DomainError(.notFound, "match.not_found", "match m9 does not exist"), 404, "match.not_found"),
            (DomainError(.forbidden, "forbidden", "no"), 403, "forbidden"),
            (CancellationError(), 500, "internal"),
        ]
        for (error, status, code) in cases {
            let wire = WireError(error)
            #expect(wire.status == status && wire.code == code, "\(error) → \(wire)")
            if !(error is DomainError) {
                #expect(!wire.message.contains("match:m1") && !wire.message.contains("127.0.0.1"), "internal text leaked: \(wire.message)")
            }
        }
        #expect(WireError(RuntimeError(.busy, "x")).retryAfter == 1)
    }
}
