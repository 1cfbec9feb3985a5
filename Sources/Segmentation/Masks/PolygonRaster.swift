// Shapes to masks for the importers: LabelMe's circles here; polygons are filled as their
// formats' readers fill them (PolygonFill.swift).

import Foundation

public enum PolygonRaster {
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
}
