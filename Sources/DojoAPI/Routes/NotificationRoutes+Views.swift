import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

// What ``NotificationRoutes`` answers with.

struct NotificationPage: Encodable {
    var notifications: [NotificationView]
    var unread: Int
    /// The `offset` of the next page, when this one was full.
    var next: Int?
}
