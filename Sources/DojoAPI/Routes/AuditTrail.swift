import DojoStorage
import Foundation
import Logging

/// Writes the audit log (`audit_logs`): logins (success and failure), registrations, password and
/// role changes, device registration and revocation, with the acting user, the target, the request
/// id and the client's IP. A write that fails is logged at error level and does not fail the
/// request it records.
struct AuditTrail: Sendable {
    let storage: any Storage
    let logger: Logger

    func record(_ action: String, actor: String?, target: String?, _ context: AppRequestContext, _ details: [String: String] = [:]) async {
        var metadata = details
        metadata["requestId"] = context.requestID
        metadata["ip"] = context.remoteIP
        do {
            try await storage.appendAudit(actorID: actor, action: action, target: target, metadata: metadata)
        } catch {
            logger.error("audit entry not written", metadata: ["audit.action": "\(action)", "error": "\(error)"])
        }
    }
}
