// Polygons for formats that fill them with OpenCV's fillPoly and allow one polygon per object
// (YOLO segmentation labels, which Ultralytics rasterises with cv2.fillPoly).
//
// fillPoly fills every pixel whose index lies inside the polygon, its outline included, so
// contours along pixel edges would grow a mask by a pixel on two sides. These contours run
// through the centres of the boundary pixels instead (pixel i spans [i, i+1], its centre is
// i + 0.5): Ultralytics' polygon2mask truncates them to the pixels' indices, what
// cv2.findContours would give, so filling them gives the mask back. A mask with several parts or
// with holes becomes one polygon by bridging every ring into it at its closest vertices, there
// and back (as Ultralytics' own converter joins COCO's multi-part objects): fillPoly's even-odd
// rule fills the parts and leaves the holes empty, the bridges being drawn as thin lines.

import Foundation

extension MaskContours {
    /// Outer contours and holes through the boundary pixels' centres, simplified to `tolerance`.
    public static func centrePolygons(of mask: BinaryMask, tolerance: Double = 1.0) -> (outer: [Polygon], holes: [Polygon]) {
        let traced = traceContours(mask)
        func convert(_ ring: [PolygonPoint]) -> Polygon {
            Polygon(points: simplifyClosed(insetToCentres(ring), tolerance: max(0, tolerance)))
        }
        return (traced.outer.map(convert), traced.holes.map(convert))
    }

    /// The rectilinear ring along pixel edges moved half a pixel towards the inside (on the right
    /// of travel): each corner by half the sum of the inward normals of its two edges.
    static func insetToCentres(_ ring: [PolygonPoint]) -> [PolygonPoint] {
        guard ring.count >= 3 else { return ring }
        func inwardNormal(from a: PolygonPoint, to b: PolygonPoint) -> (Double, Double) {
            // Right of the travel direction on screen (y down): (dx, dy) -> (-dy, dx).
            let dx = (b.x - a.x).sign == .minus ? -1.0 : (b.x == a.x ? 0 : 1)
            let dy = (b.y - a.y).sign == .minus ? -1.0 : (b.y == a.y ? 0 : 1)
            return (-dy, dx)
        }
        return ring.indices.map { index in
            let previous = ring[(index + ring.count - 1) % ring.count], point = ring[index], next = ring[(index + 1) % ring.count]
            let incoming = inwardNormal(from: previous, to: point), outgoing = inwardNormal(from: point, to: next)
            return PolygonPoint(x: point.x + 0.5 * (incoming.0 + outgoing.0), y: point.y + 0.5 * (incoming.1 + outgoing.1))
        }
    }
}

public enum PolygonBridging {
    /// One polygon visiting every ring: each ring after the first is entered from the vertex of
    /// the polygon so far that lies closest to one of its own, walked round, and left back to
    /// that vertex. Empty for no rings.
    public static func single(_ rings: [Polygon]) -> Polygon {
        var rings = rings.filter { !$0.points.isEmpty }
        guard !rings.isEmpty else { return Polygon(points: []) }
        var result = rings.removeFirst().points
        for ring in rings {
            var best = (distance: Double.infinity, from: 0, to: 0)
            for (i, a) in result.enumerated() {
                for (j, b) in ring.points.enumerated() {
                    let distance = (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
                    if distance < best.distance { best = (distance, i, j) }
                }
            }
            let entered = Array(ring.points[best.to...] + ring.points[..<best.to]) + [ring.points[best.to], result[best.from]]
            result.insert(contentsOf: entered, at: best.from + 1)
        }
        return Polygon(points: result)
    }
}
