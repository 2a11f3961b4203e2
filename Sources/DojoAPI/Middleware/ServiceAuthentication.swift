import DojoDomain
import HTTPTypes
import Hummingbird

/// Who is asking, for the command endpoints, until user tokens exist (identity issue).
///
/// A trusted backend (the product's web app, a scorer service) authenticates with the shared
/// service key (`auth.service.key`) as `Authorization: Bearer <key>` and names the user it acts for
/// in `X-Dojo-User` (and that user's platform role in `X-Dojo-Role`, default `USER`). The key is
/// compared in constant time. Without a configured key every command is refused with 401: the
/// server never trusts an unauthenticated identity header.
struct ServiceAuthentication: Sendable {
    private let key: [UInt8]?

    init(serviceKey: String?) {
        key = serviceKey.map { Array($0.utf8) }
    }

    static let userHeader = HTTPField.Name("X-Dojo-User")!
    static let roleHeader = HTTPField.Name("X-Dojo-Role")!

    func principal(_ request: Request) throws -> Principal {
        guard let key else {
            throw APIError(.unauthorized, code: "auth.not_configured", message: "this server has no auth.service.key: commands cannot be authenticated")
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, code: "auth.missing_token", message: "send Authorization: Bearer <service key>")
        }
        guard Self.constantTimeEquals(Array(header.utf8.dropFirst("Bearer ".utf8.count)), key) else {
            throw APIError(.unauthorized, code: "auth.invalid_token", message: "the service key is not valid")
        }
        guard let user = request.headers[Self.userHeader], EntityKey.isValidID(user) else {
            throw APIError(.unauthorized, code: "auth.missing_user", message: "send the acting user's id in X-Dojo-User")
        }
        var role = UserRole.user
        if let text = request.headers[Self.roleHeader] {
            guard let parsed = UserRole(rawValue: text) else {
                throw APIError(.badRequest, code: "auth.invalid_role", message: "X-Dojo-Role is one of USER, VENUE_ADMIN, ADMIN")
            }
            role = parsed
        }
        return .user(user, role: role)
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
