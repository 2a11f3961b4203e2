/// One frame of a table's camera: when it was taken and where each ball was seen.
///
/// Coordinates are the table's own (see ``TableGeometry``); ball 0 is the cue ball, 1–15 the object
/// balls. A ball that is not seen is simply absent.
public struct TableFrame: Sendable, Equatable {
    /// One ball seen in a frame.
    public struct Sighting: Sendable, Equatable {
        public var ball: Int
        public var x: Double
        public var y: Double

        public init(ball: Int, x: Double, y: Double) {
            self.ball = ball
            self.x = x
            self.y = y
        }
    }

    /// Milliseconds, from any origin, growing from frame to frame.
    public var t: Int64
    public var balls: [Sighting]

    public init(t: Int64, balls: [Sighting]) {
        self.t = t
        self.balls = balls
    }
}
