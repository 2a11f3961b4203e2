import DojoDomain
import Foundation

/// Moves coins into and out of an account that holds them for an entity (a challenge's escrow, a
/// tournament's pool), once per transfer id: a redelivered event moves nothing twice.
struct Escrow {
    let accounts: EntityDirectory<Account>
    let now: @Sendable () -> Date

    /// A payout found the escrow short: the credits of what was paid in are not delivered yet. The
    /// round is retried.
    struct NotCredited: Error, CustomStringConvertible {
        var transfer: String
        var description: String { "escrow not credited yet for \(transfer); retried" }
    }

    private var system: CommandContext { CommandContext(principal: .system, now: Timestamp(now())) }

    /// Debits `from` into `to`; nil when moved (now or by an earlier delivery), else the ledger's
    /// refusal (`ledger.insufficient_funds`, …).
    func collect(_ transfer: Account.Transfer) async throws -> DomainError? {
        do {
            _ = try await accounts.send(transfer.from, .debit(transfer), context: system, commandID: "transfer-\(transfer.id)")
        } catch let error as DomainError where error.code == "ledger.duplicate_transfer" {
            // Moved by an earlier delivery of this event.
        } catch let error as DomainError {
            return error
        }
        return nil
    }

    /// Pays `amount` out of the escrow `from`, once (by `transferID`).
    func pay(_ transferID: String, from: String, to account: String, _ amount: Int64, _ type: TransactionType, reference: String) async throws {
        guard amount > 0 else { return }
        let transfer = Account.Transfer(id: transferID, from: from, to: account, amount: amount, type: type, reference: reference)
        // The escrow's credits usually land within a round or two of the ledger reaction: wait for
        // them here (up to about a second) rather than fail the round and wait for the sweep.
        for attempt in 0..<20 {
            do {
                _ = try await accounts.send(transfer.from, .debit(transfer), context: system, commandID: "transfer-\(transfer.id)")
                return
            } catch let error as DomainError where error.code == "ledger.duplicate_transfer" {
                return
            } catch let error as DomainError where error.code == "ledger.insufficient_funds" {
                if attempt == 19 { throw NotCredited(transfer: transferID) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
