import NIOCore
import Testing

@testable import DojoGateway

/// The connection's protocol logic alone: no gateway, no socket, no clock (the time is given).
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let limits = ConnectionStateMachine.Limits(messagesPerSecond: 10, messageBurst: 5, outboundMessages: 4, outboundBytes: 1_000)

    static func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }
    static func frame(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test("the message budget: a burst at once, then refusals said on the first and every 16th with the wait, then flooding past four bursts")
    func messageBudget() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        for _ in 0..<5 {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == .admitted)
        }
        // No time passed: the first refusal says to wait 1/10 s.
        do {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == .refused(retryAfterMilliseconds: 100))
        }
        var said = 0
        var dropped = 0
        for _ in 2...20 {
            switch machine.message(isFrame: false, now: Self.start) {
            case .refused: said += 1
            case .dropped: dropped += 1
            case .admitted, .abusive, nil: Issue.record("only refusals before flooding")
            }
        }
        #expect(said == 1 && dropped == 18, "the 16th refusal in a row is said, the others dropped")
        // 21 refusals in a row is four bursts (20) and one: flooding.
        do {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == .abusive)
        }
    }

    @Test("the budget refills with time, and an admitted message resets the count of refusals in a row")
    func refill() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        for _ in 0..<5 { _ = machine.message(isFrame: false, now: Self.start) }
        do {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == .refused(retryAfterMilliseconds: 100))
        }
        // 40 ms gives 0.4 tokens: still refused, and told to wait the rest (60 ms).
        do {
            let got = machine.message(isFrame: false, now: Self.at(40))
            #expect(got == .dropped)
        }
        do {
            let got = machine.message(isFrame: false, now: Self.at(100))
            #expect(got == .admitted)
        }
        do {
            let got = machine.message(isFrame: false, now: Self.at(100))
            #expect(got == .refused(retryAfterMilliseconds: 100), "the first refusal of a new row is said")
        }
        // A long silence fills the budget to its burst, not past it.
        let later = Self.at(60_000)
        for _ in 0..<5 {
            let got = machine.message(isFrame: false, now: later)
            #expect(got == .admitted)
        }
        do {
            let got = machine.message(isFrame: false, now: later)
            #expect(got != .admitted)
        }
    }

    @Test("a camera's frames have their own budget of 60 per second, told on the first and every 60th refusal, cut off after 600 in a row")
    func frameBudget() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        for _ in 0..<60 {
            let got = machine.message(isFrame: true, now: Self.start)
            #expect(got == .admitted)
        }
        do {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == .admitted, "frames do not spend the message budget")
        }
        do {
            let got = machine.message(isFrame: true, now: Self.start)
            #expect(got == .refused(retryAfterMilliseconds: 17))
        }
        var verdicts: [TokenBudget.Verdict] = []
        for _ in 2...600 { verdicts.append(machine.message(isFrame: true, now: Self.start)!) }
        #expect(verdicts.filter { if case .refused = $0 { true } else { false } }.count == 10)
        #expect(!verdicts.contains(.abusive))
        do {
            let got = machine.message(isFrame: true, now: Self.start)
            #expect(got == .abusive)
        }
    }

    @Test("the heartbeat: a probe while the client was heard within two intervals, a timeout after, nothing once closing")
    func heartbeat() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        do {
            let got = machine.tick(now: Self.at(20_000), interval: .seconds(20))
            #expect(got == .probe)
        }
        do {
            let got = machine.tick(now: Self.at(40_001), interval: .seconds(20))
            #expect(got == .timeout)
        }
        machine.touched(now: Self.at(40_000))
        do {
            let got = machine.tick(now: Self.at(60_000), interval: .seconds(20))
            #expect(got == .probe, "any frame counts as heard")
        }
        _ = machine.message(isFrame: false, now: Self.at(70_000))
        do {
            let got = machine.tick(now: Self.at(100_000), interval: .seconds(20))
            #expect(got == .probe, "so does a message")
        }
        do {
            let got = machine.close()
            #expect(got)
        }
        do {
            let got = machine.tick(now: Self.at(1_000_000), interval: .seconds(20))
            #expect(got == .idle)
        }
    }

    @Test("outbound: written at once while writable, queued in order while not, over budget past its messages or its bytes")
    func reliableQueue() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        do {
            let got = machine.sendReliable(Self.frame("a"))
            #expect(got == .writeNow)
        }
        machine.writabilityChanged(false)
        for text in ["b", "c", "d", "e"] {
            let got = machine.sendReliable(Self.frame(text))
            #expect(got == .queued)
        }
        do {
            let got = machine.sendReliable(Self.frame("f"))
            #expect(got == .overBudget, "a fifth waiting message is past 4")
        }
        machine.writabilityChanged(true)
        var written: [String] = []
        while let frame = machine.nextToWrite() { written.append(String(buffer: frame)) }
        #expect(written == ["b", "c", "d", "e", "f"])
        do {
            let got = machine.sendReliable(Self.frame("g"))
            #expect(got == .writeNow, "nothing waits any more")
        }

        var bytes = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        bytes.writabilityChanged(false)
        do {
            let got = bytes.sendReliable(ByteBuffer(repeating: 0x20, count: 600))
            #expect(got == .queued)
        }
        do {
            let got = bytes.sendReliable(ByteBuffer(repeating: 0x20, count: 401))
            #expect(got == .overBudget, "1,001 bytes waiting is past 1,000")
        }
    }

    @Test("while something waits, a new reliable message queues behind it even if the transport is writable")
    func orderIsKept() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        machine.writabilityChanged(false)
        do {
            let got = machine.sendReliable(Self.frame("1"))
            #expect(got == .queued)
        }
        machine.writabilityChanged(true)
        do {
            let got = machine.sendReliable(Self.frame("2"))
            #expect(got == .queued)
        }
        do {
            let got = machine.nextToWrite()
            #expect(got.map { String(buffer: $0) } == "1")
        }
        do {
            let got = machine.nextToWrite()
            #expect(got.map { String(buffer: $0) } == "2")
        }
        do {
            let got = machine.nextToWrite()
            #expect(got == nil)
        }
    }

    @Test("lossy messages keep the newest per slot (a room's frames, its presence, one entity's notice), written after the reliable ones")
    func lossy() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        do {
            let got = machine.sendLossy(Self.frame("f0"), room: "table:t", key: .frame)
            #expect(got == .writeNow)
        }
        machine.writabilityChanged(false)
        do {
            let got = machine.sendLossy(Self.frame("f1"), room: "table:t", key: .frame)
            #expect(got == .queued)
        }
        do {
            let got = machine.sendLossy(Self.frame("p1"), room: "table:t", key: .presence)
            #expect(got == .queued)
        }
        do {
            let got = machine.sendLossy(Self.frame("f2"), room: "table:t", key: .frame)
            #expect(got == .replaced)
        }
        do {
            let got = machine.sendLossy(Self.frame("n1"), room: "venue:v", key: .notice("match:1"))
            #expect(got == .queued)
        }
        do {
            let got = machine.sendLossy(Self.frame("n2"), room: "venue:v", key: .notice("match:2"))
            #expect(got == .queued)
        }
        do {
            let got = machine.sendReliable(Self.frame("r1"))
            #expect(got == .queued)
        }
        machine.writabilityChanged(true)
        var written: [String] = []
        while let frame = machine.nextToWrite() { written.append(String(buffer: frame)) }
        #expect(written == ["r1", "f2", "p1", "n1", "n2"])
    }

    @Test("a write that fills the transport stops the drain; the rest waits for the next writable")
    func drainStops() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        machine.writabilityChanged(false)
        for text in ["1", "2", "3"] { _ = machine.sendReliable(Self.frame(text)) }
        machine.writabilityChanged(true)
        do {
            let got = machine.nextToWrite()
            #expect(got.map { String(buffer: $0) } == "1")
        }
        machine.writabilityChanged(false)
        do {
            let got = machine.nextToWrite()
            #expect(got == nil)
        }
        #expect(machine.outbound.queuedMessages == 2)
        machine.writabilityChanged(true)
        do {
            let got = machine.nextToWrite()
            #expect(got.map { String(buffer: $0) } == "2")
        }
    }

    @Test("closing: the first close wins and drops what waits; nothing is read or sent after; the end is torn down once")
    func lifecycle() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        machine.writabilityChanged(false)
        _ = machine.sendReliable(Self.frame("waits"))
        do {
            let got = machine.close()
            #expect(got)
        }
        do {
            let got = machine.close()
            #expect(!got, "a second close does nothing")
        }
        #expect(machine.lifecycle == .closing)
        machine.writabilityChanged(true)
        do {
            let got = machine.nextToWrite()
            #expect(got == nil, "what waited is dropped")
        }
        do {
            let got = machine.sendReliable(Self.frame("late"))
            #expect(got == .discarded)
        }
        do {
            let got = machine.sendLossy(Self.frame("late"), room: "table:t", key: .frame)
            #expect(got == .discarded)
        }
        do {
            let got = machine.message(isFrame: false, now: Self.start)
            #expect(got == nil, "a closing connection reads nothing")
        }
        do {
            let got = machine.end()
            #expect(got)
        }
        do {
            let got = machine.end()
            #expect(!got, "torn down once")
        }
        #expect(machine.lifecycle == .ended)

        var dropped = ConnectionStateMachine(limits: Self.limits, now: Self.start)
        do {
            let got = dropped.end()
            #expect(got, "a transport can end without a close")
        }
        do {
            let got = dropped.close()
            #expect(!got, "and then there is nothing to close")
        }
    }
}
