/// A coin account of the double-entry ledger (`account:{id}`): a player's (`user-{userId}`), the
/// house's (`house`, fees) or the issuance account (`issuance`, where granted or bought coins come
/// from; its balance is minus every coin ever issued). Amounts are whole DOJO coins (`Int64`).
///
/// Every movement is one **transfer** between two accounts: the payer's actor decides the debit
/// (so two concurrent debits can never both pass and a balance never goes negative), and the
/// payee's credit is delivered by a reaction, exactly once per debit event. So at every moment
/// the balances of all accounts plus the debits not yet credited sum to zero.
public enum Account: Aggregate {
    public static let kind = EntityKind.account
    public static let stateFormatVersion = 1

    /// The id of the issuance account: the one account whose balance may go below zero.
    public static let issuance = "issuance"
    /// The id of the house account (fees).
    public static let house = "house"
    /// The largest single transfer: 10^9 coins (far beyond any real stake; one `transactions`
    /// row holds it in Postgres's 32-bit `INTEGER`).
    public static let maximumAmount: Int64 = 1_000_000_000
    /// Transfer ids an account remembers, to refuse a repeated one (the log keeps them all).
    public static let rememberedTransfers = 1_024

    /// The account of a user.
    public static func user(_ userID: String) -> String { "user-\(userID)" }

    /// Why coins moved: the seed's transaction types.
    public struct Transfer: Sendable, Codable, Equatable {
        /// Unique per transfer (the idempotency key): a repeat is refused with
        /// `ledger.duplicate_transfer` by the payer, and credited once by the payee.
        public var id: String
        public var from: String
        public var to: String
        public var amount: Int64
        public var type: TransactionType
        /// What it is for: `grant:{audit id}`, `challenge:{id}`, `match:{id}`, …
        public var reference: String?

        public init(id: String, from: String, to: String, amount: Int64, type: TransactionType, reference: String? = nil) {
            self.id = id
            self.from = from
            self.to = to
            self.amount = amount
            self.type = type
            self.reference = reference
        }
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var balance: Int64 = 0
        /// The last transfers debited or credited here, newest last.
        public var recent: [String] = []

        public init(id: String) { self.id = id }

        public var view: View { View(id: id, balance: balance) }

        public struct View: Sendable, Encodable, Equatable {
            public var id: String
            public var balance: Int64
        }
    }

    public enum Command: Sendable, Equatable, Codable {
        /// Pay `transfer.amount` to `transfer.to` (this account is `transfer.from`).
        case debit(Transfer)
        /// Reaction: the payer's debit of this transfer was recorded.
        case credit(Transfer)
    }

    public enum Event: Sendable, Codable, Equatable {
        case debited(Transfer, balance: Int64, at: Timestamp)
        case credited(Transfer, balance: Int64, at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .debited: "account.debited"
        case .credited: "account.credited"
        }
    }

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        // The ledger is moved by the server only: grants (an ADMIN's, checked by the transport),
        // stakes and prizes (reactions). No client sends a ledger command itself.
        guard context.principal.isSystem else {
            throw DomainError(.forbidden, "forbidden", "coins move only through grants, stakes and prizes")
        }
        switch command {
        case .debit(let transfer):
            try validate(transfer)
            guard transfer.from == state.id else {
                throw DomainError(.invalid, "ledger.wrong_account", "transfer \(transfer.id) is paid by \(transfer.from), not \(state.id)")
            }
            guard !state.recent.contains(transfer.id) else {
                throw DomainError(.conflict, "ledger.duplicate_transfer", "transfer \(transfer.id) was made already")
            }
            let (after, overflow) = state.balance.subtractingReportingOverflow(transfer.amount)
            guard !overflow, state.id == issuance || after >= 0 else {
                throw DomainError(
                    .conflict,
                    "ledger.insufficient_funds",
                    "account \(state.id) holds \(state.balance) coins, \(transfer.amount) asked"
                )
            }
            return [.debited(transfer, balance: after, at: context.now)]
        case .credit(let transfer):
            try validate(transfer)
            guard transfer.to == state.id else {
                throw DomainError(.invalid, "ledger.wrong_account", "transfer \(transfer.id) is paid to \(transfer.to), not \(state.id)")
            }
            guard !state.recent.contains(transfer.id) else { return [] }
            let (after, overflow) = state.balance.addingReportingOverflow(transfer.amount)
            guard !overflow else { throw DomainError(.conflict, "ledger.overflow", "account \(state.id) cannot hold more coins") }
            return [.credited(transfer, balance: after, at: context.now)]
        }
    }

    private static func validate(_ transfer: Transfer) throws(DomainError) {
        guard transfer.amount > 0, transfer.amount <= maximumAmount else {
            throw DomainError(.invalid, "ledger.invalid_amount", "an amount is a whole number of coins, 1–\(maximumAmount)")
        }
        guard transfer.from != transfer.to else {
            throw DomainError(.invalid, "ledger.same_account", "a transfer moves coins between two accounts")
        }
        guard !transfer.id.isEmpty, transfer.id.utf8.count <= 128 else {
            throw DomainError(.invalid, "ledger.invalid_transfer", "a transfer id is 1–128 characters")
        }
    }

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .debited(let transfer, let balance, _), .credited(let transfer, let balance, _):
            state.exists = true
            state.balance = balance
            state.recent.append(transfer.id)
            if state.recent.count > rememberedTransfers { state.recent.removeFirst(state.recent.count - rememberedTransfers) }
        }
    }
}
