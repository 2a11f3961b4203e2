import Foundation
import NIOCore

/// The shape of a run; parent and workers derive the same rooms from it.
struct Plan: Codable, Sendable {
    enum Kind: String, Codable, Sendable { case fanout, rooms, venues, tournament }

    var kind: Kind
    var host = "127.0.0.1"
    var port = 8080
    /// The platform's nodes (`--nodes`): subscriber `k` connects to `ports[k % count]`.
    var ports: [Int] = []
    var runID = "lt"
    /// fanout: subscribers of the one room; rooms: subscribers per room.
    var subscribers = 1_000
    var rooms = 1
    /// venues: V venues × T tables, S spectators per match, W watchers per venue.
    var venues = 0
    var tables = 0
    var spectators = 0
    var watchers = 0
    /// Source addresses 127.0.0.1 … 127.0.0.N for the subscribers.
    var sourceAddresses = 8
    /// Subscribers speak Socket.IO over WebSocket (`/socket.io/`) instead of the native protocol.
    var socketIO = false

    var totalSubscribers: Int {
        switch kind {
        case .fanout: subscribers
        case .rooms: rooms * subscribers
        case .venues: venues * tables * spectators + venues * watchers
        case .tournament: subscribers
        }
    }

    /// tournament: the tournament every subscriber follows.
    var tournamentID: String { "\(runID)cup" }

    func venueID(_ v: Int) -> String { "\(runID)v\(v)" }
    func tableID(_ v: Int, _ t: Int) -> String { "\(runID)v\(v)t\(t)" }
    func matchID(_ v: Int, _ t: Int) -> String { "\(runID)m\(v)x\(t)" }
    /// The table's frame room, where its camera device's frames go.
    func cameraRoom(_ v: Int, _ t: Int) -> String { "table:\(tableID(v, t))" }

    /// The rooms subscriber `k` follows.
    func rooms(ofSubscriber k: Int) -> [String] {
        switch kind {
        case .fanout: return ["bench:\(runID)f0"]
        case .rooms: return ["bench:\(runID)r\(k % rooms)"]
        case .venues:
            let perMatch = venues * tables * spectators
            if k < perMatch {
                let match = k / spectators
                let (v, t) = (match / tables, match % tables)
                return ["match:\(matchID(v, t))", cameraRoom(v, t)]
            }
            return ["venue:\(venueID((k - perMatch) / max(watchers, 1)))"]
        case .tournament: return ["tournament:\(tournamentID)"]
        }
    }

    func port(ofSubscriber k: Int) -> Int { ports.isEmpty ? port : ports[k % ports.count] }

    func source(_ k: Int) -> String { "127.0.0.\(1 + k % max(sourceAddresses, 1))" }
}

/// One subscriber connection: subscribes, then checks every reliable message's sequence number
/// per room (a gap is a loss, a step back is out of order) and records latencies.
final class Subscriber {
    let rooms: [String]
    let stats: Stats
    /// The last sequence number per room (keyed by a hash of the room's name).
    var lastSeq: [Int: Int64] = [:]
    var acked = 0
    var onReady: () -> Void = {}
    weak var handler: WSClientHandler?

    init(rooms: [String], stats: Stats) {
        self.rooms = rooms
        self.stats = stats
    }

    func subscribe() {
        for (index, room) in rooms.enumerated() {
            handler?.send(Array(#"{"type":"subscribe","room":"\#(room)","id":\#(index)}"#.utf8))
        }
    }

    /// Socket.IO: each room's subscribe as an EVENT with an ack id.
    func subscribeSocketIO() {
        for (index, room) in rooms.enumerated() {
            handler?.send(Array(#"42\#(index)["subscribe",{"room":"\#(room)"}]"#.utf8))
        }
    }

    /// A Socket.IO client's message: the open packet is answered with the namespace's CONNECT, the
    /// CONNECT's answer with the subscribes, a ping with a pong; an EVENT (`42["event",{…}]`) or an
    /// ACK (`43N[{…}]`) carries a native message, read as the native protocol's.
    func handleSocketIO(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        switch first {
        case UInt8(ascii: "0"):
            handler?.send(Array("40".utf8))
        case UInt8(ascii: "2"):
            handler?.send(Array("3".utf8))
        case UInt8(ascii: "4") where bytes.count > 2:
            switch bytes[1] {
            case UInt8(ascii: "0"):
                subscribeSocketIO()
            case UInt8(ascii: "2"), UInt8(ascii: "3"):
                guard let open = bytes.firstIndex(of: UInt8(ascii: "{")) else { return }
                handle(UnsafeRawBufferPointer(rebasing: bytes[open...]))
            case UInt8(ascii: "4"):
                stats.error("socketio.connect_error")
            default:
                break
            }
        default:
            break
        }
    }

    func handle(_ bytes: UnsafeRawBufferPointer) {
        let now = wallNanos()
        let scan = Scan(bytes: bytes)
        switch scan.kind {
        case .event:
            guard let room = scan.hash(after: Keys.room), let seq = scan.integer(after: Keys.seq) else { return }
            var gap = 0
            var outOfOrder = false
            if let last = lastSeq[room] {
                if seq > last + 1 { gap = Int(seq - last - 1) }
                if seq <= last { outOfOrder = true }
                if seq > last { lastSeq[room] = seq }
            } else {
                lastSeq[room] = seq
            }
            // A tournament event carries the time it was decided (`"at"`, ms): commit to delivery.
            let t =
                scan.after(Keys.benchRoom) != nil
                ? scan.integer(after: Keys.t)
                : scan.after(Keys.tournamentRoom) != nil
                    ? scan.integer(after: Keys.at).map { $0 * 1_000_000 }
                    : (scan.integer(after: Keys.probe) ?? scan.integer(after: Keys.shotProbe))
            stats.event(publishedAt: t, now: now, gap: gap, outOfOrder: outOfOrder)
        case .frame:
            stats.frame(publishedAt: scan.integer(after: Keys.t), now: now)
        case .ack:
            if let room = scan.hash(after: Keys.room), let seq = scan.integer(after: Keys.seq) {
                lastSeq[room] = seq
                acked += 1
                if acked == rooms.count { onReady() }
            }
        case .snapshot:
            if let room = scan.hash(after: Keys.room), let seq = scan.integer(after: Keys.seq) { lastSeq[room] = seq }
        case .error:
            stats.error(scan.string(after: Keys.code) ?? "unknown")
        case .other:
            break
        }
    }
}
