import Synchronization

/// The rooms of this node by name: a room exists while it has members (subscribers, or
/// subscribes in progress), and counts them, its signed-in users and its anonymous ones. The
/// callbacks run under the registry's lock, so a room closing and another opening under the same
/// name are seen in that order (the node's bus subscription follows them).
final class RoomRegistry: Sendable {
    private let rooms = Mutex<[String: Room]>([:])

    /// The open room named `key`, if any.
    func lookup(_ key: String) -> Room? { rooms.withLock { $0[key] } }

    /// Every open room.
    var all: [Room] { rooms.withLock { Array($0.values) } }

    /// How many rooms are open.
    var count: Int { rooms.withLock { $0.count } }

    /// The room, made and opened (`opened`) if it is not, with one more member.
    func acquire(_ name: RoomName, user: String?, make: () -> Room, opened: (Room) -> Void) -> Room {
        rooms.withLock { rooms in
            let key = name.description
            let room: Room
            if let existing = rooms[key] {
                room = existing
            } else {
                room = make()
                rooms[key] = room
                opened(room)
            }
            room.state.withLock { state in
                state.members += 1
                state.presenceDirty = true
                if let user {
                    state.users[user, default: 0] += 1
                    if state.users[user] == 1 { state.joined.append(user) }
                } else {
                    state.anonymous += 1
                }
            }
            return room
        }
    }

    /// One member less (its loop's shard, emptied, leaves the room); the last one closes the room
    /// (`closed`).
    func release(_ room: Room, user: String?, shard: RoomShard, shardEmpty: Bool, closed: (Room) -> Void) {
        rooms.withLock { rooms in
            room.state.withLock { state in
                if shardEmpty, state.shards[ObjectIdentifier(shard.hub)] === shard {
                    state.shards[ObjectIdentifier(shard.hub)] = nil
                }
                state.members -= 1
                state.presenceDirty = true
                if let user {
                    state.users[user, default: 1] -= 1
                    if state.users[user] == 0 {
                        state.users[user] = nil
                        state.left.append(user)
                    }
                } else {
                    state.anonymous -= 1
                }
                if state.members == 0 {
                    state.closed = true
                    rooms[room.nameText] = nil
                    closed(room)
                }
            }
        }
    }
}
