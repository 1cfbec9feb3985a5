import Foundation
import Segmentation
import XCTest

final class ExporterTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private func sampleExporter(objectCount: Int = 3, width: Int = 48, height: Int = 32) -> Exporter {
        var generator = SplitMix64(seed: 99)
        let image = Support.gradientImage(width: width, height: height)
        let objects = (0..<objectCount).map { index in
            ExportObject(id: index + 1, name: index == 0 ? "Red car!" : nil, color: ObjectPalette.color(at: index),
                         mask: Support.blobMask(width: width, height: height, shapes: 2, generator: &generator), score: 0.9)
        }
        return Exporter(image: image, imagePath: "/photos/street.jpg", objects: objects, model: "sam2.1_hiera_t")
    }

    func testFileNames() {
        let exporter = sampleExporter()
        let names = exporter.plannedFiles(formats: ExportFormat.allCases, folder: "/out").map(\.path)
        XCTAssertEqual(names, [
            "/out/street_mask_01_red-car.png", "/out/street_mask_02.png", "/out/street_mask_03.png",
            "/out/street_labels.png",
            "/out/street_cutout_01_red-car.png", "/out/street_cutout_02.png", "/out/street_cutout_03.png",
            "/out/street_coco.json", "/out/street_overlay.png", "/out/street_polygons.json",
        ])
        XCTAssertEqual(exporter.imageFolder, "/photos")
    }

    func testFormatListParsing() throws {
        XCTAssertEqual(try ExportFormat.parseList("png, COCO,png"), [.png, .coco])
        XCTAssertThrowsError(try ExportFormat.parseList("png,jpeg")) { error in
            XCTAssertTrue("\(error)".contains("\"jpeg\""), "\(error)")
        }
        XCTAssertThrowsError(try ExportFormat.parseList(""))
    }

    func testMasksCutoutsAndOverlayHaveTheRightPixels() throws {
        let folder = try Support.makeScratchFolder(self)
        let exporter = sampleExporter()
        let written = try exporter.write(formats: [.png, .cutout, .overlay], to: folder)
        XCTAssertEqual(written.count, 7)

        for (index, object) in exporter.objects.enumerated() {
            let png = try RGBImage.load(path: written[index])
            XCTAssertEqual(png.width, 48)
            XCTAssertEqual(png.height, 32)
            let expected = object.mask.grayBytes.flatMap { [$0, $0, $0] }
            XCTAssertEqual(png.pixels, expected, "mask \(index + 1)")
        }

        // Cut-outs: the object's box, the image's pixels where the mask is set. RGBImage drops
        // alpha, so check alpha from the raw decode in COCOExportTests and colours here.
        let box = try XCTUnwrap(exporter.objects[1].mask.boundingBox)
        let cutout = try RGBImage.load(path: written[4])
        XCTAssertEqual(cutout.width, box.width)
        XCTAssertEqual(cutout.height, box.height)
        for row in 0..<box.height {
            for column in 0..<box.width {
                let x = box.x + column, y = box.y + row
                let source = (y * 48 + x) * 3, target = (row * box.width + column) * 3
                let expected = exporter.objects[1].mask[x, y] ? Array(exporter.image.pixels[source..<source + 3]) : [0, 0, 0]
                XCTAssertEqual(Array(cutout.pixels[target..<target + 3]), expected, "cut-out pixel \(column),\(row)")
            }
        }

        // Overlay: each mask's colour blended at 0.6 in order, later masks on top.
        let overlay = try RGBImage.load(path: written[6])
        var expected = exporter.image.pixels.map(Double.init)
        for object in exporter.objects {
            let tint = [object.color.red, object.color.green, object.color.blue].map(Double.init)
            for pixel in 0..<48 * 32 where object.mask.bytes[pixel] != 0 {
                for channel in 0..<3 {
                    expected[pixel * 3 + channel] = (expected[pixel * 3 + channel] * 0.4 + tint[channel] * 0.6).rounded()
                }
            }
        }
        XCTAssertEqual(overlay.pixels, expected.map { UInt8($0) })
        XCTAssertNotEqual(overlay.pixels, exporter.image.pixels)
    }

    func testLabelMapIsEightBitUpTo255ObjectsAndSixteenBitBeyond() {
        let width = 20, height = 15
        func masks(_ count: Int) -> [BinaryMask] {
            (0..<count).map { index in
                var mask = BinaryMask(width: width, height: height)
                mask[index % width, (index / width) % height] = true
                return mask
            }
        }
        guard case .eightBit(let small) = MaskRendering.labelMap(masks(255), width: width, height: height) else {
            return XCTFail("255 objects fit in 8 bits")
        }
        XCTAssertEqual(small[0], 1)
        XCTAssertEqual(small[254], 255)
        XCTAssertEqual(small[255], 0)
        guard case .sixteenBit(let large) = MaskRendering.labelMap(masks(256), width: width, height: height) else {
            return XCTFail("256 objects need 16 bits")
        }
        XCTAssertEqual(large[255], 256)

        // Overlaps: the first object wins (as with noOverlaps, so the map is the same either way).
        var first = BinaryMask(width: 3, height: 1), second = BinaryMask(width: 3, height: 1)
        first[0, 0] = true; first[1, 0] = true; second[1, 0] = true; second[2, 0] = true
        XCTAssertEqual(MaskRendering.labelMap([first, second], width: 3, height: 1), .eightBit([1, 1, 2]))
        XCTAssertEqual(MaskRendering.labelMap(MaskSculpting.exclusive([first, second]), width: 3, height: 1), .eightBit([1, 1, 2]))
    }

    func testExistingFileIsNotOverwrittenWithoutForce() throws {
        let folder = try Support.makeScratchFolder(self)
        let exporter = sampleExporter()
        let existing = folder + "/street_coco.json"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: existing))

        XCTAssertThrowsError(try exporter.write(formats: [.png, .coco], to: folder)) { error in
            guard case ExportError.filesExist(let paths) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(paths, [existing])
            XCTAssertTrue("\(error)".contains(existing) && "\(error)".contains("--force"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "precious")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(left, ["street_coco.json"], "nothing else is written when any target exists")

        try exporter.write(formats: [.png, .coco], to: folder, force: true)
        XCTAssertNotEqual(try String(contentsOfFile: existing, encoding: .utf8), "precious")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).count, 4)
    }

    /// Tests run as root, for whom permission bits mean nothing: a folder inside a regular
    /// file cannot be created by anyone.
    func testUnusableOutputFolderIsReportedByName() throws {
        let folder = try Support.makeScratchFolder(self)
        let file = folder + "/notes.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let exporter = sampleExporter()

        XCTAssertThrowsError(try exporter.write(formats: [.png], to: file + "/exports")) { error in
            guard case ExportError.folder(let cause) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(cause.path, file)
            XCTAssertEqual(cause.reason, .notAFolder)
            XCTAssertTrue("\(error)".hasPrefix(file + ": "), "\(error)")
        }
        XCTAssertThrowsError(try exporter.write(formats: [.png], to: file)) { error in
            guard case ExportError.folder(let cause) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(cause.reason, .notAFolder)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
    }

    func testMissingOutputFolderIsCreated() throws {
        let folder = try Support.makeScratchFolder(self) + "/a/b"
        let written = try sampleExporter().write(formats: [.labelmap], to: folder)
        XCTAssertEqual(written, [folder + "/street_labels.png"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: written[0]))
    }

    func testEmptyMaskGetsAMaskFileButNoCutout() throws {
        var exporter = sampleExporter(objectCount: 2)
        exporter.objects[1].mask = BinaryMask(width: 48, height: 32)
        let planned = exporter.plannedFiles(formats: [.png, .cutout], folder: "/out").map(\.path)
        XCTAssertEqual(planned, ["/out/street_mask_01_red-car.png", "/out/street_mask_02.png", "/out/street_cutout_01_red-car.png"])
    }
}
