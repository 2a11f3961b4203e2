import Foundation
public import Tracing

/// W3C trace context as text (`traceparent`), for what crosses a boundary the task-local context
/// cannot: a WebSocket message, an event in the log (its metadata), a reaction on another task.
/// Through the process's instrument, so what it reads and writes is whatever propagator the
/// tracer uses (swift-otel: W3C trace context).
public enum TraceContext {
    /// The `traceparent` of `context`'s span; nil when it has none (or no tracer is bootstrapped).
    public static func traceparent(of context: ServiceContext) -> String? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: Carrier())
        return carrier["traceparent"]
    }

    /// A top-level context continuing `traceparent` (a malformed one is ignored, as W3C says:
    /// the trace starts afresh).
    public static func context(traceparent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        if let traceparent, traceparent.utf8.count <= 128 {
            InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: Carrier())
        }
        return context
    }

    /// The `traceparent` in a stored event's metadata (`"meta":{…,"trace":"…"}`), found without
    /// decoding the event: the envelope's `meta` is its last member.
    static func traceparent(inPayload payload: String) -> String? {
        guard let meta = payload.range(of: "\"meta\":{", options: .backwards),
            let key = payload.range(of: "\"trace\":\"", range: meta.upperBound..<payload.endIndex),
            let end = payload[key.upperBound...].firstIndex(of: "\"")
        else { return nil }
        return String(payload[key.upperBound..<end])
    }

    /// A short name of a command for a span: its case (`shot`, `recordRack`), never its payload.
    static func commandName(_ command: some Any) -> String {
        let mirror = Mirror(reflecting: command)
        if mirror.displayStyle == .enum, let label = mirror.children.first?.label { return label }
        return String(String(describing: command).prefix(48))
    }

    struct Carrier: Injector, Extractor {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
