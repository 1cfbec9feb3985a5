// Applying MaskEdits to a mask, at whatever size the mask has: strokes are drawn in
// original-image coordinates (each mask pixel is tested at its centre, mapped back to the
// image), clean-up areas are scaled to the mask's pixels. At the image's own size the result is
// exact and the clean-ups are the official `remove_small_regions` (the engine's, which the
// automatic mask generator uses too).

import SamEngine

public enum SmallRegionMode: Sendable {
    /// Background regions (8-connected) smaller than the area become foreground.
    case holes
    /// Foreground regions smaller than the area become background; the largest stays if all are.
    case islands
}

extension BinaryMask {
    /// The official `remove_small_regions(mask, area, mode)` of segment_anything and sam2
    /// (`utils/amg.py`): regions below `area` pixels filled (holes) or removed (islands).
    public func removingSmallRegions(below area: Int, mode: SmallRegionMode) -> BinaryMask {
        guard area > 1, width > 0, height > 0 else { return self }
        var result = bytes
        let changed = result.withUnsafeMutableBufferPointer {
            sam_remove_small_regions($0.baseAddress, Int32(width), Int32(height), Int64(area), mode == .holes ? 1 : 0)
        }
        return changed != 0 ? BinaryMask(width: width, height: height, bytes: result) : self
    }

    /// The official generator's `min_mask_region_area` clean-up, and `segment --fill-holes
    /// --remove-islands`: holes first, then islands.
    public func cleaned(fillingHolesBelow holes: Int, removingIslandsBelow islands: Int) -> BinaryMask {
        removingSmallRegions(below: holes, mode: .holes).removingSmallRegions(below: islands, mode: .islands)
    }
}

public enum MaskSculpting {
    /// `mask` (any size, covering an image of `imageWidth` x `imageHeight`) with `edits` applied
    /// in order.
    public static func apply(_ edits: some Collection<MaskEdit>, to mask: BinaryMask,
                             imageWidth: Int, imageHeight: Int) -> BinaryMask {
        var result = mask
        for edit in edits { result = apply(edit, to: result, imageWidth: imageWidth, imageHeight: imageHeight) }
        return result
    }

    public static func apply(_ edit: MaskEdit, to mask: BinaryMask, imageWidth: Int, imageHeight: Int) -> BinaryMask {
        switch edit {
        case .stroke(let stroke):
            return draw(stroke, on: mask, imageWidth: imageWidth, imageHeight: imageHeight)
        case .fillHoles(let area):
            return mask.removingSmallRegions(below: scaled(area, of: mask, imageWidth: imageWidth, imageHeight: imageHeight),
                                             mode: .holes)
        case .removeIslands(let area):
            return mask.removingSmallRegions(below: scaled(area, of: mask, imageWidth: imageWidth, imageHeight: imageHeight),
                                             mode: .islands)
        }
    }

    /// Each mask without the pixels of the masks before it: the first object wins where masks
    /// overlap (CVAT's "remove underlying pixels"). All masks have one size.
    public static func exclusive(_ masks: [BinaryMask]) -> [BinaryMask] {
        guard let first = masks.first else { return [] }
        var taken = BinaryMask(width: first.width, height: first.height)
        return masks.map { mask in
            let own = mask.subtracting(taken)
            taken = taken.union(mask)
            return own
        }
    }

    /// An area in original-image pixels as pixels of a mask of another size.
    static func scaled(_ area: Int, of mask: BinaryMask, imageWidth: Int, imageHeight: Int) -> Int {
        guard mask.width != imageWidth || mask.height != imageHeight, imageWidth > 0, imageHeight > 0 else { return area }
        let factor = Double(mask.width * mask.height) / Double(imageWidth * imageHeight)
        return Int((Double(area) * factor).rounded())
    }

    /// The pixels whose centres (in image coordinates) lie within the radius of the path.
    static func draw(_ stroke: MaskEdit.Stroke, on mask: BinaryMask, imageWidth: Int, imageHeight: Int) -> BinaryMask {
        guard let first = stroke.path.first, mask.width > 0, mask.height > 0, imageWidth > 0, imageHeight > 0 else { return mask }
        var result = mask
        let scaleX = Double(mask.width) / Double(imageWidth), scaleY = Double(mask.height) / Double(imageHeight)
        let value: UInt8 = stroke.erases ? 0 : 1
        let radius = stroke.radius, radiusSquared = stroke.radius * stroke.radius
        let segments = stroke.path.count == 1 ? [(first, first)] : Array(zip(stroke.path, stroke.path.dropFirst()))
        result.withBytes { bytes in
            for (start, end) in segments {
                let dx = end.x - start.x, dy = end.y - start.y
                let lengthSquared = dx * dx + dy * dy
                // Mask pixels whose centres can be within reach: (i + 0.5) / scale in [min - r, max + r].
                let columns = pixelRange(min(start.x, end.x) - radius, max(start.x, end.x) + radius, scale: scaleX, count: mask.width)
                let rows = pixelRange(min(start.y, end.y) - radius, max(start.y, end.y) + radius, scale: scaleY, count: mask.height)
                for row in rows {
                    let y = (Double(row) + 0.5) / scaleY
                    for column in columns {
                        let x = (Double(column) + 0.5) / scaleX
                        var t = lengthSquared > 0 ? ((x - start.x) * dx + (y - start.y) * dy) / lengthSquared : 0
                        t = min(max(t, 0), 1)
                        let nearX = start.x + t * dx - x, nearY = start.y + t * dy - y
                        if nearX * nearX + nearY * nearY <= radiusSquared { bytes[row * mask.width + column] = value }
                    }
                }
            }
        }
        return result
    }

    private static func pixelRange(_ low: Double, _ high: Double, scale: Double, count: Int) -> Range<Int> {
        let first = max(Int((low * scale - 0.5).rounded(.down)), 0)
        let last = min(Int((high * scale - 0.5).rounded(.up)), count - 1)
        return first <= last ? first..<(last + 1) : 0..<0
    }
}
