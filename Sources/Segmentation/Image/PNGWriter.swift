import CImageCodecs

/// PNG encoding of 8-bit gray, 16-bit gray, RGB, RGBA and palette pixels, in memory or to a file.
/// Sample counts must match the size: a mismatch is a programming error and traps.
public struct PNGWriter: Sendable {
    public enum Format: Sendable, Equatable {
        case gray8, gray16, rgb8, rgba8, indexed8

        var channels: Int {
            switch self {
            case .gray8, .gray16, .indexed8: return 1
            case .rgb8: return 3
            case .rgba8: return 4
            }
        }
    }

    private enum Samples: Sendable {
        case bytes([UInt8])
        case words([UInt16])
    }

    public let width: Int
    public let height: Int
    public let format: Format
    private let samples: Samples
    /// RGB triples and the alpha of the first entries (tRNS), for `indexed8`.
    private var palette: [UInt8] = []
    private var paletteAlpha: [UInt8] = []
    /// zlib's level, 0 (none) to 9; nil keeps libpng's default (6). Pictures sent to a terminal
    /// trade a little size for speed.
    public var compressionLevel: Int?

    private init(width: Int, height: Int, format: Format, samples: Samples, count: Int) {
        precondition(width > 0 && height > 0, "a PNG needs at least one pixel")
        precondition(width <= Int(Int32.max) && height <= Int(Int32.max), "PNG sides are at most 2^31 - 1")
        precondition(count == width * height * format.channels, "\(format) needs width * height * \(format.channels) samples")
        self.width = width
        self.height = height
        self.format = format
        self.samples = samples
    }

    public init(gray8 samples: [UInt8], width: Int, height: Int) {
        self.init(width: width, height: height, format: .gray8, samples: .bytes(samples), count: samples.count)
    }

    public init(gray16 samples: [UInt16], width: Int, height: Int) {
        self.init(width: width, height: height, format: .gray16, samples: .words(samples), count: samples.count)
    }

    public init(rgb samples: [UInt8], width: Int, height: Int) {
        self.init(width: width, height: height, format: .rgb8, samples: .bytes(samples), count: samples.count)
    }

    public init(rgba samples: [UInt8], width: Int, height: Int) {
        self.init(width: width, height: height, format: .rgba8, samples: .bytes(samples), count: samples.count)
    }

    /// One palette index per pixel; `colors` are (red, green, blue, alpha), at most 256.
    public init(indices: [UInt8], palette colors: [(UInt8, UInt8, UInt8, UInt8)], width: Int, height: Int) {
        precondition((1...256).contains(colors.count), "a PNG palette has 1 to 256 entries")
        self.init(width: width, height: height, format: .indexed8, samples: .bytes(indices), count: indices.count)
        palette = colors.flatMap { [$0.0, $0.1, $0.2] }
        // tRNS lists alpha up to the last entry that is not opaque.
        let translucent = (colors.lastIndex { $0.3 != 255 } ?? -1) + 1
        paletteAlpha = colors.prefix(translucent).map(\.3)
    }

    public init(image: RGBImage) {
        self.init(rgb: image.pixels, width: image.width, height: image.height)
    }

    /// The complete PNG file.
    public func encodePNG() throws -> [UInt8] {
        try encode(naming: "PNG in memory")
    }

    /// Writes the PNG atomically: other readers see either the old file or the whole new one.
    public func write(to path: String) throws {
        try ImageFileIO.writeAtomically(try encode(naming: path), to: path)
    }

    private func encode(naming target: String) throws -> [UInt8] {
        var result = image_codec_result()
        var png: UnsafeMutablePointer<UInt8>?
        var size = 0
        let bitDepth: Int32 = format == .gray16 ? 16 : 8
        palette.withUnsafeBufferPointer { palette in
            paletteAlpha.withUnsafeBufferPointer { alpha in
                var options = image_codec_png_encode_options(
                    palette: format == .indexed8 ? palette.baseAddress : nil, palette_count: Int32(palette.count / 3),
                    alpha: alpha.baseAddress, alpha_count: Int32(alpha.count), level: Int32(compressionLevel.map { min(max($0, 0), 9) } ?? -1))
                switch samples {
                case .bytes(let bytes):
                    bytes.withUnsafeBytes {
                        image_codec_png_encode_with($0.baseAddress, UInt32(width), UInt32(height), Int32(format.channels),
                                                    bitDepth, &options, &png, &size, &result)
                    }
                case .words(let words):
                    words.withUnsafeBytes {
                        image_codec_png_encode_with($0.baseAddress, UInt32(width), UInt32(height), Int32(format.channels),
                                                    bitDepth, &options, &png, &size, &result)
                    }
                }
            }
        }
        guard result.status == IMAGE_CODEC_OK, let png else {
            let why = result.status == IMAGE_CODEC_NO_MEMORY ? "out of memory" : CodecDecoding.message(of: result)
            throw ImageError(path: target, reason: .unwritable("PNG encoding failed: \(why)"))
        }
        defer { image_codec_free(png) }
        return Array(UnsafeBufferPointer(start: png, count: size))
    }
}
