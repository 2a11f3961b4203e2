import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// What ``CommandRoutes`` answers with.

struct CommandView: Encodable {
    var sequence: Int64
    var firstSequence: Int64?
    var duplicate: Bool
    var events: [TypedEvent]
    var match: Match.State.View?
    var venue: Venue.State.View?
    var clan: Clan.State.View?
    var territory: Territory.State.View?
    var challenge: Challenge.State.View?
    var tournament: Tournament.State.View?

    struct TypedEvent: Encodable {
        var seq: Int64
        var type: String
        var event: AnyEncodable
    }

    init<A: Aggregate>(
        result: CommandResult<A>,
        eventType: (A.Event) -> String,
        match: Match.State.View? = nil,
        venue: Venue.State.View? = nil,
        clan: Clan.State.View? = nil,
        territory: Territory.State.View? = nil,
        challenge: Challenge.State.View? = nil,
        tournament: Tournament.State.View? = nil
    ) {
        sequence = result.sequence
        firstSequence = result.firstSequence
        duplicate = result.duplicate
        events = result.events.enumerated().map { offset, event in
            TypedEvent(seq: (result.firstSequence ?? 0) + Int64(offset), type: eventType(event), event: AnyEncodable(event))
        }
        self.match = match
        self.venue = venue
        self.clan = clan
        self.territory = territory
        self.challenge = challenge
        self.tournament = tournament
    }
}

struct HistoryView: Encodable {
    struct Entry: Encodable {
        var seq: Int64
        var type: String
        var seedType: MatchEventType
        var at: Timestamp
        var event: AnyEncodable
    }

    var events: [Entry]
    /// The `after` of the next page, when this one was full.
    var next: Int64?
}

struct AnyEncodable: Encodable {
    private let encodeBody: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeBody = value.encode(to:) }
    func encode(to encoder: any Encoder) throws { try encodeBody(encoder) }
}
