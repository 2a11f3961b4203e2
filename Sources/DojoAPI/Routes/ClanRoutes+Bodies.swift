import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``ClanRoutes``.

struct CreateClanBody: Decodable {
    var id: String?
    var name: String
    var description: String?
    var commandId: String?
}

struct DescriptionBody: Decodable {
    var description: String?
    var commandId: String?
}

struct RoleBody: Decodable {
    var role: ClanRole
    var commandId: String?
}

struct DeclareWarBody: Decodable {
    var warId: String?
    var opponentId: String
    var target: Int
    var hours: Int?
    var commandId: String?
}

struct OptionalUserBody: Decodable {
    var userId: String?
    var commandId: String?
}
