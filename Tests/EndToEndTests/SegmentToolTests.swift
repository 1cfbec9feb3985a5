// `samterm segment` on one image as the seed tutorial's flow runs it from the shell: three
// candidates with scores, the files, refinement with the previous logits, the overlay picture,
// and bad input refused with exit status 2 before anything is written.
import Foundation
import Segmentation
import XCTest

final class SegmentToolTests: XCTestCase {
    private var folder: URL!
    private static let fixtures = EditorEndToEndTests.fixtures
    private static let image = fixtures.appendingPathComponent("image_wide.png").path  // 64 x 48
    private static let checkpoint = fixtures.appendingPathComponent("tiny_sam2.1.pt").path

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-segment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func segment(_ arguments: [String]) throws -> SamtermRun {
        try SamtermRun.run(["segment", Self.image, "--checkpoint", Self.checkpoint, "--device", "cpu"] + arguments)
    }

    /// The written masks as `samterm segment` read them back.
    private func masks(in folder: String) throws -> [BinaryMask] {
        try (0..<3).map { index in
            let png = try RGBImage.load(path: "\(folder)/mask-\(index).png")
            return BinaryMask(width: png.width, height: png.height, bytes: stride(from: 0, to: png.pixels.count, by: 3).map { png.pixels[$0] })
        }
    }

    func testFillHolesAndRemoveIslandsCleanEveryMaskWritten() throws {
        let plain = folder.appendingPathComponent("plain").path, cleaned = folder.appendingPathComponent("cleaned").path
        XCTAssertEqual(try segment(["--point", "30.5,20", "--out", plain]).status, 0)
        let run = try segment(["--point", "30.5,20", "--out", cleaned, "--fill-holes", "40", "--remove-islands", "30"])
        XCTAssertEqual(run.status, 0, run.errors)
        let before = try masks(in: plain), after = try masks(in: cleaned)
        XCTAssertEqual(after, before.map { $0.cleaned(fillingHolesBelow: 40, removingIslandsBelow: 30) },
                       "holes first, then islands, as the official generator's clean-up")
        XCTAssertNotEqual(after, before, "the tiny model's speckled masks have both to clean")
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cleaned + "/result.json"))) as? [String: Any])
        XCTAssertEqual(result["clean_up"] as? [String: Int], ["fill_holes": 40, "remove_islands": 30])
        let areas = (result["candidates"] as? [[String: Any]])?.compactMap { $0["area"] as? Int }
        XCTAssertEqual(areas, after.map(\.area), "areas are the cleaned masks'")

        let negative = try segment(["--point", "30.5,20", "--out", folder.appendingPathComponent("bad").path, "--fill-holes", "-5"])
        XCTAssertEqual(negative.status, 2)
        XCTAssertTrue(negative.errors.contains("--fill-holes -5"), negative.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path), "nothing written")
    }

    func testPointToCandidatesThenRefineWithTheLogitsAndDrawTheOverlay() throws {
        let first = folder.appendingPathComponent("first").path
        let run = try segment(["--point", "30.5,20", "--out", first, "--json"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.errors.contains("Running on: cpu"), run.errors)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first + "/result.json"))) as? [String: Any])
        XCTAssertEqual(NSDictionary(dictionary: result), NSDictionary(dictionary: saved), "--json prints result.json")
        XCTAssertEqual(result["model"] as? String, "sam2.1_test_tiny")
        XCTAssertEqual(result["device"] as? String, "cpu")
        XCTAssertEqual((result["image"] as? [String: Int])?["width"], 64)
        let candidates = try XCTUnwrap(result["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.count, 3)
        XCTAssertEqual(candidates.compactMap { $0["index"] as? Int }, [0, 1, 2])
        for candidate in candidates {
            XCTAssertNotNil(candidate["score"] as? Double)
            XCTAssertEqual((candidate["bbox"] as? [Any])?.count, 4)
        }
        XCTAssertNotNil(result["best"] as? Int)
        XCTAssertEqual(Set((result["timings_ms"] as? [String: Double])?.keys ?? [:].keys), ["load", "set_image", "predict"])
        for index in 0..<3 {
            let mask = try RGBImage.load(path: "\(first)/mask-\(index).png")
            XCTAssertEqual([mask.width, mask.height], [64, 48])
            XCTAssertTrue(mask.pixels.allSatisfy { $0 == 0 || $0 == 255 })
            XCTAssertEqual(mask.pixels.lazy.filter { $0 == 255 }.count / 3, candidates[index]["area"] as? Int, "area of mask \(index)")
        }
        XCTAssertEqual(try NumpyArray.read(path: first + "/logits.npy").shape, [3, 256, 256])

        // Refine: a background point and the best candidate's logits, one mask, and the picture.
        let second = folder.appendingPathComponent("second").path
        let overlay = folder.appendingPathComponent("best.png").path
        let refined = try segment(["--point", "30.5,20", "--point", "10,40,0", "--mask-input", first + "/best-logits.npy",
                                   "--single", "--out", second, "--overlay", overlay])
        XCTAssertEqual(refined.status, 0, refined.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: second + "/mask-0.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: second + "/mask-1.png"), "one candidate")
        let picture = try RGBImage.load(path: overlay)
        XCTAssertEqual([picture.width, picture.height], [64, 48])
        // The caption band at the top left: white text on the darkened picture.
        let band = (0..<11).flatMap { y in (0..<40).map { x in (y * 64 + x) * 3 } }
        XCTAssertTrue(band.contains { picture.pixels[$0] == 255 && picture.pixels[$0 + 1] == 255 && picture.pixels[$0 + 2] == 255 },
                      "the score is written on the picture")
    }

    func testBadInputExitsWithTwoAndWritesNothing() throws {
        let out = folder.appendingPathComponent("out").path
        let wrongShape = folder.appendingPathComponent("wrong.npy").path
        try NumpyArray(shape: [2, 64, 64], floats: [Float](repeating: 0, count: 2 * 64 * 64)).write(path: wrongShape)
        let threeRows = folder.appendingPathComponent("three.npy").path
        try NumpyArray(shape: [3, 256, 256], floats: [Float](repeating: 0, count: 3 * 256 * 256)).write(path: threeRows)
        let notANumber = folder.appendingPathComponent("nan.npy").path
        try NumpyArray(shape: [256, 256], floats: [Float](repeating: .nan, count: 256 * 256)).write(path: notANumber)
        let cases: [([String], String)] = [
            ([], "--point"),
            (["--point", "64.5,10"], "outside"),
            (["--point", "10,x"], "--point"),
            (["--box", "40,10,20,30"], "x1"),
            (["--point", "10,10", "--mask-input", wrongShape], "--mask-input"),
            (["--point", "10,10", "--mask-input", threeRows + ":5"], "index 5 is out of range"),
            (["--point", "10,10", "--mask-input", notANumber], "not a finite number"),
            (["--point", "-5,-5"], "outside"),
            (["--point", "0x10,0x10"], "--point"),
        ]
        for (arguments, mention) in cases {
            let run = try segment(arguments + ["--out", out])
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.errors)")
            XCTAssertTrue(run.errors.contains(mention), "\(arguments): \(run.errors)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments): nothing written")
        }
    }
}
