import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``LedgerRoutes`` answers with.

struct Balance: Encodable {
    var available: Int64
    var escrowed: Int64
    var currency: String
}

struct GrantView: Encodable {
    var duplicate: Bool
    /// The transfer as the issuance account debited it (nil for a repeat past the actor's
    /// window: the grant was made once, earlier). The user's credit follows within a consumer
    /// round.
    var transfer: Account.Transfer?
}

struct TransactionView: Encodable {
    var id: String
    var amount: Int64
    var currency: String
    var type: String
    var transferId: String?
    var reference: String?
    /// Milliseconds since 1970, as every other time in the API.
    var at: Timestamp

    init(_ record: TransactionRecord) {
        id = record.id
        amount = record.amount
        currency = record.currency
        type = record.type
        at = Timestamp(record.createdAt)
        struct Payload: Decodable { var event: Account.Event }
        let event = try? JSONDecoder().decode(Payload.self, from: Data(record.metadata.utf8)).event
        switch event {
        case .debited(let transfer, _, _), .credited(let transfer, _, _):
            transferId = transfer.id
            reference = transfer.reference
        case nil:
            transferId = nil
            reference = nil
        }
    }
}

struct TransactionPage: Encodable {
    var transactions: [TransactionView]
    var next: Int?
}
