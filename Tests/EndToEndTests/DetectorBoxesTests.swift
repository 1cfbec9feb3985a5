// `samterm segment --boxes`: a detector's boxes in, one mask per box out (the official
// predictor's box prompt: the masks equal the reference's fixtures), sessions to correct and a
// dataset, bad entries reported one line each while the rest goes on.

import Foundation
import Segmentation
import XCTest

final class DetectorBoxesTests: XCTestCase {
    private static let fixtures = EditorEndToEndTests.fixtures
    private static let checkpoint = fixtures.appendingPathComponent("tiny_sam2.1.pt").path
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-boxes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder) }
        for name in ["image_tall.png", "image_wide.png"] {
            try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent(name).path, toPath: folder + "/images/" + name)
        }
    }

    private func write(_ object: Any, to name: String) throws -> String {
        let path = folder + "/" + name
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func segment(_ arguments: [String]) throws -> SamtermRun {
        try SamtermRun.run(["segment", folder + "/images", "--checkpoint", Self.checkpoint, "--device", "cpu"] + arguments)
    }

    private func session(_ image: String, out: String) throws -> Session {
        try XCTUnwrap(SessionStore(path: "\(out)/sessions/\(image).png.samterm.json").load())
    }

    func testCOCODetectionsBecomeTheReferenceMasksAndBadEntriesAreReported() throws {
        let images = try write([
            "images": [["id": 1, "file_name": "image_tall.png", "width": 40, "height": 56],
                       ["id": 2, "file_name": "image_wide.png", "width": 64, "height": 48]],
            "categories": [["id": 3, "name": "thing"], ["id": 8, "name": "other"]],
        ], to: "images.json")
        let results = try write([
            // The box of the reference's box_single_mask fixture.
            ["image_id": 1, "category_id": 3, "bbox": [4, 10, 32, 40], "score": 0.9],
            ["image_id": 2, "category_id": 8, "bbox": [10, 10, 20, 20], "score": 0.1],   // below --min-score
            ["image_id": 2, "category_id": 8, "bbox": [50, 10, 30, 20], "score": 0.8],   // reaches outside
            ["image_id": 2, "category_id": 3, "bbox": [16, 12, 32, 24], "score": 0.7],
            ["image_id": 7, "category_id": 3, "bbox": [1, 1, 2, 2], "score": 0.9],       // no such image
            ["image_id": 1, "category_id": 3, "bbox": [1, 1, -2, 2], "score": 0.9],      // negative size
        ], to: "results.json")
        let out = folder + "/out"
        let run = try segment(["--boxes", results, "--images", images, "--min-score", "0.5", "--out", out])
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("results.json, entry 5: image_id 7 is not among the images of"), run.errors)
        XCTAssertTrue(run.errors.contains("results.json, entry 6: bbox has a negative size"), run.errors)
        XCTAssertTrue(run.errors.contains("results.json, entry 3: the box 50.0,10.0,80.0,30.0 reaches outside the 64x48 image"), run.errors)
        XCTAssertTrue(run.output.contains("coco-dataset: 2 images, 2 objects"), run.output)

        let tall = try session("image_tall", out: out)
        XCTAssertEqual(tall.objects.map(\.category), ["thing"])
        XCTAssertEqual(tall.objects.map(\.confidence), [0.9])
        XCTAssertEqual(tall.objects[0].steps, [Session.Step(points: [], box: Session.Box(x0: 4, y0: 10, x1: 36, y1: 50),
                                                            multimask: false, maskInput: false, candidate: 0)])
        let reference = try NumpyArray.read(path: Self.fixtures.appendingPathComponent("box_single_mask_masks.npy").path)
        let ours = try XCTUnwrap(tall.objects[0].mask).decode(width: 40, height: 56)
        XCTAssertEqual(ours.bytes, reference.bytes, "the box's mask is not the reference's")

        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json")))
                                     as? [String: Any])
        let categories = try XCTUnwrap(document["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.map { $0["id"] as? Int }, [3, 8], "the detections' category ids are kept")
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["score"] as? Double }, [0.9, 0.7])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [3, 3])

        // A second run finds both images done and makes the same dataset.
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json"))
        let again = try segment(["--boxes", results, "--images", images, "--min-score", "0.5", "--out", out])
        XCTAssertEqual(again.status, 1, again.errors)
        XCTAssertTrue(again.output.contains("2 skipped"), again.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json")), before)
    }

    func testYOLODetectionLabelsGiveTheMasksOfTheSameBoxAsAPrompt() throws {
        try FileManager.default.createDirectory(atPath: folder + "/det/labels", withIntermediateDirectories: true)
        try "names:\n  0: thing\n  1: other\n".write(toFile: folder + "/det/data.yaml", atomically: true, encoding: .utf8)
        try "1 0.5 0.5 0.5 0.5 0.66\n0 0.5 0.5\n".write(toFile: folder + "/det/labels/image_wide.txt", atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let run = try segment(["--boxes", folder + "/det", "--out", out])
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("det/labels/image_wide.txt:2: 3 values; a detection is class cx cy w h [confidence]"), run.errors)
        let wide = try session("image_wide", out: out)
        XCTAssertEqual(wide.objects.map(\.category), ["other"])
        XCTAssertEqual(wide.objects.map(\.confidence), [0.66])
        XCTAssertEqual(try session("image_tall", out: out).objects.count, 0)

        let single = try SamtermRun.run(["segment", folder + "/images/image_wide.png", "--checkpoint", Self.checkpoint,
                                         "--device", "cpu", "--box", "16,12,48,36", "--single", "--out", folder + "/single"])
        XCTAssertEqual(single.status, 0, single.errors)
        let prompted = try RGBImage.load(path: folder + "/single/mask-0.png")
        let ours = try XCTUnwrap(wide.objects[0].mask).decode(width: 64, height: 48)
        XCTAssertEqual(ours.bytes, stride(from: 0, to: prompted.pixels.count, by: 3).map { prompted.pixels[$0] == 0 ? 0 : 1 })
    }

    func testUnreadableDetectionsAndMisusedOptions() throws {
        try "{ not json".write(toFile: folder + "/broken.json", atomically: true, encoding: .utf8)
        let broken = try segment(["--boxes", folder + "/broken.json", "--out", folder + "/out"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.errors.contains("broken.json: not valid JSON"), broken.errors)
        let list = try write([["image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]]], to: "list.json")
        let noImages = try segment(["--boxes", list, "--out", folder + "/out"])
        XCTAssertEqual(noImages.status, 1)
        XCTAssertTrue(noImages.errors.contains("give --images COCO.json"), noImages.errors)
        let withPoint = try segment(["--boxes", list, "--point", "1,1", "--out", folder + "/out"])
        XCTAssertEqual(withPoint.status, 2)
        XCTAssertTrue(withPoint.errors.contains("--point does not go with --boxes"), withPoint.errors)
        let noOut = try segment(["--boxes", list])
        XCTAssertEqual(noOut.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
    }
}
