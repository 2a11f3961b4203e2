public import Foundation
import SQLKit

/// Who holds a claim, since when (milliseconds since 1970), and whether this call took it.
public struct ClaimHolder: Sendable, Equatable {
    public var owner: String
    public var claimedAt: Int64
    public var taken: Bool

    public init(owner: String, claimedAt: Int64, taken: Bool) {
        self.owner = owner
        self.claimedAt = claimedAt
        self.taken = taken
    }
}

/// Claims: a key that at most one owner holds at a time, across every node (`claims`, primary key
/// scope + key). The runtime uses them for what no single actor can decide alone: a clan's name
/// is unique (`clan.name` → clan id), a player is in one clan (`clan.member` → clan id). The
/// entity that owns a claim stays the authority: a claim whose owner no longer agrees is taken
/// over (``takeOverClaim(_:_:from:claimedAt:to:at:)``).
extension Storage {
    /// Takes `key` in `scope` for `owner` unless someone holds it; returns the holder.
    public func claim(_ scope: String, _ key: String, owner: String, at now: Date) async throws -> ClaimHolder {
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        return try await withSQL { db in
            try await db.insert(into: "claims")
                .columns("scope", "key", "owner", "claimed_at")
                .values([SQLBind(scope), SQLBind(key), SQLBind(owner), SQLBind(millis)])
                .ignoringConflicts(with: ["scope", "key"])
                .run()
            guard let holder = try await Self.holder(scope, key, on: db) else {
                // Released between the insert and the read: the caller retries.
                throw StorageError(.conflict, "claim \(scope)/\(key) changed hands; retry")
            }
            return ClaimHolder(owner: holder.owner, claimedAt: holder.claimedAt, taken: holder.owner == owner && holder.claimedAt == millis)
        }
    }

    /// Moves a claim from `from` (as read at `claimedAt`) to `to`; false when it changed meanwhile.
    public func takeOverClaim(_ scope: String, _ key: String, from: String, claimedAt: Int64, to: String, at now: Date) async throws -> Bool {
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        return try await withSQL { db in
            try await db.update("claims")
                .set("owner", to: to)
                .set("claimed_at", to: millis)
                .where("scope", .equal, scope).where("key", .equal, key)
                .where("owner", .equal, from).where("claimed_at", .equal, claimedAt)
                .run()
            let holder = try await Self.holder(scope, key, on: db)
            return holder?.owner == to && holder?.claimedAt == millis
        }
    }

    /// Releases `key` if `owner` holds it.
    public func releaseClaim(_ scope: String, _ key: String, owner: String) async throws {
        try await withSQL { db in
            try await db.delete(from: "claims").where("scope", .equal, scope).where("key", .equal, key).where("owner", .equal, owner).run()
        }
    }

    /// The holder of `key` in `scope`, if any.
    public func claimHolder(_ scope: String, _ key: String) async throws -> ClaimHolder? {
        try await withSQL { db in
            try await Self.holder(scope, key, on: db).map { ClaimHolder(owner: $0.owner, claimedAt: $0.claimedAt, taken: false) }
        }
    }

    private static func holder(_ scope: String, _ key: String, on db: any SQLDatabase) async throws -> (owner: String, claimedAt: Int64)? {
        guard
            let row = try await db.select().columns("owner", "claimed_at").from("claims").where("scope", .equal, scope).where("key", .equal, key)
                .first()
        else { return nil }
        return (try row.decode(column: "owner", as: String.self), try row.decode(column: "claimed_at", as: Int64.self))
    }
}
