import DojoDomain
import DojoIdentity
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Camera and edge devices: a venue admin registers one for a table with its Ed25519 public key;
/// the device signs in by signing a server nonce and gets a short-lived `camera` token bound to
/// that venue and table; revoking it stops new tokens at once.
///
/// - `POST /v1/venues/{id}/devices` `{"tableId", "publicKey", "name"?}` → 201 `{"device"}`
/// - `DELETE /v1/venues/{id}/devices/{deviceId}` → 204
/// - `POST /v1/devices/token` `{"deviceId"}` → `{"nonce", "expiresIn"}`; then
///   `{"deviceId", "nonce", "signature"}` → `{"accessToken", "tokenType", "expiresIn", "venueId", "tableId"}`
struct DeviceRoutes: Sendable {
    let runtime: Runtime
    let storage: any Storage
    let authentication: Authentication
    let tokens: AccessTokens
    let challenges: DeviceChallenges
    let limiter: SharedRateLimiter
    let audit: AuditTrail

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/venues/:id/devices") { request, context in
            let venueID = try context.parameters.require("id")
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(RegisterBody.self, request, context)
            let (venue, _) = try await runtime.venues.read(venueID)
            guard venue.exists else { throw DomainError(.notFound, "venue.not_found", "venue \(venueID) does not exist") }
            try Self.requireVenueAdmin(principal, venue)
            guard venue.table(body.tableId) != nil else {
                throw DomainError(.invalid, "venue.unknown_table", "venue \(venueID) has no table \(body.tableId)")
            }
            guard let key = Base64URL.decode(body.publicKey), key.count == 32 else {
                throw APIError(.badRequest, code: "device.invalid_key", message: "publicKey is the base64url of a 32-byte Ed25519 public key")
            }
            let name = body.name ?? "camera \(body.tableId)"
            guard !name.isEmpty, name.count <= 100 else {
                throw APIError(.badRequest, code: "device.invalid_name", message: "a device name has 1–100 characters")
            }
            let device = DeviceRecord(
                id: CommandRoutes.newID(),
                venueID: venueID,
                tableID: body.tableId,
                name: name,
                publicKey: Base64URL.encode(key),
                createdBy: principal.userID ?? "system"
            )
            guard try await storage.insertDevice(device, at: Date()) else {
                throw DomainError(.conflict, "device.key_taken", "this public key is already registered")
            }
            await audit.record(
                "device.registered",
                actor: principal.userID,
                target: device.id,
                context,
                ["venueId": venueID, "tableId": device.tableID]
            )
            return Response.json(.created, ["device": Self.view(device)])
        }
        router.delete("/v1/venues/:id/devices/:device") { request, context in
            let venueID = try context.parameters.require("id")
            let deviceID = try context.parameters.require("device")
            let principal = try await authentication.principal(request)
            let (venue, _) = try await runtime.venues.read(venueID)
            guard venue.exists else { throw DomainError(.notFound, "venue.not_found", "venue \(venueID) does not exist") }
            try Self.requireVenueAdmin(principal, venue)
            guard try await storage.revokeDevice(id: deviceID, venueID: venueID, at: Date()) else {
                throw DomainError(.notFound, "device.not_found", "venue \(venueID) has no active device \(deviceID)")
            }
            await audit.record("device.revoked", actor: principal.userID, target: deviceID, context, ["venueId": venueID])
            return Response(status: .noContent)
        }
        router.post("/v1/devices/token") { request, context in
            try await limiter.check(context.remoteIP)
            let body = try await JSONBody.decode(TokenBody.self, request, context)
            guard EntityKey.isValidID(body.deviceId) else { throw Self.refused("auth.device_unknown", "no such device") }
            guard let nonce = body.nonce else {
                // Step 1: a challenge. Issued for any id, so that it does not tell which devices exist.
                return Response.json(.ok, ["nonce": challenges.issue(for: body.deviceId), "expiresIn": Int(DeviceChallenges.lifetime)])
            }
            guard let signatureText = body.signature, let signature = Base64URL.decode(signatureText) else {
                throw APIError(.badRequest, code: "invalid_json", message: "signature (base64url) is required with nonce")
            }
            guard challenges.consume(nonce, for: body.deviceId) else {
                throw Self.refused("auth.device_challenge", "the nonce is unknown, used, expired or for another device: ask for a new one")
            }
            guard let device = try await storage.device(id: body.deviceId), let key = Base64URL.decode(device.publicKey) else {
                throw Self.refused("auth.device_unknown", "no such device")
            }
            guard !device.revoked else { throw Self.refused("auth.device_revoked", "this device has been revoked") }
            guard DeviceChallenges.verify(signature: signature, nonce: nonce, publicKey: key) else {
                throw Self.refused("auth.device_signature", "the signature does not match the device's key")
            }
            let (token, expiresIn) = try await tokens.issueDevice(device)
            return Response.json(
                .ok,
                [
                    "accessToken": token, "tokenType": "Bearer", "expiresIn": expiresIn, "scope": "camera",
                    "deviceId": device.id, "venueId": device.venueID, "tableId": device.tableID,
                ]
            )
        }
    }

    static func requireVenueAdmin(_ principal: Principal, _ venue: Venue.State) throws {
        try AccessPolicy.check(principal, .administerVenue(venue))
    }

    static func refused(_ code: String, _ message: String) -> APIError {
        APIError(.unauthorized, code: code, message: message)
    }

    static func view(_ device: DeviceRecord) -> [String: Any] {
        ["id": device.id, "venueId": device.venueID, "tableId": device.tableID, "name": device.name, "publicKey": device.publicKey]
    }

    struct RegisterBody: Decodable {
        var tableId: String
        var publicKey: String
        var name: String?
    }

    struct TokenBody: Decodable {
        var deviceId: String
        var nonce: String?
        var signature: String?
    }
}
