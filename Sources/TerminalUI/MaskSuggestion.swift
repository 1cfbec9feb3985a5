// An automatic mask offered to the user, until adopted as an object or hidden.
import Segmentation

/// An object the automatic mask generator found: its mask (at the display size), the grid point
/// that prompted it, and the model's predicted IoU.
public struct MaskSuggestion: Sendable {
    public var mask: BinaryMask
    public var point: PixelPoint
    public var score: Float

    public init(mask: BinaryMask, point: PixelPoint, score: Float) {
        self.mask = mask
        self.point = point
        self.score = score
    }

    /// A generator's mask, resized to the display size.
    init(_ found: AutomaticMask, maskWidth: Int, maskHeight: Int) {
        self.init(mask: found.segmentation.decode().resizedNearest(width: maskWidth, height: maskHeight),
                  point: PixelPoint(x: found.pointCoords[0], y: found.pointCoords[1]), score: found.predictedIoU)
    }

    /// Whether the image point lies inside the mask (the mask may be smaller than the image).
    func contains(_ point: PixelPoint, imageWidth: Int, imageHeight: Int) -> Bool {
        let x = Int(point.x * Double(mask.width) / Double(imageWidth)), y = Int(point.y * Double(mask.height) / Double(imageHeight))
        guard x >= 0, y >= 0, x < mask.width, y < mask.height else { return false }
        return mask.bytes[y * mask.width + x] != 0
    }
}
