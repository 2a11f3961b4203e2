/// The port through which a room's messages reach every node that follows the room
/// (ARCHITECTURE §2, §4): the gateway subscribes a node to a room when its first local subscriber
/// arrives, unsubscribes it when the last one leaves, and publishes each committed event once.
///
/// Contract (``RoomBusContract`` in the tests, run against every adapter):
/// - a message published to a room reaches every node subscribed to it, once, and messages of one
///   publisher arrive in the order they were published;
/// - a node not subscribed (never, or no longer) receives nothing;
/// - `encode` runs only when some node follows the room, at most once per publish;
/// - one subscription per node and room: subscribing again replaces the handler.
///
/// Adapters: ``LocalRoomBus`` (in process: one node, or several nodes of one process sharing a
/// ``LocalRoomBus/Network``); a Redis adapter (pub/sub across nodes) comes with the cluster.
public protocol RoomBus: Sendable {
    /// Follows `room` on this node: `deliver` receives every message published to it.
    func subscribe(_ room: String, deliver: @escaping @Sendable (RoomMessage) -> Void)
    /// Stops following `room` on this node.
    func unsubscribe(_ room: String)
    /// Publishes to every node following `room`; `encode` frames the message, only if needed.
    func publish(_ room: String, encode: () -> RoomMessage)
}
