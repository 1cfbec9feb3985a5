// A folder of frames, as the official SAM 2 video predictor takes them: the JPEG and PNG files
// directly in it (by extension, any case; hidden files and sub-folders left out; the official
// loader takes JPEG only), in the order
// of their names. When every name's stem is a whole number ("0.jpg", "00017.jpg") they go in
// numeric order, as the official loader sorts by int(stem); otherwise in plain lexicographic
// order of the names (by code point, as Python's sorted does).
//
// The first frame is decoded when the folder is opened, for the size; the others when asked
// for. A frame of another size, or one that cannot be decoded, is an error naming its file.

import Foundation

public struct FrameFolder: FrameSource {
    public enum Ordering: String, Sendable {
        /// Every stem is a whole number: sorted by its value (ties by name).
        case numeric
        case lexicographic
    }

    public let path: String
    /// The frames' file names, in frame order.
    public let fileNames: [String]
    public let ordering: Ordering
    public let width: Int
    public let height: Int
    public let maxPixels: Int

    public static let frameExtensions: Set<String> = ["jpg", "jpeg", "png"]

    public init(path: String, maxPixels: Int = 100_000_000) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw FrameSourceError(path: path, reason: "no such folder")
        }
        guard isFolder.boolValue else { throw FrameSourceError(path: path, reason: "not a folder of frames") }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw FrameSourceError(path: path, reason: "cannot list the folder: \(reason)")
        }
        let candidates = entries.filter { name in
            guard !name.hasPrefix("."), Self.frameExtensions.contains((name as NSString).pathExtension.lowercased()) else {
                return false
            }
            // Folders (and links to folders) are left out; a dangling link stays, and fails
            // naming itself when read.
            var isFolder: ObjCBool = false
            let full = (path as NSString).appendingPathComponent(name)
            return !(FileManager.default.fileExists(atPath: full, isDirectory: &isFolder) && isFolder.boolValue)
        }
        guard !candidates.isEmpty else {
            throw FrameSourceError(path: path, reason: "no frames in this folder (frames are .jpg, .jpeg or .png files)")
        }
        let (ordered, ordering) = Self.order(candidates)
        self.path = path
        self.fileNames = ordered
        self.ordering = ordering
        self.maxPixels = maxPixels
        let first = try RGBImage.load(path: (path as NSString).appendingPathComponent(ordered[0]), maxPixels: maxPixels)
        width = first.width
        height = first.height
    }

    public var frameCount: Int { fileNames.count }

    public func name(of index: Int) -> String { fileNames[index] }

    public var contentIdentity: String? {
        "frames\n" + (0..<frameCount).map { EmbeddingCache.fileStamp(path: filePath(of: $0)) }.joined()
    }

    /// The full path of frame `index`'s file.
    public func filePath(of index: Int) -> String { (path as NSString).appendingPathComponent(fileNames[index]) }

    public func frame(at index: Int) throws -> RGBImage {
        guard fileNames.indices.contains(index) else {
            throw FrameSourceError(path: path, reason: "frame \(index) is outside the folder's \(frameCount) frames (0...\(frameCount - 1))")
        }
        let file = filePath(of: index)
        let image = try RGBImage.load(path: file, maxPixels: maxPixels)
        guard image.width == width, image.height == height else {
            throw FrameSourceError(path: file, reason: "the frame is \(image.width)x\(image.height); the first frame (\(fileNames[0])) is \(width)x\(height), and every frame must have its size")
        }
        return image
    }

    /// File names in frame order, and which order that is.
    public static func order(_ names: [String]) -> (names: [String], ordering: Ordering) {
        let keys = names.map { numericKey(stem: ($0 as NSString).deletingPathExtension) }
        if keys.allSatisfy({ $0 != nil }) {
            let sorted = zip(names, keys.map { $0! }).sorted { left, right in
                if left.1 != right.1 { return left.1 < right.1 }
                return codePointOrder(left.0, right.0)
            }
            return (sorted.map(\.0), .numeric)
        }
        return (names.sorted(by: codePointOrder), .lexicographic)
    }

    /// Python's sorted() on str: by code point.
    static func codePointOrder(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.lexicographicallyPrecedes(right.unicodeScalars)
    }

    /// A whole number as Python's int() reads a frame stem: an optional sign and ASCII digits
    /// (any count, so very long numbers still compare by value).
    struct NumericKey: Comparable {
        let negative: Bool
        /// The digits without leading zeros ("" for zero).
        let digits: String

        static func < (left: NumericKey, right: NumericKey) -> Bool {
            if left.negative != right.negative { return left.negative }
            let magnitudeLess = left.digits.count != right.digits.count
                ? left.digits.count < right.digits.count
                : left.digits < right.digits
            let magnitudeEqual = left.digits == right.digits
            return left.negative ? (!magnitudeLess && !magnitudeEqual) : magnitudeLess
        }
    }

    static func numericKey(stem: String) -> NumericKey? {
        var text = Substring(stem)
        var negative = false
        if let sign = text.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let digits = String(text.drop { $0 == "0" })
        return NumericKey(negative: negative && !digits.isEmpty, digits: digits)
    }
}
