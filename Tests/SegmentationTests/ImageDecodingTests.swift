import Foundation
import XCTest

@testable import Segmentation

final class ImageDecodingTests: XCTestCase {
    // MARK: Every fixture

    func testEveryDecodableFixtureGivesItsExpectedPixels() throws {
        let entries = try ImageFixtures.manifest().filter { $0.expected != nil }
        XCTAssertGreaterThanOrEqual(entries.count, 30, "the manifest lost fixtures")
        for entry in entries {
            let image = try RGBImage.load(path: ImageFixtures.path(entry.file))
            XCTAssertEqual(image.width, entry.width, entry.file)
            XCTAssertEqual(image.height, entry.height, entry.file)
            let expected = try ImageFixtures.bytes(entry.expected!)
            guard image.pixels.count == expected.count else {
                XCTFail("\(entry.file): \(image.pixels.count) bytes, expected \(expected.count)")
                continue
            }
            if entry.comparison == "exact" {
                XCTAssertTrue(image.pixels == expected, "\(entry.file): pixels differ from the expected ones")
            } else {
                XCTAssertEqual(entry.comparison, "jpeg", entry.file)
                let difference = ImageFixtures.jpegDifference(image.pixels, expected)
                XCTAssertLessThanOrEqual(difference.max, 3, "\(entry.file): largest difference")
                XCTAssertLessThanOrEqual(difference.mean, 1, "\(entry.file): mean difference")
            }
        }
    }

    func testEveryBrokenFixtureFailsWithAMessageNamingTheFile() throws {
        let entries = try ImageFixtures.manifest().filter { $0.error != nil }
        XCTAssertGreaterThanOrEqual(entries.count, 6, "the manifest lost broken fixtures")
        for entry in entries {
            let path = ImageFixtures.path(entry.file)
            XCTAssertThrowsError(try RGBImage.load(path: path), entry.file) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.hasPrefix(path + ": "), "\(entry.file): \(message)")
                XCTAssertTrue(message.contains(entry.error!), "\(entry.file): \(message)")
            }
        }
    }

    // MARK: Orientation

    func testAllEightOrientationsComeOutAsTheSameUprightPicture() throws {
        let upright = try RGBImage.load(path: ImageFixtures.path("jpeg_exif_orientation_1.jpg"))
        XCTAssertEqual([upright.width, upright.height], [29, 17])
        for orientation in 2...8 {
            let name = "jpeg_exif_orientation_\(orientation).jpg"
            let image = try RGBImage.load(path: ImageFixtures.path(name))
            XCTAssertEqual([image.width, image.height], [29, 17], name)
            guard image.pixels.count == upright.pixels.count else { continue }
            // Re-encoding a turned picture changes JPEG rounding a little; a wrong turn changes a lot.
            let difference = ImageFixtures.jpegDifference(image.pixels, upright.pixels)
            XCTAssertLessThan(difference.mean, 4, name)
        }
    }

    func testOrientationTransformsMapCornersLikeTheExifSpecification() {
        // Stored 2x3 picture with distinct pixels: value = index.
        let stored = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
        func reds(_ orientation: ExifOrientation) -> [UInt8] {
            let turned = orientation.applied(to: stored)
            return stride(from: 0, to: turned.pixels.count, by: 3).map { turned.pixels[$0] }
        }
        // Stored rows: [0 1 2] / [3 4 5].
        XCTAssertEqual(reds(.upright), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(reds(.mirroredHorizontally), [2, 1, 0, 5, 4, 3])
        XCTAssertEqual(reds(.rotated180), [5, 4, 3, 2, 1, 0])
        XCTAssertEqual(reds(.mirroredVertically), [3, 4, 5, 0, 1, 2])
        XCTAssertEqual(reds(.transposed), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(reds(.rotated90Clockwise), [3, 0, 4, 1, 5, 2])
        XCTAssertEqual(reds(.transverse), [5, 2, 4, 1, 3, 0])
        XCTAssertEqual(reds(.rotated90CounterClockwise), [2, 5, 1, 4, 0, 3])
        XCTAssertEqual(ExifOrientation.rotated90Clockwise.applied(to: stored).width, 2)
    }

    func testExifParserReadsBothByteOrdersAndIgnoresBrokenBlocks() {
        func tiff(bigEndian: Bool, entries: [(tag: UInt16, type: UInt16, count: UInt32, value: UInt32)],
                  ifdOffset: UInt32 = 8) -> [UInt8] {
            func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
            func u32(_ v: UInt32) -> [UInt8] {
                let high = u16(UInt16(v >> 16)), low = u16(UInt16(v & 0xFFFF))
                return bigEndian ? high + low : low + high
            }
            var block: [UInt8] = (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(ifdOffset)
            block += u16(UInt16(entries.count))
            for entry in entries {
                // A SHORT value sits in the first two bytes of the value field.
                let value = entry.type == 3 ? u16(UInt16(entry.value)) + [0, 0] : u32(entry.value)
                block += u16(entry.tag) + u16(entry.type) + u32(entry.count) + value
            }
            return block + u32(0)
        }
        func read(_ block: [UInt8]) -> ExifOrientation? { ExifOrientation.orientation(inTIFF: block[...]) }

        for bigEndian in [true, false] {
            for value in 1...8 {
                let block = tiff(bigEndian: bigEndian, entries: [(0x010F, 2, 4, 0), (0x0112, 3, 1, UInt32(value))])
                XCTAssertEqual(read(block)?.rawValue, value, "bigEndian \(bigEndian), orientation \(value)")
            }
            XCTAssertEqual(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 4, 1, 6)])), .rotated90Clockwise)
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 3, 1, 9)])), "out of range value")
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 3, 1, 0)])), "zero value")
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 2, 1, 6)])), "ASCII type")
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 3, 0, 6)])), "zero count")
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0110, 3, 1, 6)])), "no orientation tag")
            XCTAssertNil(read(tiff(bigEndian: bigEndian, entries: [(0x0112, 3, 1, 6)], ifdOffset: 0xFFFF_FFF0)),
                         "IFD offset past the end")
            let whole = tiff(bigEndian: bigEndian, entries: [(0x010F, 2, 4, 0), (0x0112, 3, 1, 6)])
            for length in 0..<whole.count - 6 {  // the orientation value ends 6 bytes before the end
                XCTAssertNil(read(Array(whole.prefix(length))), "cut at \(length)")
            }
        }
        XCTAssertNil(read([0x49, 0x4D, 42, 0, 8, 0, 0, 0, 0, 0]), "mixed byte order mark")
        // An IFD that claims 65535 entries but holds one: reading stops at the end of the block.
        var claimsTooMany = tiff(bigEndian: false, entries: [(0x0100, 3, 1, 1)])
        claimsTooMany[8] = 0xFF
        claimsTooMany[9] = 0xFF
        XCTAssertNil(read(claimsTooMany))
    }

    func testExifSegmentIsFoundAfterOtherSegmentsAndNotInsideImageData() throws {
        let jpeg = try ImageFixtures.bytes("jpeg_exif_orientation_6.jpg")
        XCTAssertEqual(ExifOrientation.read(jpeg: jpeg), .rotated90Clockwise)
        XCTAssertEqual(ExifOrientation.read(jpeg: try ImageFixtures.bytes("jpeg_baseline.jpg")), .upright)
        // A segment length running past the end of the file: no orientation, no crash.
        XCTAssertEqual(ExifOrientation.read(jpeg: [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0x45, 0x78]), .upright)
        XCTAssertEqual(ExifOrientation.read(jpeg: [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01]), .upright)
        XCTAssertEqual(ExifOrientation.read(jpeg: [0xFF, 0xD8]), .upright)
    }

    // MARK: Format detection and the pixel limit

    func testFormatIsRecognisedByContentNotByName() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let pngNamedJPEG = folder.appendingPathComponent("really-a-png.jpg")
        let jpegNamedPNG = folder.appendingPathComponent("really-a-jpeg.png")
        try FileManager.default.copyItem(atPath: ImageFixtures.path("png_rgb8.png"), toPath: pngNamedJPEG.path)
        try FileManager.default.copyItem(atPath: ImageFixtures.path("jpeg_gray.jpg"), toPath: jpegNamedPNG.path)
        XCTAssertEqual(try RGBImage.load(path: pngNamedJPEG.path),
                       try RGBImage.load(path: ImageFixtures.path("png_rgb8.png")))
        XCTAssertEqual(try RGBImage.load(path: jpegNamedPNG.path),
                       try RGBImage.load(path: ImageFixtures.path("jpeg_gray.jpg")))

        let jpegNamedText = folder.appendingPathComponent("notes.txt")
        try FileManager.default.copyItem(atPath: ImageFixtures.path("jpeg_baseline.jpg"), toPath: jpegNamedText.path)
        XCTAssertNoThrow(try RGBImage.load(path: jpegNamedText.path))
    }

    func testPixelLimitIsAppliedToPNGAndJPEG() throws {
        for name in ["png_rgb8.png", "jpeg_baseline.jpg"] {
            let image = try RGBImage.load(path: ImageFixtures.path(name))
            let pixels = image.width * image.height
            XCTAssertNoThrow(try RGBImage.load(path: ImageFixtures.path(name), maxPixels: pixels))
            XCTAssertThrowsError(try RGBImage.load(path: ImageFixtures.path(name), maxPixels: pixels - 1)) { error in
                XCTAssertEqual((error as? ImageError)?.reason,
                               .tooLarge(width: image.width, height: image.height, maxPixels: pixels - 1), name)
            }
        }
    }

    func testVeryWidePNGMeetsThePixelLimitNotLibpngsSideLimit() throws {
        func chunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(kind.utf8) + data
            let crc = ImageMutation.crc32(body[...])
            let length = UInt32(data.count)
            return (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) } + body
                + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) }
        }
        // 3,000,000 x 1 pixels: over libpng's default cap of a million pixels a side.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", [0x00, 0x2D, 0xC6, 0xC0, 0, 0, 0, 1, 8, 2, 0, 0, 0])
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00]) + chunk("IEND", [])
        XCTAssertThrowsError(try RGBImage.decode(png, source: "wide.png", maxPixels: 1_000_000)) { error in
            XCTAssertEqual((error as? ImageError)?.reason, .tooLarge(width: 3_000_000, height: 1, maxPixels: 1_000_000))
        }
        // Under the default limit it gets as far as the (missing) pixel data.
        XCTAssertThrowsError(try RGBImage.decode(png, source: "wide.png")) { error in
            guard case .corrupt(format: "PNG", _)? = (error as? ImageError)?.reason else {
                return XCTFail("\(error)")
            }
        }
    }

    func testTooLargeMessagesReadInMegapixels() {
        let big = ImageError(path: "big.png", reason: .tooLarge(width: 12000, height: 12000, maxPixels: 100_000_000))
        XCTAssertEqual(big.description, "big.png: image is 12000x12000 = 144 megapixels, over the limit of 100")
        let barely = ImageError(path: "b.jpg", reason: .tooLarge(width: 10001, height: 10000, maxPixels: 100_000_000))
        XCTAssertEqual(barely.description, "b.jpg: image is 10001x10000 = 100.01 megapixels, over the limit of 100.00")
        let tiny = ImageError(path: "t.png", reason: .tooLarge(width: 13, height: 7, maxPixels: 90))
        XCTAssertEqual(tiny.description, "t.png: image is 13x7 = 0.000091 megapixels, over the limit of 0.000090")
    }

    // MARK: Files that are not images

    func testMissingFileEmptyFileAndFolderAreReportedByName() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let missing = folder.appendingPathComponent("missing.png").path
        XCTAssertThrowsError(try RGBImage.load(path: missing)) { error in
            XCTAssertEqual(String(describing: error), "\(missing): cannot read the file: No such file or directory")
        }
        let empty = folder.appendingPathComponent("empty.jpg").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try RGBImage.load(path: empty)) { error in
            XCTAssertEqual(String(describing: error), "\(empty): the file is empty, not a PNG or JPEG file")
        }
        XCTAssertThrowsError(try RGBImage.load(path: folder.path)) { error in
            XCTAssertEqual(String(describing: error), "\(folder.path): cannot read the file: it is a folder")
        }
        // Endless non-image input is refused after its first bytes, not read to the end.
        XCTAssertThrowsError(try RGBImage.load(path: "/dev/zero")) { error in
            XCTAssertEqual(String(describing: error), "/dev/zero: not a PNG or JPEG file")
        }
        // The first bytes of a PNG signature are not enough.
        XCTAssertThrowsError(try RGBImage.decode([0x89, 0x50, 0x4E, 0x47], source: "short.png")) { error in
            XCTAssertEqual(String(describing: error), "short.png: not a PNG or JPEG file")
        }
    }

    func testJPEGWithoutItsEndMarkerStillDecodes() throws {
        let whole = try ImageFixtures.bytes("jpeg_baseline.jpg")
        XCTAssertEqual(Array(whole.suffix(2)), [0xFF, 0xD9])
        XCTAssertEqual(try RGBImage.decode(Array(whole.dropLast(2)), source: "no-eoi.jpg"),
                       try RGBImage.decode(whole, source: "whole.jpg"))
    }

    func testEveryTruncationFailsUnlessOnlyTheEndMarkerIsMissing() throws {
        // How many bytes may go from the end without losing pixels: the EOI marker of a
        // single-scan JPEG, the IEND chunk of a PNG. A progressive JPEG may have lost whole scans.
        let cases = [("jpeg_baseline.jpg", 2), ("jpeg_progressive.jpg", 0),
                     ("png_rgb8_interlaced.png", 12), ("png_palette4_trns.png", 12)]
        for (name, optionalTail) in cases {
            let whole = try ImageFixtures.bytes(name)
            let complete = try RGBImage.decode(whole, source: name)
            var decodedLengths: [Int] = []
            for length in 0..<whole.count {
                let source = "\(name)[..<\(length)]"
                do {
                    let image = try RGBImage.decode(Array(whole.prefix(length)), source: source)
                    XCTAssertEqual(image, complete, source)
                    decodedLengths.append(length)
                } catch let error as ImageError {
                    XCTAssertEqual(error.path, source)
                    if length > 8 {
                        XCTAssertEqual(error.reason, .truncated(format: name.hasSuffix(".png") ? "PNG" : "JPEG"), source)
                    }
                }
            }
            XCTAssertEqual(decodedLengths, Array((whole.count - optionalTail)..<whole.count), name)
        }
    }

    // MARK: Hostile bytes

    /// Thousands of damaged variants of the fixtures: each must decode or fail with an ImageError,
    /// never crash, hang or return an image whose size and pixels disagree.
    func testMutatedFilesNeverCrashTheDecoders() throws {
        let originals = try ImageFixtures.manifest().filter { $0.expected != nil }.map { try ImageFixtures.bytes($0.file) }
        var generator = SplitMix64(seed: 0x5EED_1A6E)
        var decoded = 0
        var rejected = 0
        for round in 0..<3000 {
            var bytes = originals[round % originals.count]
            let isPNG = bytes.first == 0x89
            ImageMutation.apply(to: &bytes, using: &generator)
            // Most damage to a PNG is caught by its checksums; repair them often so the damage
            // reaches the chunk parser and the decompressor.
            if isPNG && round % 2 == 0 { ImageMutation.repairPNGChecksums(&bytes) }
            let source = "mutant-\(round)"
            do {
                let image = try RGBImage.decode(bytes, source: source, maxPixels: 4_000_000)
                XCTAssertEqual(image.pixels.count, image.width * image.height * 3, source)
                decoded += 1
            } catch let error as ImageError {
                XCTAssertEqual(error.path, source)
                XCTAssertFalse(error.reasonText.isEmpty)
                rejected += 1
            }
        }
        // Both outcomes must be common, or the mutations are too mild or too wild to test much.
        XCTAssertGreaterThan(decoded, 300)
        XCTAssertGreaterThan(rejected, 300)
    }
}

/// Ways of damaging a file, chosen at random.
enum ImageMutation {
    static func apply(to bytes: inout [UInt8], using generator: inout SplitMix64) {
        let steps = Int.random(in: 1...3, using: &generator)
        for _ in 0..<steps where !bytes.isEmpty {
            // Headers are where sizes and tables live: aim at the first 200 bytes half the time.
            let reach = Bool.random(using: &generator) ? min(bytes.count, 200) : bytes.count
            let at = Int.random(in: 0..<reach, using: &generator)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0:
                bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                for offset in at..<min(bytes.count, at + Int.random(in: 1...8, using: &generator)) {
                    bytes[offset] = UInt8.random(in: 0...255, using: &generator)
                }
            case 2:
                bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE].randomElement(using: &generator)!
            case 3:
                bytes.removeSubrange(at...)
            case 4:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...32, using: &generator)))
            case 5:
                let piece = bytes[at..<min(bytes.count, at + Int.random(in: 1...32, using: &generator))]
                bytes.insert(contentsOf: Array(piece), at: Int.random(in: 0...bytes.count, using: &generator))
            default:
                // Large numbers in 16-bit big-endian fields: sizes, lengths, counts.
                if at + 1 < bytes.count {
                    bytes[at] = UInt8.random(in: 0x80...0xFF, using: &generator)
                    bytes[at + 1] = UInt8.random(in: 0...255, using: &generator)
                }
            }
        }
    }

    /// Recomputes the CRC of every complete chunk after the signature.
    static func repairPNGChecksums(_ bytes: inout [UInt8]) {
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - offset - 12 else { return }
            let crc = crc32(bytes[(offset + 4)..<(offset + 8 + length)])
            for index in 0..<4 { bytes[offset + 8 + length + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * index)) }
            offset += 12 + length
        }
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
