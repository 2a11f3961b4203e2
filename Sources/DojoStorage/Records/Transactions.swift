public import Foundation
import SQLKit

/// One leg of a transfer as the user sees it (`transactions`, the ledger's projection).
public struct TransactionRecord: Sendable, Equatable, Encodable {
    public var id: String
    /// Signed: + credited to the user, − debited.
    public var amount: Int64
    public var currency: String
    public var type: String
    /// The account event, as recorded (the transfer with its id, counterparty and reference).
    public var metadata: String
    public var createdAt: Date
}

extension Storage {
    /// A user's transactions, newest first, `limit` from `offset`.
    public func transactions(of userID: String, offset: Int, limit: Int) async throws -> [TransactionRecord] {
        let postgres = backend == .postgres
        return try await withSQL { db in
            try await db.select().columns("id", "amount", "currency", "type", "metadata", "created_at").from("transactions")
                .where("user_id", .equal, userID)
                .orderBy("created_at", .descending).orderBy("id", .descending)
                .limit(limit).offset(offset).all()
                .map { row in
                    TransactionRecord(
                        id: try row.decode(column: "id", as: String.self),
                        amount: try row.decode(column: "amount", as: Int64.self),
                        currency: try row.decode(column: "currency", as: String.self),
                        type: try row.decode(column: "type", as: String.self),
                        metadata: try row.decode(column: "metadata", as: String.self),
                        createdAt: postgres
                            ? try row.decode(column: "created_at", as: Date.self)
                            : (try? Date(
                                try row.decode(column: "created_at", as: String.self),
                                strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)
                            )) ?? Date(timeIntervalSince1970: 0)
                    )
                }
        }
    }
}
