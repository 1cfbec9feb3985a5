/// An 8-bit RGB picture: `pixels` holds width * height * 3 bytes, rows top to bottom, each pixel
/// red, green, blue.
///
/// Decoded images are always opaque RGB. PNG alpha (and tRNS) is dropped rather than composited:
/// the colour channels are kept as stored, since what lies under a transparent pixel is still the
/// best description of the scene for segmentation, and any background we invented would not be.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs at least one pixel")
        precondition(pixels.count == width * height * 3, "RGB pixels must hold width * height * 3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Reads a PNG or JPEG file, recognised by its first bytes whatever its name. JPEGs come out
    /// upright according to their EXIF orientation.
    /// - Parameter maxPixels: larger images are refused before any pixel memory is allocated.
    public static func load(path: String, maxPixels: Int = 100_000_000) throws -> RGBImage {
        let bytes = try ImageFileIO.readAll(path: path) { start in
            if !start.isEmpty && ImageFileFormat(magic: start) == nil {
                throw ImageError(path: path, reason: .notPNGOrJPEG)
            }
        }
        return try decode(bytes, source: path, maxPixels: maxPixels)
    }

    /// Decodes the bytes of a PNG or JPEG file; `source` names it in error messages.
    public static func decode(_ bytes: [UInt8], source: String, maxPixels: Int = 100_000_000) throws -> RGBImage {
        if bytes.isEmpty { throw ImageError(path: source, reason: .empty) }
        switch ImageFileFormat(magic: bytes) {
        case .png:
            return try CodecDecoding.decode(bytes, format: .png, source: source, maxPixels: maxPixels)
        case .jpeg:
            let stored = try CodecDecoding.decode(bytes, format: .jpeg, source: source, maxPixels: maxPixels)
            return ExifOrientation.read(jpeg: bytes).applied(to: stored)
        case nil:
            throw ImageError(path: source, reason: .notPNGOrJPEG)
        }
    }
}

/// The file formats we read, told apart by their signatures.
enum ImageFileFormat: String {
    case png = "PNG"
    case jpeg = "JPEG"

    init?(magic bytes: [UInt8]) {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            return nil
        }
    }
}
