import Foundation

/// Why an image file could not be read or written. The description names the file first, so it
/// can be shown to the user as it is: "photo.jpg: truncated JPEG file".
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The operating system refused to read it (missing, a folder, no permission...).
        case unreadable(String)
        case empty
        case notPNGOrJPEG
        case truncated(format: String)
        case corrupt(format: String, detail: String)
        case tooLarge(width: Int, height: Int, maxPixels: Int)
        case outOfMemory
        /// Encoding or writing the file failed; the text says at which step and why.
        case unwritable(String)
    }

    /// The file concerned, as the caller named it.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reasonText)" }

    public var reasonText: String {
        switch reason {
        case .unreadable(let why): return "cannot read the file: \(why)"
        case .empty: return "the file is empty, not a PNG or JPEG file"
        case .notPNGOrJPEG: return "not a PNG or JPEG file"
        case .truncated(let format): return "truncated \(format) file (it ends before the image data does)"
        case .corrupt(let format, let detail): return "corrupt \(format) file: \(detail)"
        case .tooLarge(let width, let height, let maxPixels):
            let (size, limit) = Self.megapixels(width * height, against: maxPixels)
            return "image is \(width)x\(height) = \(size) megapixels, over the limit of \(limit)"
        case .outOfMemory: return "not enough memory to decode the image"
        case .unwritable(let why): return "cannot write the file: \(why)"
        }
    }

    /// Both counts in megapixels, with just enough decimals that they read differently
    /// (pixel counts are whole, so six decimals always do).
    static func megapixels(_ pixels: Int, against limit: Int) -> (String, String) {
        func text(_ count: Int, _ decimals: Int) -> String { String(format: "%.\(decimals)f", Double(count) / 1e6) }
        let decimals = (0...6).first { text(pixels, $0) != text(limit, $0) } ?? 6
        return (text(pixels, decimals), text(limit, decimals))
    }
}
