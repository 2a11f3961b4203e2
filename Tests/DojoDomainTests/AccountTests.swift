import DojoDomain
import Foundation
import Testing

private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
private let system = CommandContext(principal: .system, now: now)

private func transfer(_ id: String, _ from: String, _ to: String, _ amount: Int64) -> Account.Transfer {
    Account.Transfer(id: id, from: from, to: to, amount: amount, type: .credit, reference: nil)
}

private func run(_ state: Account.State, _ command: Account.Command) throws -> Account.State {
    var state = state
    for event in try Account.decide(state, command, system) { Account.apply(&state, event) }
    return state
}

@Suite("Account: the ledger's rules")
struct AccountTests {
    @Test("a debit needs the funds (but the issuance account issues), a credit adds; each transfer once on each side")
    func debitsAndCredits() throws {
        var issuance = Account.initialState(id: Account.issuance)
        issuance = try run(issuance, .debit(transfer("g1", Account.issuance, "user-a", 100)))
        #expect(issuance.balance == -100)
        var a = try run(Account.initialState(id: "user-a"), .credit(transfer("g1", Account.issuance, "user-a", 100)))
        #expect(a.balance == 100)
        #expect(try Account.decide(a, .credit(transfer("g1", Account.issuance, "user-a", 100)), system).isEmpty, "a redelivered credit")
        a = try run(a, .debit(transfer("t1", "user-a", "user-b", 100)))
        #expect(a.balance == 0)
        #expect(throws: DomainError(.conflict, "ledger.insufficient_funds", "account user-a holds 0 coins, 1 asked")) {
            try Account.decide(a, .debit(transfer("t2", "user-a", "user-b", 1)), system)
        }
        let refill = try run(a, .credit(transfer("g2", Account.issuance, "user-a", 5)))
        #expect(throws: DomainError.self) { try Account.decide(refill, .debit(transfer("t1", "user-a", "user-b", 1)), system) }
    }

    @Test(
        "refusals: amounts, accounts, who asks",
        arguments: [
            (Account.Command.debit(transfer("x", "user-a", "user-b", 0)), "ledger.invalid_amount"),
            (.debit(transfer("x", "user-a", "user-b", -5)), "ledger.invalid_amount"),
            (.debit(transfer("x", "user-a", "user-b", Account.maximumAmount + 1)), "ledger.invalid_amount"),
            (.debit(transfer("x", "user-a", "user-a", 1)), "ledger.same_account"),
            (.debit(transfer("x", "user-b", "user-c", 1)), "ledger.wrong_account"),
            (.credit(transfer("x", "user-b", "user-c", 1)), "ledger.wrong_account"),
            (.debit(transfer("", "user-a", "user-b", 1)), "ledger.invalid_transfer"),
        ]
    )
    func refusals(_ command: Account.Command, _ code: String) throws {
        let rich = try run(Account.initialState(id: "user-a"), .credit(transfer("g", Account.issuance, "user-a", 1_000)))
        do {
            _ = try Account.decide(rich, command, system)
            Issue.record("accepted: \(command)")
        } catch {
            #expect(error.code == code)
        }
        #expect(throws: DomainError.self) {
            try Account.decide(rich, .debit(transfer("y", "user-a", "user-b", 1)), CommandContext(principal: .user("a"), now: now))
        }
    }

    @Test("a credit that would overflow is refused; the balance never wraps")
    func overflow() throws {
        var state = Account.initialState(id: "user-a")
        state.balance = Int64.max - 1
        state.exists = true
        #expect(throws: DomainError.self) { try Account.decide(state, .credit(transfer("c", "user-b", "user-a", 2)), system) }
        var issuance = Account.initialState(id: Account.issuance)
        issuance.balance = Int64.min + 1
        #expect(throws: DomainError.self) { try Account.decide(issuance, .debit(transfer("d", Account.issuance, "user-a", 2)), system) }
    }

    @Test("replay equals live: 1,000 random transfers between 5 accounts, the balances sum to zero")
    func randomReplay() throws {
        var generator = SystemRandomNumberGenerator()
        let ids = [Account.issuance, "user-a", "user-b", "user-c", "user-d"]
        var states = Dictionary(uniqueKeysWithValues: ids.map { ($0, Account.initialState(id: $0)) })
        var logs: [String: [Account.Event]] = [:]
        for index in 0..<1_000 {
            let from = ids.randomElement(using: &generator)!
            let to = ids.filter { $0 != from }.randomElement(using: &generator)!
            let move = transfer("r\(index)", from, to, Int64.random(in: 1...50, using: &generator))
            guard let debit = try? Account.decide(states[from]!, .debit(move), system) else { continue }
            for event in debit { Account.apply(&states[from]!, event) }
            logs[from, default: []] += debit
            let credit = try Account.decide(states[to]!, .credit(move), system)
            for event in credit { Account.apply(&states[to]!, event) }
            logs[to, default: []] += credit
        }
        #expect(states.values.map(\.balance).reduce(0, +) == 0)
        #expect(states.filter { $0.key != Account.issuance }.allSatisfy { $0.value.balance >= 0 })
        for id in ids { #expect(Account.replay(logs[id] ?? [], from: Account.initialState(id: id)) == states[id]) }
    }
}
