import DojoDomain
import Testing

@Suite("Access policy")
struct AccessPolicyTests {
    static func venue(owner: String, admins: [String] = []) -> Venue.State {
        var state = Venue.initialState(id: "v1")
        state.exists = true
        state.ownerID = owner
        state.admins = admins
        return state
    }

    static let cases: [(String, Principal, AccessPolicy.Action, Bool)] = [
        ("a user registers no venue", .user("u", role: .user), .registerVenue, false),
        ("a venue admin registers venues", .user("u", role: .venueAdmin), .registerVenue, true),
        ("an admin registers venues", .user("u", role: .admin), .registerVenue, true),
        ("the owner runs the venue", .user("o", role: .user), .administerVenue(venue(owner: "o")), true),
        ("an appointed admin runs the venue", .user("a", role: .user), .administerVenue(venue(owner: "o", admins: ["a"])), true),
        ("the admin of another venue does not", .user("x", role: .venueAdmin), .administerVenue(venue(owner: "o", admins: ["a"])), false),
        ("a platform admin runs any venue", .user("p", role: .admin), .administerVenue(venue(owner: "o")), true),
        ("an appointed admin appoints no admins", .user("a", role: .user), .ownVenue(venue(owner: "o", admins: ["a"])), false),
        ("the owner appoints admins", .user("o", role: .user), .ownVenue(venue(owner: "o")), true),
        ("a VENUE_ADMIN is no platform admin", .user("v", role: .venueAdmin), .administerPlatform, false),
        ("an ADMIN administers the platform", .user("p", role: .admin), .administerPlatform, true),
        ("a user follows their own room", .user("u", role: .user), .followUserRoom(userID: "u"), true),
        ("not someone else's", .user("u", role: .user), .followUserRoom(userID: "w"), false),
        ("an admin follows any user room", .user("p", role: .admin), .followUserRoom(userID: "w"), true),
        ("members follow their clan", .user("u", role: .user), .followClanRoom(isMember: true), true),
        ("others do not", .user("u", role: .venueAdmin), .followClanRoom(isMember: false), false),
        ("the system (reactions) acts as an admin", .system, .administerVenue(venue(owner: "o")), true),
    ]

    @Test("who may do what", arguments: cases)
    func decide(_ name: String, _ principal: Principal, _ action: AccessPolicy.Action, _ allowed: Bool) {
        do {
            try AccessPolicy.check(principal, action)
            #expect(allowed, "\(name): allowed but should not be")
        } catch {
            #expect(!allowed, "\(name): refused but should be allowed")
            #expect(error.code == "forbidden" && error.kind == .forbidden)
        }
    }
}
