/// The table as the camera's frames describe it: `x` from 0 to 2 along the length, `y` from 0 to 1
/// across, in units of the table's width, measured to the cushions' noses. Pockets are numbered
/// clockwise from the origin: 1 at (0, 0), 2 at (1, 0), 3 at (2, 0), 4 at (2, 1), 5 at (1, 1),
/// 6 at (0, 1).
public struct TableGeometry: Sendable, Equatable {
    /// A ball's radius in table units: 57.15 mm balls on a 9-foot table (1.27 m wide) by default.
    public var ballRadius: Double
    /// How far outside the cushion lines a detection may be and still count: a ball in a pocket's
    /// mouth sits a little beyond them.
    public var margin: Double

    public init(ballRadius: Double = 0.0225, margin: Double = 0.1) {
        self.ballRadius = ballRadius
        self.margin = margin
    }

    /// A 9-foot table (2.54 m by 1.27 m) with 57.15 mm balls.
    public static let nineFoot = TableGeometry()

    /// The pockets' centres, pocket 1 first.
    public static let pockets: [(x: Double, y: Double)] = [(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)]

    /// True when a detection at (x, y) can be a ball on the table or in a pocket's mouth.
    public func accepts(x: Double, y: Double) -> Bool {
        x >= -margin && x <= 2 + margin && y >= -margin && y <= 1 + margin
    }

    /// The distance from (x, y) to the nearest cushion line, and a point beyond a line counts as 0.
    func cushionDistance(x: Double, y: Double) -> Double {
        max(0, min(x, 2 - x, y, 1 - y))
    }

    /// The pocket nearest (x, y) and its distance.
    func nearestPocket(x: Double, y: Double) -> (pocket: Int, distance: Double) {
        var best = (pocket: 1, distance: Double.infinity)
        for (index, pocket) in Self.pockets.enumerated() {
            let d = norm2(x - pocket.x, y - pocket.y)
            if d < best.distance { best = (index + 1, d) }
        }
        return best
    }
}

/// The length of the vector (x, y).
@inline(__always)
func norm2(_ x: Double, _ y: Double) -> Double { (x * x + y * y).squareRoot() }
