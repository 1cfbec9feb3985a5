// A binary mask at some resolution: one byte per pixel, row-major, 1 inside and 0 outside.

import Foundation

/// An axis-aligned box in whole pixels, COCO style: left, top, width, height.
public struct PixelBox: Equatable, Hashable, Sendable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `[x, y, w, h]` as COCO writes `bbox`.
    public var cocoArray: [Int] { [x, y, width, height] }
}

public struct BinaryMask: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// width * height bytes, row-major; every byte is 0 or 1.
    public private(set) var bytes: [UInt8]

    /// An empty (all-outside) mask.
    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "mask size must not be negative")
        self.width = width
        self.height = height
        bytes = [UInt8](repeating: 0, count: width * height)
    }

    /// Any nonzero byte counts as inside, so 0/255 masks and engine output both fit.
    public init(width: Int, height: Int, bytes: [UInt8]) {
        precondition(width >= 0 && height >= 0 && bytes.count == width * height,
                     "mask of \(width)x\(height) needs \(width * height) bytes, got \(bytes.count)")
        self.width = width
        self.height = height
        self.bytes = bytes.contains(where: { $0 > 1 }) ? bytes.map { $0 == 0 ? 0 : 1 } : bytes
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { bytes[y * width + x] != 0 }
        set { bytes[y * width + x] = newValue ? 1 : 0 }
    }

    public var isEmpty: Bool { !bytes.contains(1) }

    /// Pixels inside.
    public var area: Int { bytes.reduce(0) { $0 + Int($1) } }

    /// The smallest box holding every inside pixel; nil for an empty mask.
    public var boundingBox: PixelBox? {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            let row = y * width
            guard let first = (0..<width).first(where: { bytes[row + $0] != 0 }) else { continue }
            let last = (0..<width).last(where: { bytes[row + $0] != 0 })!
            minX = min(minX, first)
            maxX = max(maxX, last)
            if minY == height { minY = y }
            maxY = y
        }
        guard maxX >= 0 else { return nil }
        return PixelBox(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// Pixels inside both masks. Both must have the same size.
    public func intersectionArea(with other: BinaryMask) -> Int {
        precondition(width == other.width && height == other.height, "masks differ in size")
        var count = 0
        for index in bytes.indices { count += Int(bytes[index] & other.bytes[index]) }
        return count
    }

    public func union(_ other: BinaryMask) -> BinaryMask {
        precondition(width == other.width && height == other.height, "masks differ in size")
        var result = self
        for index in bytes.indices { result.bytes[index] = bytes[index] | other.bytes[index] }
        return result
    }

    /// This mask without the pixels of `other` (same size).
    public func subtracting(_ other: BinaryMask) -> BinaryMask {
        precondition(width == other.width && height == other.height, "masks differ in size")
        var result = self
        for index in bytes.indices { result.bytes[index] = bytes[index] & (other.bytes[index] ^ 1) }
        return result
    }

    /// Changes the bytes in place; the body must leave every byte 0 or 1.
    mutating func withBytes<Result>(_ body: (inout [UInt8]) -> Result) -> Result { body(&bytes) }

    /// Intersection over union; two empty masks count as identical (1).
    public func iou(_ other: BinaryMask) -> Double {
        let intersection = intersectionArea(with: other)
        let unionArea = area + other.area - intersection
        return unionArea == 0 ? 1 : Double(intersection) / Double(unionArea)
    }

    /// The mask at another size, each pixel taking the value under its centre.
    public func resizedNearest(width newWidth: Int, height newHeight: Int) -> BinaryMask {
        guard newWidth != width || newHeight != height else { return self }
        var resized = [UInt8](repeating: 0, count: newWidth * newHeight)
        for y in 0..<newHeight {
            let sourceRow = min((2 * y + 1) * height / (2 * newHeight), height - 1) * width
            for x in 0..<newWidth {
                resized[y * newWidth + x] = bytes[sourceRow + min((2 * x + 1) * width / (2 * newWidth), width - 1)]
            }
        }
        return BinaryMask(width: newWidth, height: newHeight, bytes: resized)
    }

    /// The mask as 0/255 bytes, the form image viewers show as black and white.
    public var grayBytes: [UInt8] { bytes.map { $0 == 0 ? 0 : 255 } }
}
