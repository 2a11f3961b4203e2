public import DojoDomain
import DojoStorage
import Foundation

extension Runtime {
    /// Makes a transfer: the payer's account decides the debit (refused without the funds, or
    /// when the transfer id was used), and the ledger reaction credits the payee once. Returns
    /// the payer's account after the debit. A repeat of the same transfer id by the same caller
    /// within the actor's window answers the first result (`duplicate`); later, a refusal.
    public func transfer(_ transfer: Account.Transfer, commandID: String? = nil) async throws -> CommandResult<Account> {
        try await accounts.send(
            transfer.from,
            .debit(transfer),
            context: CommandContext(principal: .system, now: Timestamp(environment.now())),
            commandID: commandID ?? "transfer-\(transfer.id)"
        )
    }

    /// An ADMIN grants a user coins from the issuance account (a CREDIT), once per idempotency key.
    public func grant(userID: String, amount: Int64, key: String, reference: String?) async throws -> CommandResult<Account> {
        guard EntityKey.isValidID(userID), try await !environment.storage.existingIDs(in: "users", [userID]).isEmpty else {
            throw DomainError(.invalid, "ledger.unknown_user", "user \(userID.prefix(64)) does not exist")
        }
        let grant = Account.Transfer(
            id: "grant-\(key)",
            from: Account.issuance,
            to: Account.user(userID),
            amount: amount,
            type: .credit,
            reference: reference
        )
        // The command id carries the grant's fingerprint: the same key with the same grant is a
        // repeat (the first answer); with another grant it reaches the account, which refuses the
        // transfer id it made already (`ledger.duplicate_transfer`).
        return try await transfer(grant, commandID: "transfer-\(grant.id)-\(commandFingerprint(grant))")
    }

    /// A user's coins: what they may spend, and what is held in escrow for their challenges being
    /// accepted or played (their stakes; the challenges are found in the records, each read from
    /// its actor).
    public func balance(of userID: String) async throws -> (available: Int64, escrowed: Int64) {
        let available = try await accounts.read(Account.user(userID)).state.balance
        let held = try await challenges(of: userID, side: .any, statuses: [.accepting, .accepted], offset: 0, limit: 1_000)
        let escrowed = held.filter { [.accepting, .accepted].contains($0.status) }.reduce(Int64(0)) { $0 + ($1.terms?.stake ?? 0) }
        return (available, escrowed)
    }
}
