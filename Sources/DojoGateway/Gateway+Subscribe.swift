import DojoCluster
import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Logging
import NIOCore
import Synchronization

extension Gateway {
    /// Subscribes a connection to a room: checks who may follow it (and that it exists), then
    /// attaches, answering with `ack` and then either the missed events (`since` within what is
    /// kept), or a `snapshot` of the state followed by live events, with no gap and no duplicate.
    func subscribe(_ connection: Connection, room: RoomName, since: ClientMessage.Since?, requestID: [UInt8]?) {
        let key = room.description
        func refuse(_ code: String, _ message: String) {
            connection.sendNow(Messages.error(requestID: requestID, code: code, message: message, room: key))
        }
        guard connection.subscriptions[key] == nil, !connection.reserved.contains(key) else {
            return refuse("room.already_subscribed", "already subscribed to \(key)")
        }
        guard connection.subscriptions.count + connection.reserved.count < configuration.maximumSubscriptions else {
            return refuse("subscriptions.limit", "a connection follows at most \(configuration.maximumSubscriptions) rooms")
        }
        let principal = connection.principal
        switch room.kind {
        case .user:
            guard let principal, principal.userID != nil else {
                return refuse("auth.required", "user rooms need a signed-in connection (send auth first)")
            }
            do throws(DomainError) { try AccessPolicy.check(principal, .followUserRoom(userID: room.id)) } catch {
                return refuse(error.code, error.message)
            }
        default:
            // A members-only room (its kind registers a follow rule) is for signed-in members.
            if principal?.userID == nil, hasFollowRule(room) {
                return refuse("auth.required", "\(room.kind.rawValue) rooms are for their members: send auth first")
            }
        }
        connection.reserved.insert(key)
        let bound = NIOLoopBound(connection, eventLoop: connection.hub.eventLoop)
        // Existence may be taken from a room that is open here; permission never is.
        let admitted = rooms(contains: key) && !admitsPerSubscriber(room)
        self.tasks.spawn {
            let refusal = admitted ? nil : await self.admission(room, principal)
            bound.eventLoop.execute {
                let connection = bound.value
                connection.reserved.remove(key)
                guard !connection.closing else { return }
                if let refusal {
                    return connection.sendNow(Messages.error(requestID: requestID, code: refusal.code, message: refusal.message, room: key))
                }
                self.attach(connection, room: room, since: since, requestID: requestID)
            }
        }
    }

    /// Whether who may follow `room` depends on the subscriber: its name says so, or its kind's
    /// registration has a follow rule. Then an open room never answers for a new subscriber.
    private func admitsPerSubscriber(_ room: RoomName) -> Bool {
        room.admitsPerSubscriber || hasFollowRule(room)
    }

    /// Whether the room's kind registers who may follow it (``EntityRegistration/follow``).
    private func hasFollowRule(_ room: RoomName) -> Bool {
        room.entityKind.map { runtime.registration(for: $0)?.follow != nil } == true
    }

    /// Whether the room exists and the principal may follow it.
    private func admission(_ room: RoomName, _ principal: Principal?) async -> GatewayRefusal? {
        do {
            // The runtime answers for existence (a registered kind from its actor, others from
            // their records) and for who may follow a members-only room (the kind's registered
            // rule, decided on every subscribe).
            guard let kind = room.entityKind else { return nil }  // bench rooms
            guard try await runtime.recordExists(kind, id: room.id) else { return notFound(room) }
            if let principal {
                try await runtime.checkFollow(kind, id: room.id, principal: principal)
            } else if hasFollowRule(room) {
                // (`subscribe` refuses this before; a rule is never skipped for want of a principal.)
                return GatewayRefusal(code: "auth.required", message: "\(room.kind.rawValue) rooms are for their members: send auth first")
            }
            return nil
        } catch {
            let wire = WireError(error)
            if wire.isServerSide {
                logger.warning("room admission failed", metadata: ["room": "\(room)", "error": "\(error)"])
                return GatewayRefusal(code: "unavailable", message: "the room could not be checked now; retry")
            }
            return GatewayRefusal(code: wire.code, message: wire.message)
        }
    }

    /// Ends `user`'s subscriptions to a room whose rule no longer admits them (a clan member who
    /// left or was removed): each of their connections gets a `room.access_revoked` error for the
    /// room and stops receiving it; their other rooms are untouched. Returns at once; the
    /// subscriptions are removed on their connections' loops.
    public func revokeAccess(room name: RoomName, user: String) {
        guard let room = rooms.lookup(name.description) else { return }
        let shards = room.state.withLock { Array($0.shards.values) }
        for shard in shards {
            shard.hub.eventLoop.execute {
                for subscription in shard.subscriptions where subscription.user == user {
                    let connection = subscription.connection
                    connection.subscriptions.removeValue(forKey: room.nameText)
                    self.detach(subscription)
                    self.metrics.accessRevoked()
                    connection.sendNow(
                        Messages.error(
                            requestID: nil,
                            code: "room.access_revoked",
                            message: "you may no longer follow \(room.nameText)",
                            room: room.nameText
                        )
                    )
                }
            }
        }
    }

    private func notFound(_ room: RoomName) -> GatewayRefusal {
        GatewayRefusal(code: "room.not_found", message: "\(room) does not exist")
    }

    private func rooms(contains key: String) -> Bool { rooms.lookup(key) != nil }

    private enum Start {
        case recovered([(seq: Int64, frame: ByteBuffer)], head: Int64)
        case memorySnapshot(head: Int64)
        case log(after: Int64)
        case snapshot
    }

    /// Attaches on the connection's loop. The decision (what the subscriber has missed) and the
    /// registration happen under the room's lock, so every later message reaches it.
    private func attach(_ connection: Connection, room name: RoomName, since: ClientMessage.Since?, requestID: [UInt8]?) {
        let user = connection.principal?.userID
        let room = acquire(name, user: user)
        let hub = connection.hub
        let (subscription, start, presence): (Subscription, Start, Int) = room.state.withLock { state in
            let shard: RoomShard
            if let existing = state.shards[ObjectIdentifier(hub)] {
                shard = existing
            } else {
                shard = RoomShard(hub: hub)
                state.shards[ObjectIdentifier(hub)] = shard
            }
            let start: Start
            let subscription: Subscription
            let lowest = (state.ring.firstSeq ?? state.lastSeq + 1) - 1
            let known = !room.isLogBacked || state.lastSeq > 0
            if let since, since.epoch == room.epoch, known, since.seq <= state.lastSeq, since.seq >= lowest {
                start = .recovered(state.ring.after(since.seq), head: state.lastSeq)
                subscription = Subscription(connection: connection, room: room, shard: shard, user: user, lastSeq: state.lastSeq, catchingUp: false)
            } else if room.isLogBacked {
                if let since, since.epoch == room.epoch {
                    start = .log(after: since.seq)
                } else {
                    start = .snapshot
                }
                subscription = Subscription(connection: connection, room: room, shard: shard, user: user, lastSeq: 0, catchingUp: true)
            } else {
                start = .memorySnapshot(head: state.lastSeq)
                subscription = Subscription(connection: connection, room: room, shard: shard, user: user, lastSeq: state.lastSeq, catchingUp: false)
            }
            shard.add(subscription)
            return (subscription, start, state.members)
        }
        connection.subscriptions[name.description] = subscription
        metrics.subscription(added: true)

        switch start {
        case .recovered(let missed, let head):
            metrics.recovered(.memory)
            connection.sendReliable(ack(requestID, room, seq: head, recovered: true, missed: missed.count, presence: presence))
            for (_, frame) in missed { connection.sendReliable(frame) }
            connection.flushPass()
        case .memorySnapshot(let head):
            if since != nil { metrics.recovered(.snapshot) }
            connection.sendReliable(ack(requestID, room, seq: head, recovered: since == nil ? nil : false, missed: nil, presence: presence))
            connection.sendReliable(
                Messages.snapshot(room: room.nameText, seq: head, epoch: room.epoch, recovered: since == nil ? nil : false, state: nil)
            )
            connection.flushPass()
        case .log(let after):
            catchUpFromLog(subscription, after: after, requestID: requestID, presence: presence)
        case .snapshot:
            sendSnapshot(subscription, requestID: requestID, recovered: since == nil ? nil : false, presence: presence)
        }
    }

    private func ack(_ requestID: [UInt8]?, _ room: Room, seq: Int64, recovered: Bool?, missed: Int?, presence: Int) -> ByteBuffer {
        Messages.ack(requestID: requestID) { w in
            w.member("room", room.nameText)
            w.member("seq", seq)
            w.member("epoch", room.epoch)
            if let recovered { w.member("recovered", recovered) }
            if let missed { w.member("missed", missed) }
            w.member("count", presence)
        }
    }

    /// Recovers a log room's gap from the durable log: the events after `after`, then whatever
    /// arrived meanwhile. Too large a gap, or a position the log does not have, gives a snapshot.
    private func catchUpFromLog(_ subscription: Subscription, after: Int64, requestID: [UInt8]?, presence: Int) {
        let bound = NIOLoopBound(subscription, eventLoop: subscription.connection.hub.eventLoop)
        let stream = subscription.room.nameText
        let limit = configuration.recoveryLogMaximum
        self.tasks.spawn {
            // Read from the client's own last event, to check that the log has it.
            let events = try? await self.runtime.events(of: stream, after: max(after - 1, 0), limit: limit + 2)
            bound.eventLoop.execute {
                let subscription = bound.value
                guard subscription.isAttached else { return }
                guard var events else {
                    return self.refuseAttached(subscription, requestID, "unavailable", "the log could not be read now; retry")
                }
                if after > 0 {
                    guard events.first?.sequence == after else {
                        return self.sendSnapshot(subscription, requestID: requestID, recovered: false, presence: presence)
                    }
                    events.removeFirst()
                }
                guard events.count <= limit else {
                    return self.sendSnapshot(subscription, requestID: requestID, recovered: false, presence: presence)
                }
                self.metrics.recovered(.log)
                let connection = subscription.connection
                let room = subscription.room
                let head = max(events.last?.sequence ?? after, subscription.pending?.last?.seq ?? 0)
                connection.sendReliable(self.ack(requestID, room, seq: head, recovered: true, missed: nil, presence: presence))
                subscription.lastSeq = after
                for event in events where event.sequence > subscription.lastSeq {
                    subscription.lastSeq = event.sequence
                    connection.sendReliable(Self.encode(event, room: room, seq: event.sequence))
                }
                subscription.finishCatchUp()
                connection.flushPass()
            }
        }
    }

    /// Fills a live subscriber's gap from the log (on its loop): the events after its last one,
    /// then what it holds. A gap the log cannot fill now ends the subscription with `room.resync`
    /// (the client subscribes again with `since` and recovers like after a reconnect).
    func repairGap(_ subscription: Subscription) {
        let bound = NIOLoopBound(subscription, eventLoop: subscription.connection.hub.eventLoop)
        let stream = subscription.room.nameText
        let after = subscription.lastSeq
        let needed = (subscription.pending?.first?.seq ?? after + 1) - 1
        let limit = configuration.recoveryLogMaximum
        self.tasks.spawn {
            let events = try? await self.runtime.events(of: stream, after: after, limit: limit)
            bound.eventLoop.execute {
                let subscription = bound.value
                guard subscription.isAttached else { return }
                guard let events, (events.last?.sequence ?? after) >= needed else {
                    self.metrics.gap(repaired: false)
                    self.logger.warning(
                        "a subscriber's gap could not be filled from the log",
                        metadata: ["ws.room": "\(stream)", "ws.after": "\(after)"]
                    )
                    return self.refuseAttached(
                        subscription,
                        nil,
                        "room.resync",
                        "events of this room were missed and cannot be recovered now; subscribe again with since"
                    )
                }
                self.metrics.gap(repaired: true)
                let connection = subscription.connection
                for event in events where event.sequence > subscription.lastSeq {
                    subscription.lastSeq = event.sequence
                    connection.sendReliable(Self.encode(event, room: subscription.room, seq: event.sequence))
                }
                subscription.finishCatchUp()
                connection.flushPass()
            }
        }
    }

    /// After the bus's connection came back (messages from other nodes may be lost meanwhile):
    /// every log room open here reads what it missed from the log and publishes it to its
    /// subscribers, in order, as if it had arrived; and every subscriber of a room admitted per
    /// subscriber (clan, challenge) is admitted again, so that a revocation lost meanwhile still
    /// ends their subscription.
    public func resynchronize() {
        logger.notice(
            "cluster: the room bus reconnected; rooms read what they missed, presence is reported again",
            metadata: ["rooms": "\(rooms.count)"]
        )
        recheckAdmissions()
        reportPresence()
        for room in rooms.all where room.isLogBacked {
            let after = room.state.withLock { $0.lastSeq }
            guard after > 0 else { continue }
            self.tasks.spawn {
                guard let events = try? await self.runtime.events(of: room.nameText, after: after, limit: self.configuration.recoveryLogMaximum)
                else { return }
                for event in events {
                    room.publishReliable(seq: event.sequence, publishedAt: .now()) { _ in Self.encode(event, room: room, seq: event.sequence) }
                }
            }
        }
    }

    /// Checks again, for every room admitted per subscriber, that each subscribed user may still
    /// follow it; a user refused now is revoked (a failure to check is not a refusal).
    func recheckAdmissions() {
        for room in rooms.all where admitsPerSubscriber(room.name) {
            let shards = room.state.withLock { Array($0.shards.values) }
            for shard in shards {
                shard.hub.eventLoop.execute {
                    var principals: [String: Principal] = [:]
                    for subscription in shard.subscriptions {
                        if let user = subscription.user, let principal = subscription.connection.principal { principals[user] = principal }
                    }
                    for (user, principal) in principals {
                        self.tasks.spawn {
                            guard let refusal = await self.admission(room.name, principal), refusal.code != "unavailable" else { return }
                            self.revokeAccess(room: room.name, user: user)
                        }
                    }
                }
            }
        }
    }

    /// Sends the entity's current state with its sequence number, then what arrived meanwhile.
    private func sendSnapshot(_ subscription: Subscription, requestID: [UInt8]?, recovered: Bool?, presence: Int) {
        if recovered == false { metrics.recovered(.snapshot) }
        let bound = NIOLoopBound(subscription, eventLoop: subscription.connection.hub.eventLoop)
        let name = subscription.room.name
        self.tasks.spawn {
            let result: Result<(state: [UInt8], seq: Int64, exists: Bool), any Error>
            do {
                guard let kind = name.entityKind, let registration = self.runtime.registration(for: kind) else {
                    throw DomainError(.notFound, "room.not_found", "\(name) does not exist")
                }
                let readout = try await registration.read(name.id)
                result = .success((readout.view, readout.sequence, readout.exists))
            } catch {
                result = .failure(error)
            }
            bound.eventLoop.execute {
                let subscription = bound.value
                guard subscription.isAttached else { return }
                switch result {
                case .failure(let error):
                    let wire = WireError(error)
                    if wire.isServerSide {
                        self.refuseAttached(subscription, requestID, "unavailable", "the room's state could not be read now; retry")
                    } else {
                        self.refuseAttached(subscription, requestID, wire.code, wire.message)
                    }
                case .success(let snapshot) where !snapshot.exists:
                    self.refuseAttached(subscription, requestID, "room.not_found", "\(name) does not exist")
                case .success(let snapshot):
                    let connection = subscription.connection
                    let room = subscription.room
                    connection.sendReliable(self.ack(requestID, room, seq: snapshot.seq, recovered: recovered, missed: nil, presence: presence))
                    connection.sendReliable(
                        Messages.snapshot(room: room.nameText, seq: snapshot.seq, epoch: room.epoch, recovered: recovered, state: snapshot.state)
                    )
                    subscription.lastSeq = snapshot.seq
                    subscription.finishCatchUp()
                    connection.flushPass()
                }
            }
        }
    }

    private func refuseAttached(_ subscription: Subscription, _ requestID: [UInt8]?, _ code: String, _ message: String) {
        let connection = subscription.connection
        connection.subscriptions.removeValue(forKey: subscription.room.nameText)
        detach(subscription)
        connection.sendNow(Messages.error(requestID: requestID, code: code, message: message, room: subscription.room.nameText))
    }

    // MARK: Room lifetime and presence

    /// The room, created if needed, with one more member.
    private func acquire(_ name: RoomName, user: String?) -> Room {
        let capacity = configuration.recoveryBuffer
        let room = rooms.acquire(name, user: user) {
            Room(name: name, logBacked: isLogBacked(name), recoveryCapacity: capacity) { [weak self] in self?.repairGap($0) }
        } opened: { room in
            // This node follows the room while it has local subscribers.
            bus.subscribe(room.nameText) { [weak self, weak room] message in
                guard let self, let room else { return }
                self.receive(message, in: room)
            }
        }
        presence.join(name.description, user: user, node: nodeID)
        schedulePresence(room)
        return room
    }

    /// Detaches a subscription (unsubscribe, close, refusal); the last member removes the room.
    func detach(_ subscription: Subscription) {
        guard subscription.isAttached else { return }
        let shard = subscription.shard
        shard.remove(subscription)
        let shardEmpty = shard.subscriptions.isEmpty
        let room = subscription.room
        let user = subscription.user
        metrics.subscription(added: false)
        rooms.release(room, user: user, shard: shard, shardEmpty: shardEmpty) { bus.unsubscribe($0.nameText) }
        presence.leave(room.nameText, user: user, node: nodeID)
        schedulePresence(room)
    }

    /// A member's state in a room it follows (`typing`, …): kept in the presence store for the
    /// platform, shown to the room in its next `presence` message.
    func setPresenceState(_ connection: Connection, room name: RoomName, state: String?, requestID: [UInt8]?) {
        guard let subscription = connection.subscriptions[name.description] else {
            return connection.sendNow(
                Messages.error(requestID: requestID, code: "room.not_subscribed", message: "subscribe to \(name) first", room: name.description)
            )
        }
        guard let user = subscription.user else {
            return connection.sendNow(
                Messages.error(
                    requestID: requestID,
                    code: "auth.required",
                    message: "a presence state is a signed-in member's",
                    room: name.description
                )
            )
        }
        presence.setState(name.description, user: user, state: state)
        subscription.room.state.withLock { $0.presenceDirty = true }
        schedulePresence(subscription.room)
        if requestID != nil { connection.sendNow(Messages.ack(requestID: requestID) { $0.member("room", name.description) }) }
    }

    /// After the presence store was unreachable: tells it again everything this node has, room by
    /// room, and sends every room a fresh count (twice, two seconds apart).
    func reportPresence() {
        var tallies: [String: PresenceTally] = [:]
        for room in rooms.all {
            let (anonymous, users) = room.state.withLock { ($0.anonymous, $0.users) }
            tallies[room.nameText] = PresenceTally(anonymous: anonymous, users: users)
        }
        let presence = self.presence
        let node = nodeID
        let rooms = self.rooms.all
        self.tasks.spawn { [tallies] in
            // The store's own connection may come back a little after the subscriber's: try for ten seconds.
            var reported = false
            for attempt in 1...20 where !reported {
                do {
                    try await presence.report(node: node, rooms: tallies)
                    reported = true
                } catch {
                    if attempt == 20 {
                        self.logger.warning("presence could not be reported again after a Redis outage", metadata: ["error": "\(error)"])
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            // A fresh count to every room, and again a little later: the connection that publishes
            // may come back after the one that told us Redis was back (a message it drops is lost).
            for delay in [Duration.zero, .seconds(2)] {
                try? await Task.sleep(for: delay)
                for room in rooms {
                    room.state.withLock { $0.presenceDirty = true }
                    self.schedulePresence(room)
                }
            }
        }
    }

    /// Joins and leaves are sent at most once per `presenceIntervalMilliseconds` per room.
    private func schedulePresence(_ room: Room) {
        let schedule = room.state.withLock { state in
            // A room that closed here (its last local member left) still tells the other nodes.
            guard !state.presenceScheduled else { return false }
            state.presenceScheduled = true
            return true
        }
        guard schedule, let loop = anyHub()?.eventLoop else { return }
        let presence = self.presence
        let bus = self.bus
        loop.scheduleTask(in: .milliseconds(Int64(configuration.presenceIntervalMilliseconds))) {
            let change: (members: Int, anonymous: Int, joined: [String], left: [String])? = room.state.withLock { state in
                state.presenceScheduled = false
                guard state.presenceDirty else { return nil }
                state.presenceDirty = false
                defer {
                    state.joined.removeAll()
                    state.left.removeAll()
                }
                return (state.members, state.anonymous, state.joined, state.left)
            }
            guard let change else { return }
            // The counts are the platform's (every node's members, from the presence store); the
            // joins and leaves are this node's.
            self.tasks.spawn {
                let total = try? await presence.count(room.nameText)
                let message = Messages.presence(
                    room: room.nameText,
                    count: total?.members ?? change.members,
                    anonymous: total?.anonymous ?? change.anonymous,
                    joined: change.joined,
                    left: change.left,
                    states: total?.states ?? [:]
                )
                // Through the bus: the room's subscribers on every node see the platform's count.
                bus.publish(room.nameText) { RoomMessage(room: room.nameText, delivery: .lossy(key: "presence"), frame: message) }
            }
        }
    }
}
