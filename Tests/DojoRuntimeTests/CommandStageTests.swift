import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Testing

@Suite("Command stages: where a command's time goes")
struct CommandStageTests {
    static func counts(_ runtime: Runtime) -> [CommandStage: Int] { runtime.commandStages.snapshot().mapValues(\.count) }

    @Test(
        "an appended command passes every stage once, and its stages add up to no more than the time the caller waited",
        arguments: Backend.allCases
    )
    func appended(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await withRuntime(storage) { runtime in
                _ = try await runtime.matches.send("s1", .create(terms), context: ctx())
                runtime.commandStages.reset()
                let started = ContinuousClock.now
                _ = try await runtime.matches.send("s1", .start, context: ctx())
                let waited = ContinuousClock.now - started
                let stages = runtime.commandStages.snapshot()
                #expect(stages.mapValues(\.count) == Dictionary(uniqueKeysWithValues: CommandStage.allCases.map { ($0, 1) }))
                let sum = stages.values.reduce(Duration.zero) { $0 + $1.total }
                #expect(sum <= waited, "stages \(sum) within the caller's \(waited)")
                #expect(stages[.commit]!.total > .zero)
            }
        }
    }

    @Test("a refused command is timed up to its decision and records nothing of an append; a duplicate is answered without deciding")
    func refusedAndDuplicate() async throws {
        try await withFreshStorage(.sqlite) { storage, _ in
            try await withRuntime(storage) { runtime in
                _ = try await runtime.matches.send("s2", .create(terms), context: ctx(), commandID: "c-1")
                runtime.commandStages.reset()
                await #expect(throws: DomainError.self) {
                    try await runtime.matches.send("s2", .recordRack(winner: .a, breaker: nil), context: ctx())
                }
                var counts = Self.counts(runtime)
                #expect(counts[.mailbox] == 1 && counts[.decide] == 1)
                #expect(counts[.apply] == 0 && counts[.queue] == 0 && counts[.commit] == 0 && counts[.wakeup] == 0)

                runtime.commandStages.reset()
                let repeated = try await runtime.matches.send("s2", .create(terms), context: ctx(), commandID: "c-1")
                #expect(repeated.duplicate)
                counts = Self.counts(runtime)
                #expect(counts[.mailbox] == 1 && counts[.decide] == 0 && counts[.commit] == 0 && counts[.answer] == 1)
            }
        }
    }

    @Test("with runtime.stages off nothing is recorded")
    func off() async throws {
        var off = RuntimeConfiguration()
        off.measureStages = false
        let configuration = off
        try await withFreshStorage(.sqlite) { storage, _ in
            try await withRuntime(storage, configuration) { runtime in
                _ = try await runtime.matches.send("s3", .create(terms), context: ctx())
                #expect(Self.counts(runtime).values.allSatisfy { $0 == 0 })
            }
        }
    }
}
