// Polygons to masks: a pixel is inside when its centre (x + 0.5, y + 0.5) is inside the
// polygon by the even-odd rule, so the edge-following contours of Polygons.swift rasterise back
// to the mask they came from. Several polygons of one object are joined (union), as COCO's
// annToMask does. Scanlines only, no floating accumulation across rows: deterministic.

import Foundation

public enum PolygonRaster {
    /// `polygons` in pixel coordinates, each [x0, y0, x1, y1, ...] with at least 3 points.
    /// Polygons with fewer points or an odd count draw nothing.
    public static func mask(polygons: [[Double]], width: Int, height: Int) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for flat in polygons { fill(flat, into: &mask) }
        return mask
    }

    /// Pixels whose centre lies within `radius` of (cx, cy): LabelMe's circles.
    public static func circle(centerX cx: Double, centerY cy: Double, radius: Double, width: Int, height: Int) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        guard radius.isFinite, cx.isFinite, cy.isFinite else { return mask }
        let r2 = radius * radius
        let y0 = max(0, whole((cy - radius).rounded(.down)) - 1), y1 = min(height - 1, whole((cy + radius).rounded(.up)) + 1)
        let x0 = max(0, whole((cx - radius).rounded(.down)) - 1), x1 = min(width - 1, whole((cx + radius).rounded(.up)) + 1)
        guard y0 <= y1, x0 <= x1 else { return mask }
        for y in y0...y1 {
            let dy = Double(y) + 0.5 - cy
            for x in x0...x1 {
                let dx = Double(x) + 0.5 - cx
                if dx * dx + dy * dy <= r2 { mask[x, y] = true }
            }
        }
        return mask
    }

    /// A whole-valued coordinate as an Int, clamped so far-off (hostile) values cannot trap.
    private static func whole(_ value: Double) -> Int {
        Int(min(max(value, -1e9), 1e9))
    }

    private static func fill(_ flat: [Double], into mask: inout BinaryMask) {
        guard flat.count >= 6, flat.count % 2 == 0, flat.allSatisfy(\.isFinite) else { return }
        let count = flat.count / 2
        let ys = stride(from: 1, to: flat.count, by: 2).map { flat[$0] }
        guard let minY = ys.min(), let maxY = ys.max() else { return }
        let firstRow = max(0, whole((minY - 0.5).rounded(.up)))
        let lastRow = min(mask.height - 1, whole((maxY - 0.5).rounded(.down)))
        guard firstRow <= lastRow else { return }
        var crossings: [Double] = []
        for y in firstRow...lastRow {
            let yc = Double(y) + 0.5
            crossings.removeAll(keepingCapacity: true)
            for i in 0..<count {
                let j = (i + 1) % count
                let ax = flat[2 * i], ay = flat[2 * i + 1], bx = flat[2 * j], by = flat[2 * j + 1]
                // Half-open in y, so a vertex on the scanline counts once.
                if (ay <= yc) != (by <= yc) {
                    crossings.append(ax + (yc - ay) / (by - ay) * (bx - ax))
                }
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                // Centres x + 0.5 in [left, right).
                let first = max(0, whole((crossings[k] - 0.5).rounded(.up)))
                let last = min(mask.width - 1, whole((crossings[k + 1] - 0.5).rounded(.up)) - 1)
                if first <= last { for x in first...last { mask[x, y] = true } }
                k += 2
            }
        }
    }
}
