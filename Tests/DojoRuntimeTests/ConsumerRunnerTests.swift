import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import DojoRuntime

/// Records the sequences it is handed.
private final class SequenceRecorder: EventConsumer {
    let name = "test.sequences"
    let kinds = [EntityKind.match]
    let handled = Mutex<[Int64]>([])

    func handle(stream: String, events: [RecordedEvent]) async throws {
        handled.withLock { $0 += events.map(\.sequence) }
    }
}

@Suite("Consumer runner")
struct ConsumerRunnerTests {
    @Test(
        "a stream the sweep finds behind is read from the log: an event told while it was behind is not lost behind a buffer that looks whole",
        arguments: Backend.allCases
    )
    func behindStreamReadsTheLog(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let now = Date()
            let appended = try await storage.append(
                [AppendRequest(stream: "match:cr", expectedSequence: 0, events: (1...4).map { NewEvent(type: "t\($0)", payload: "{}") })],
                at: now
            )
            #expect(appended.count == 1)
            let events = try await storage.readEvents(stream: "match:cr", after: 0, limit: 10)
            let recorder = SequenceRecorder()
            let runner = ConsumerRunner(consumer: recorder, storage: storage, configuration: RuntimeConfiguration(), logger: Logger(label: "test"))

            runner.notify(Array(events[0...1]))
            await runner.round()
            #expect(recorder.handled.withLock { $0 } == [1, 2])
            // Event 3 is told and waits for the next round; the sweep then finds the stream behind
            // (stored position 2, the log at 4), and event 4, told now, is dropped for the log.
            runner.notify([events[2]])
            await runner.sweep()
            runner.notify([events[3]])
            await runner.round()
            #expect(recorder.handled.withLock { $0 } == [1, 2, 3, 4])
        }
    }
}
