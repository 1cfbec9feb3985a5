import Foundation
import XCTest

@testable import Segmentation

final class PNGWriterTests: XCTestCase {
    private var generator = SplitMix64(seed: 0xB16_B00B5)

    private func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Bit depth and colour type from the IHDR chunk, which always comes first.
    private func header(of png: [UInt8]) -> (width: Int, height: Int, bitDepth: UInt8, colorType: UInt8) {
        func u32(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(Array(png[12..<16]), Array("IHDR".utf8))
        return (u32(16), u32(20), png[24], png[25])
    }

    // MARK: Round trips through our own decoder

    func testRGBRoundTripIsExact() throws {
        let pixels = randomBytes(17 * 9 * 3)
        let png = try PNGWriter(rgb: pixels, width: 17, height: 9).encodePNG()
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertTrue(header(of: png) == (17, 9, 8, 2))
        XCTAssertEqual(try RGBImage.decode(png, source: "rgb.png"), RGBImage(width: 17, height: 9, pixels: pixels))
    }

    func testRGBAKeepsAlphaInTheFileAndTheDecoderDropsIt() throws {
        let pixels = randomBytes(5 * 11 * 4)
        let png = try PNGWriter(rgba: pixels, width: 5, height: 11).encodePNG()
        XCTAssertTrue(header(of: png) == (5, 11, 8, 6))
        let colours = stride(from: 0, to: pixels.count, by: 4).flatMap { pixels[$0..<$0 + 3] }
        XCTAssertEqual(try RGBImage.decode(png, source: "rgba.png").pixels, colours)
    }

    func testGray8RoundTripIsExact() throws {
        let samples = randomBytes(31 * 3)
        let png = try PNGWriter(gray8: samples, width: 31, height: 3).encodePNG()
        XCTAssertTrue(header(of: png) == (31, 3, 8, 0))
        XCTAssertEqual(try RGBImage.decode(png, source: "gray.png").pixels, samples.flatMap { [$0, $0, $0] })
    }

    /// All 65536 values, so a byte-order or dropped-byte error shows up as a wrong rounding of
    /// some value (v = 257k + 128 rounds down to k, v = 257k + 129 up to k + 1).
    func testGray16StoresAllSixteenBits() throws {
        let samples = (0...65535).map { UInt16($0) }
        let png = try PNGWriter(gray16: samples, width: 256, height: 256).encodePNG()
        XCTAssertTrue(header(of: png) == (256, 256, 16, 0))
        let decoded = try RGBImage.decode(png, source: "gray16.png")
        let expected = samples.flatMap { value -> [UInt8] in
            let eight = UInt8((2 * Int(value) + 257) / 514)  // round(v * 255 / 65535)
            return [eight, eight, eight]
        }
        XCTAssertTrue(decoded.pixels == expected, "16-bit samples did not survive the round trip")
    }

    func testFixturesSurviveDecodeEncodeDecode() throws {
        for entry in try ImageFixtures.manifest() where entry.expected != nil {
            let image = try RGBImage.load(path: ImageFixtures.path(entry.file))
            let again = try RGBImage.decode(try PNGWriter(image: image).encodePNG(), source: entry.file)
            XCTAssertEqual(again, image, entry.file)
        }
    }

    func testEncodingIsDeterministic() throws {
        let pixels = randomBytes(8 * 8 * 3)
        XCTAssertEqual(try PNGWriter(rgb: pixels, width: 8, height: 8).encodePNG(),
                       try PNGWriter(rgb: pixels, width: 8, height: 8).encodePNG())
    }

    // MARK: Files

    func testWriteCreatesAndReplacesFilesLeavingNothingBehind() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let path = folder.appendingPathComponent("mask.png").path
        let first = RGBImage(width: 40, height: 30, pixels: randomBytes(40 * 30 * 3))
        try PNGWriter(image: first).write(to: path)
        XCTAssertEqual(try RGBImage.load(path: path), first)

        let second = RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        try PNGWriter(image: second).write(to: path)
        XCTAssertEqual(try RGBImage.load(path: path), second)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["mask.png"])

        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(permissions, 0o644)
    }

    func testWriteToARelativePathUsesTheCurrentFolder() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        try PNGWriter(gray8: [0, 255], width: 2, height: 1).write(to: "relative.png")
        XCTAssertEqual(try RGBImage.load(path: folder.appendingPathComponent("relative.png").path).pixels,
                       [0, 0, 0, 255, 255, 255])
    }

    func testWriteIntoAMissingFolderNamesThePathAndTheReason() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let path = folder.appendingPathComponent("no-such-folder/mask.png").path
        XCTAssertThrowsError(try PNGWriter(gray8: [7], width: 1, height: 1).write(to: path)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix(path + ": cannot write the file: "), message)
            XCTAssertTrue(message.contains("the folder does not exist"), message)
        }
    }

    func testWriteBelowARegularFileNamesThePathAndTheReason() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let file = folder.appendingPathComponent("plain-file")
        XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8)))
        let path = file.appendingPathComponent("mask.png").path
        XCTAssertThrowsError(try PNGWriter(gray8: [7], width: 1, height: 1).write(to: path)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix(path + ": "), message)
            XCTAssertTrue(message.contains("part of the path is a file, not a folder"), message)
        }
    }

    func testWriteOverAFolderFailsAndCleansUp() throws {
        let folder = try ImageFixtures.temporaryFolder(for: self)
        let target = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        XCTAssertThrowsError(try PNGWriter(gray8: [7], width: 1, height: 1).write(to: target.path)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix(target.path + ": cannot write the file: "), message)
            XCTAssertTrue(message.contains("it is a folder, not a file"), message)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["taken"],
                       "the temporary file was left behind")
        XCTAssertThrowsError(try PNGWriter(gray8: [7], width: 1, height: 1).write(to: target.path + "/")) { error in
            XCTAssertTrue(String(describing: error).contains("the path names a folder"), "\(error)")
        }
    }
}
