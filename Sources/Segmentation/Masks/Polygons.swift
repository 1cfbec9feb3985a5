// Outer contours of a mask as polygons, simplified to a tolerance, for tools that want polygons
// rather than RLE (COCO's polygon `segmentation`, most labelling tools).
//
// Contours run along pixel edges, not through pixel centres: pixel (x, y) is the square
// [x, x+1] x [y, y+1], so an unsimplified contour encloses exactly the mask's pixels and a
// rasteriser that samples pixel centres gives the mask back. Inside pixels touching only at a
// corner belong to one contour (8-connectivity, as OpenCV's findContours); holes are left out.

import Foundation

public struct PolygonPoint: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

public struct Polygon: Equatable, Sendable {
    /// Vertices in order, clockwise on screen (y grows downwards); the last joins the first.
    public var points: [PolygonPoint]

    public init(points: [PolygonPoint]) { self.points = points }

    /// COCO's flat form: [x0, y0, x1, y1, ...].
    public var flatCoordinates: [Double] { points.flatMap { [$0.x, $0.y] } }

    /// Enclosed area by the shoelace formula (positive for outer contours).
    public var area: Double {
        guard points.count >= 3 else { return 0 }
        var twice = 0.0
        for index in points.indices {
            let next = points[(index + 1) % points.count]
            twice += points[index].x * next.y - next.x * points[index].y
        }
        return twice / 2
    }

    /// Even-odd test; points exactly on an edge may fall either way.
    public func contains(x: Double, y: Double) -> Bool {
        var inside = false
        var previous = points[points.count - 1]
        for point in points {
            if (point.y > y) != (previous.y > y) {
                let crossingX = previous.x + (y - previous.y) * (point.x - previous.x) / (point.y - previous.y)
                if x < crossingX { inside.toggle() }
            }
            previous = point
        }
        return inside
    }
}

public enum MaskContours {
    /// One polygon per outer contour (per 8-connected part of the mask), in the order their
    /// top-left corners appear scanning rows. `tolerance` is the largest distance in pixels a
    /// dropped contour point may lie from the simplified polygon; 0 keeps every corner.
    public static func outerPolygons(of mask: BinaryMask, tolerance: Double = 1.0) -> [Polygon] {
        traceOuterContours(mask).map { Polygon(points: simplifyClosed($0, tolerance: max(0, tolerance))) }
    }

    // MARK: - Tracing

    // Directions of travel along pixel edges, in screen coordinates (y down).
    private static let stepX = [1, 0, -1, 0]  // right, down, left, up
    private static let stepY = [0, 1, 0, -1]

    /// Outer contours only (see traceContours).
    static func traceOuterContours(_ mask: BinaryMask) -> [[PolygonPoint]] {
        traceContours(mask).outer
    }

    /// Every boundary loop, walked with the inside on the right hand; outer contours come out
    /// clockwise on screen (positive shoelace area), holes (4-connected background regions
    /// inside) anticlockwise. Returns corner points only (straight runs collapsed).
    static func traceContours(_ mask: BinaryMask) -> (outer: [[PolygonPoint]], holes: [[PolygonPoint]]) {
        let width = mask.width, height = mask.height
        guard width > 0, height > 0 else { return ([], []) }
        let columns = width + 1
        func inside(_ x: Int, _ y: Int) -> Bool {
            x >= 0 && y >= 0 && x < width && y < height && mask.bytes[y * width + x] != 0
        }
        // Bit d of outgoing[v] is set when an unvisited boundary edge leaves corner v in direction d.
        var outgoing = [UInt8](repeating: 0, count: columns * (height + 1))
        for y in 0..<height {
            for x in 0..<width where inside(x, y) {
                if !inside(x, y - 1) { outgoing[y * columns + x] |= 1 << 0 }  // top edge, going right
                if !inside(x + 1, y) { outgoing[y * columns + x + 1] |= 1 << 1 }  // right edge, going down
                if !inside(x, y + 1) { outgoing[(y + 1) * columns + x + 1] |= 1 << 2 }  // bottom edge, going left
                if !inside(x - 1, y) { outgoing[(y + 1) * columns + x] |= 1 << 3 }  // left edge, going up
            }
        }
        // Which corners lead where is fixed by the mask; `unvisited` tracks what tracing has used.
        var unvisited = outgoing
        var loops: [[PolygonPoint]] = []
        var holes: [[PolygonPoint]] = []
        for start in outgoing.indices where unvisited[start] != 0 {
            while unvisited[start] != 0 {
                let firstDirection = unvisited[start].trailingZeroBitCount
                var corners: [PolygonPoint] = []
                var vertex = start
                var direction = firstDirection
                var twiceArea = 0
                repeat {
                    unvisited[vertex] &= ~(1 << direction)
                    let (y, x) = vertex.quotientAndRemainder(dividingBy: columns)
                    let nextVertex = vertex + stepY[direction] * columns + stepX[direction]
                    let (nextY, nextX) = nextVertex.quotientAndRemainder(dividingBy: columns)
                    twiceArea += x * nextY - nextX * y
                    // Two edges leave a corner only where inside pixels touch diagonally, and then
                    // they are the left and the right turn; turning left keeps both pixels in one
                    // contour (8-connectivity). Each edge thus has one successor and one
                    // predecessor, so the walk comes back to its first edge.
                    let leaving = outgoing[nextVertex]
                    let nextDirection = leaving.nonzeroBitCount == 2 ? (direction + 3) % 4 : leaving.trailingZeroBitCount
                    if nextDirection != direction {
                        corners.append(PolygonPoint(x: Double(nextX), y: Double(nextY)))
                    }
                    vertex = nextVertex
                    direction = nextDirection
                } while !(vertex == start && direction == firstDirection)
                if twiceArea > 0 {
                    loops.append(rotatedToTopLeft(corners))
                } else {
                    holes.append(rotatedToTopLeft(corners))
                }
            }
        }
        return (loops, holes)
    }

    /// Starts the loop at its top-left corner, so output does not depend on where tracing began.
    private static func rotatedToTopLeft(_ points: [PolygonPoint]) -> [PolygonPoint] {
        guard let first = points.indices.min(by: { (points[$0].y, points[$0].x) < (points[$1].y, points[$1].x) }) else {
            return points
        }
        return Array(points[first...] + points[..<first])
    }

    // MARK: - Douglas-Peucker

    /// Simplifies a closed ring: split at the first point and the point farthest from it, then
    /// simplify each half as an open chain. Never returns fewer than three points for a ring
    /// that had three.
    static func simplifyClosed(_ ring: [PolygonPoint], tolerance: Double) -> [PolygonPoint] {
        guard ring.count > 3 else { return ring }
        let anchor = ring[0]
        let far = ring.indices.max(by: { distanceSquared(ring[$0], anchor) < distanceSquared(ring[$1], anchor) })!
        var keep = [Bool](repeating: false, count: ring.count)
        keep[0] = true
        keep[far] = true
        markKept(Array(ring[0...far]), offset: 0, tolerance: tolerance, ringCount: ring.count, keep: &keep)
        markKept(Array(ring[far...]) + [ring[0]], offset: far, tolerance: tolerance, ringCount: ring.count, keep: &keep)
        var result = ring.indices.filter { keep[$0] }.map { ring[$0] }
        if result.count < 3 {
            // Collapsed to a segment: add the point that stands farthest from it.
            let candidate = ring.indices.filter { !keep[$0] }.max(by: {
                segmentDistance(ring[$0], anchor, ring[far]) < segmentDistance(ring[$1], anchor, ring[far])
            })
            if let extra = candidate { keep[extra] = true }
            result = ring.indices.filter { keep[$0] }.map { ring[$0] }
        }
        return result
    }

    /// Marks the points of an open chain that Douglas-Peucker keeps (iteratively: contours of
    /// large masks have thousands of corners).
    private static func markKept(_ chain: [PolygonPoint], offset: Int, tolerance: Double, ringCount: Int,
                                 keep: inout [Bool]) {
        var spans = [(0, chain.count - 1)]
        while let (first, last) = spans.popLast() {
            guard last - first > 1 else { continue }
            var farthest = first
            var farthestDistance = -1.0
            for index in first + 1..<last {
                let distance = segmentDistance(chain[index], chain[first], chain[last])
                if distance > farthestDistance {
                    farthestDistance = distance
                    farthest = index
                }
            }
            if farthestDistance > tolerance {
                keep[(farthest + offset) % ringCount] = true
                spans.append((first, farthest))
                spans.append((farthest, last))
            }
        }
    }

    private static func distanceSquared(_ a: PolygonPoint, _ b: PolygonPoint) -> Double {
        (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
    }

    /// Distance from `point` to the segment from `a` to `b`.
    static func segmentDistance(_ point: PolygonPoint, _ a: PolygonPoint, _ b: PolygonPoint) -> Double {
        let lengthSquared = distanceSquared(a, b)
        guard lengthSquared > 0 else { return distanceSquared(point, a).squareRoot() }
        let t = max(0, min(1, ((point.x - a.x) * (b.x - a.x) + (point.y - a.y) * (b.y - a.y)) / lengthSquared))
        return distanceSquared(point, PolygonPoint(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))).squareRoot()
    }
}
