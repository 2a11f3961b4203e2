import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``TournamentRoutes``.

/// `POST /v1/tournaments`: an optional `id`, then the create command's fields.
struct NewTournamentBody: Decodable {
    var id: String?
    var command: TournamentCommandBody

    init(from decoder: any Decoder) throws {
        struct ID: Decodable { var id: String? }
        id = try ID(from: decoder).id
        command = try TournamentCommandBody(from: decoder)
    }
}
