// Polygons filled the way their formats' own readers fill them, so an imported mask is the mask
// the dataset's users see:
//  * COCO: pycocotools' `frPyObjects` / `annToMask` (maskApi.c's rleFrPoly: the outline traced on
//    a five times finer grid, its crossings of pixel columns taken back down; several polygons
//    of one annotation joined), bit for bit.
//  * YOLO and LabelMe: Ultralytics' polygon2mask (cv2.fillPoly of the coordinates cast to int)
//    and LabelMe's shape_to_mask (PIL's polygon with its outline): the pixels whose indices lie
//    inside the polygon with its coordinates truncated, its edges drawn as lines.
// Coordinates are assumed finite and within the image (the readers check both).

import Foundation

extension PolygonRaster {
    /// pycocotools' mask of an annotation's polygons ([x0, y0, x1, y1, ...] each).
    public static func cocoMask(polygons: [[Double]], width: Int, height: Int) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for flat in polygons where flat.count >= 6 && flat.count % 2 == 0 {
            let counts = cocoCounts(flat, width: width, height: height)
            guard let part = try? RLE(height: height, width: width, counts: counts).decode() else { continue }
            mask = mask.union(part)
        }
        return mask
    }

    /// maskApi.c's rleFrPoly: the run lengths (column-major, starting with a background run).
    static func cocoCounts(_ xy: [Double], width w: Int, height h: Int) -> [UInt32] {
        let scale = 5.0
        let k = xy.count / 2
        // C's (int)(v + .5): truncation towards zero.
        var x = (0..<k).map { Int(scale * xy[2 * $0] + 0.5) }
        var y = (0..<k).map { Int(scale * xy[2 * $0 + 1] + 0.5) }
        x.append(x[0])
        y.append(y[0])
        var u: [Int] = [], v: [Int] = []
        for j in 0..<k {
            var xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1]
            let dx = abs(xe - xs), dy = abs(ys - ye)
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
            if flip { swap(&xs, &xe); swap(&ys, &ye) }
            let s = dx >= dy ? (dx == 0 ? 0 : Double(ye - ys) / Double(dx)) : Double(xe - xs) / Double(dy)
            if dx >= dy {
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    u.append(t + xs)
                    v.append(Int(Double(ys) + s * Double(t) + 0.5))
                }
            } else {
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    v.append(t + ys)
                    u.append(Int(Double(xs) + s * Double(t) + 0.5))
                }
            }
        }
        // The outline's crossings of pixel columns, back on the pixel grid.
        var positions: [Int] = []
        for j in 1..<max(u.count, 1) where u[j] != u[j - 1] {
            var xd = Double(u[j] < u[j - 1] ? u[j] : u[j] - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > Double(w - 1) { continue }
            var yd = Double(min(v[j], v[j - 1]))
            yd = (yd + 0.5) / scale - 0.5
            yd = min(max(yd, 0), Double(h)).rounded(.up)
            positions.append(Int(xd) * h + Int(yd))
        }
        positions.append(h * w)
        positions.sort()
        var differences: [Int] = []
        var previous = 0
        for position in positions {
            differences.append(position - previous)
            previous = position
        }
        // Zero-length runs merge their neighbours, as rleFrPoly does.
        var counts: [UInt32] = [UInt32(differences[0])]
        var index = 1
        while index < differences.count {
            if differences[index] > 0 {
                counts.append(UInt32(differences[index]))
                index += 1
            } else {
                index += 1
                if index < differences.count {
                    counts[counts.count - 1] += UInt32(differences[index])
                    index += 1
                }
            }
        }
        return counts
    }

    /// The pixels cv2.fillPoly (Ultralytics) and PIL's polygon with outline (LabelMe) paint for
    /// these polygons: coordinates truncated to pixel indices, the indices inside the polygon
    /// (even-odd) and those on its edges' lines.
    public static func filledMask(polygons: [[Double]], width: Int, height: Int) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for flat in polygons where flat.count >= 6 && flat.count % 2 == 0 {
            let points = stride(from: 0, to: flat.count, by: 2).map { (Int(flat[$0]), Int(flat[$0 + 1])) }
            fillInterior(points, into: &mask)
            for index in points.indices {
                drawLine(from: points[index], to: points[(index + 1) % points.count], into: &mask)
            }
        }
        return mask
    }

    /// Pixel indices strictly inside by the even-odd rule (rows sampled at their index).
    private static func fillInterior(_ points: [(Int, Int)], into mask: inout BinaryMask) {
        guard let minY = points.map(\.1).min(), let maxY = points.map(\.1).max() else { return }
        for y in max(0, minY)...min(mask.height - 1, max(maxY, 0)) where minY <= maxY {
            var crossings: [Double] = []
            for index in points.indices {
                let (ax, ay) = points[index], (bx, by) = points[(index + 1) % points.count]
                if (ay <= y) != (by <= y) {
                    crossings.append(Double(ax) + Double(y - ay) / Double(by - ay) * Double(bx - ax))
                }
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                let first = max(0, Int(crossings[k].rounded(.up))), last = min(mask.width - 1, Int(crossings[k + 1].rounded(.down)))
                if first <= last { for x in first...last { mask[x, y] = true } }
                k += 2
            }
        }
    }

    /// Bresenham's line between two pixel indices, clipped to the mask.
    private static func drawLine(from start: (Int, Int), to end: (Int, Int), into mask: inout BinaryMask) {
        var (x, y) = start
        let dx = abs(end.0 - x), dy = -abs(end.1 - y)
        let stepX = x < end.0 ? 1 : -1, stepY = y < end.1 ? 1 : -1
        var error = dx + dy
        while true {
            if x >= 0 && y >= 0 && x < mask.width && y < mask.height { mask[x, y] = true }
            if x == end.0 && y == end.1 { break }
            let twice = 2 * error
            if twice >= dy { error += dy; x += stepX }
            if twice <= dx { error += dx; y += stepY }
        }
    }
}
