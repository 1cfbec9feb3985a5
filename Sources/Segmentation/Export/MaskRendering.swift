// The pictures exports are made of: label map, overlay and cut-outs, as plain pixel arrays.

import Foundation

public enum MaskRendering {
    /// Samples of a label map: pixel value i for the i-th mask (1-based), 0 for background.
    /// Where masks overlap, the first one wins, as it does when an image's objects are kept from
    /// overlapping (`noOverlaps`), so the map is the same either way.
    public enum LabelMap: Equatable, Sendable {
        /// Up to 255 masks.
        case eightBit([UInt8])
        /// More than 255 masks (up to 65535).
        case sixteenBit([UInt16])
    }

    public static func labelMap(_ masks: [BinaryMask], width: Int, height: Int) -> LabelMap {
        precondition(masks.count <= Int(UInt16.max), "a 16-bit label map holds at most 65535 objects")
        var labels = [UInt16](repeating: 0, count: width * height)
        for (index, mask) in masks.enumerated() {
            precondition(mask.width == width && mask.height == height, "mask \(index + 1) is not \(width)x\(height)")
            let label = UInt16(index + 1)
            for pixel in mask.bytes.indices where mask.bytes[pixel] != 0 && labels[pixel] == 0 { labels[pixel] = label }
        }
        if masks.count <= 255 { return .eightBit(labels.map { UInt8($0) }) }
        return .sixteenBit(labels)
    }

    /// The image with every mask filled in its colour at `alpha` (0.6 as the official
    /// notebooks' show_mask), masks later in the list on top.
    public static func overlay(image: RGBImage, masks: [(mask: BinaryMask, color: RGBColor)],
                               alpha: Double = ObjectPalette.maskAlpha) -> RGBImage {
        var pixels = image.pixels
        for (mask, color) in masks {
            precondition(mask.width == image.width && mask.height == image.height, "mask and image differ in size")
            let tint = [Double(color.red), Double(color.green), Double(color.blue)].map { $0 * alpha }
            for pixel in mask.bytes.indices where mask.bytes[pixel] != 0 {
                for channel in 0..<3 {
                    let offset = pixel * 3 + channel
                    pixels[offset] = UInt8((Double(pixels[offset]) * (1 - alpha) + tint[channel]).rounded())
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// RGBA pixels of the image inside `box`: opaque where the mask is set, fully transparent
    /// (and black) elsewhere.
    public static func cutout(image: RGBImage, mask: BinaryMask, box: PixelBox) -> [UInt8] {
        precondition(mask.width == image.width && mask.height == image.height, "mask and image differ in size")
        var rgba = [UInt8](repeating: 0, count: box.width * box.height * 4)
        for row in 0..<box.height {
            let y = box.y + row
            for column in 0..<box.width {
                let x = box.x + column
                guard mask.bytes[y * mask.width + x] != 0 else { continue }
                let source = (y * image.width + x) * 3
                let target = (row * box.width + column) * 4
                rgba[target] = image.pixels[source]
                rgba[target + 1] = image.pixels[source + 1]
                rgba[target + 2] = image.pixels[source + 2]
                rgba[target + 3] = 255
            }
        }
        return rgba
    }
}
