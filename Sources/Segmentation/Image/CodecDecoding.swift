import CImageCodecs

/// Runs the C decoders: size first, the pixel limit, then decoding into a buffer of exactly the
/// announced size.
enum CodecDecoding {
    static func decode(_ bytes: [UInt8], format: ImageFileFormat, source: String, maxPixels: Int) throws -> RGBImage {
        let readSize = format == .png ? image_codec_png_read_size : image_codec_jpeg_read_size
        let decodeRGB8 = format == .png ? image_codec_png_decode_rgb8 : image_codec_jpeg_decode_rgb8

        var result = image_codec_result()
        bytes.withUnsafeBufferPointer { readSize($0.baseAddress, $0.count, &result) }
        try check(result, format: format, source: source)
        let (width, height) = (Int(result.width), Int(result.height))
        guard width > 0, height > 0 else {
            throw ImageError(path: source, reason: .corrupt(format: format.rawValue, detail: "the image has no pixels"))
        }
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixelCount <= maxPixels else {
            throw ImageError(path: source, reason: .tooLarge(width: width, height: height, maxPixels: maxPixels))
        }

        let byteCount = width * height * 3
        var decoded = image_codec_result()
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            bytes.withUnsafeBufferPointer { input in
                decodeRGB8(input.baseAddress, input.count, buffer.baseAddress, byteCount, &decoded)
            }
            // On failure the contents are thrown away below; zero them so nothing is uninitialised.
            if decoded.status != IMAGE_CODEC_OK { buffer.initialize(repeating: 0) }
            initialized = byteCount
        }
        try check(decoded, format: format, source: source)
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func check(_ result: image_codec_result, format: ImageFileFormat, source: String) throws {
        let reason: ImageError.Reason
        switch result.status {
        case IMAGE_CODEC_OK: return
        case IMAGE_CODEC_TRUNCATED: reason = .truncated(format: format.rawValue)
        case IMAGE_CODEC_NO_MEMORY: reason = .outOfMemory
        default: reason = .corrupt(format: format.rawValue, detail: message(of: result))
        }
        throw ImageError(path: source, reason: reason)
    }

    static func message(of result: image_codec_result) -> String {
        withUnsafeBytes(of: result.message) { raw in
            let text = raw.prefix { $0 != 0 }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
