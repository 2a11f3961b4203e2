public import Foundation
import SQLKit

/// A row of `devices`.
public struct DeviceRecord: Sendable, Equatable {
    public var id: String
    public var venueID: String
    public var tableID: String
    public var name: String
    /// The Ed25519 public key, base64url (32 bytes).
    public var publicKey: String
    public var createdBy: String
    public var revoked: Bool

    public init(id: String, venueID: String, tableID: String, name: String, publicKey: String, createdBy: String, revoked: Bool = false) {
        self.id = id
        self.venueID = venueID
        self.tableID = tableID
        self.name = name
        self.publicKey = publicKey
        self.createdBy = createdBy
        self.revoked = revoked
    }
}

extension Storage {
    /// Stores a new device; false when its public key is already registered.
    public func insertDevice(_ device: DeviceRecord, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            let taken = try await db.select().column("id").from("devices").where("public_key", .equal, device.publicKey).first()
            guard taken == nil else { return false }
            try await db.insert(into: "devices")
                .columns("id", "venue_id", "table_id", "name", "public_key", "created_by", "created_at")
                .values([
                    SQLBind(device.id), SQLBind(device.venueID), SQLBind(device.tableID), SQLBind(device.name),
                    SQLBind(device.publicKey), SQLBind(device.createdBy), d.bind(now),
                ])
                .run()
            return true
        }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await withSQL { db in
            guard
                let row = try await db.select().columns("id", "venue_id", "table_id", "name", "public_key", "created_by", "revoked_at")
                    .from("devices").where("id", .equal, id).first()
            else { return nil }
            return DeviceRecord(
                id: try row.decode(column: "id", as: String.self),
                venueID: try row.decode(column: "venue_id", as: String.self),
                tableID: try row.decode(column: "table_id", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                publicKey: try row.decode(column: "public_key", as: String.self),
                createdBy: try row.decode(column: "created_by", as: String.self),
                revoked: try !row.decodeNil(column: "revoked_at")
            )
        }
    }

    /// Revokes a device of `venueID`; false when there is no such (unrevoked) device.
    public func revokeDevice(id: String, venueID: String, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            let row = try await db.select().column("id").from("devices")
                .where("id", .equal, id).where("venue_id", .equal, venueID).where(SQLColumn("revoked_at"), .is, SQLLiteral.null).first()
            guard row != nil else { return false }
            try await db.update("devices").set("revoked_at", to: d.bind(now)).where("id", .equal, id).run()
            return true
        }
    }
}
