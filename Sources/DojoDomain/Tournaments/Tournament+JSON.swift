import Foundation

extension Tournament.Event: JSONWritable {
    /// Tournament events are written by `JSONEncoder` (sorted keys), not by hand as the events of a
    /// match are: there are a few per match of the tournament, never on the path of a shot, and
    /// their shapes (a bracket's terms, placings, `rewards` as any JSON) are the widest of all.
    public func writeJSON(to w: inout JSONWriter) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            w.raw(try encoder.encode(self))
        } catch {
            // Only a non-finite number fails, and every number in an event came from parsed JSON or
            // from integers.
            preconditionFailure("a tournament event could not be encoded: \(error)")
        }
    }
}
