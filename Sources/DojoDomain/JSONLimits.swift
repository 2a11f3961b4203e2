/// The one nesting limit for JSON that arrives from outside: REST bodies, WebSocket messages, and
/// payloads appended to the log by anything but the runtime's own encoder. Deeper documents are
/// refused before any decoding work, so a hostile one cannot exhaust the stack.
public enum JSONLimits {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 32
}
