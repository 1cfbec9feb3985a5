// `samterm export INPUTS --format coco-dataset ...` as a user runs it: a folder of images with
// sessions (imported objects: no model needed), one dataset out, messages and exit statuses.

import Foundation
import Segmentation
import XCTest

final class DatasetExportCommandTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-dataset-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder) }
    }

    /// A box-shaped mask.
    private func box(_ x: Int, _ y: Int, _ width: Int, _ height: Int, in size: (Int, Int)) -> BinaryMask {
        var mask = BinaryMask(width: size.0, height: size.1)
        for row in y..<(y + height) { for column in x..<(x + width) { mask[column, row] = true } }
        return mask
    }

    /// An image file and its session, whose objects are imported masks with these classes.
    @discardableResult
    private func annotate(_ name: String, classes: [String?], names: [String?] = [], size: (Int, Int) = (40, 30),
                          empty: Set<Int> = []) throws -> String {
        let path = folder + "/images/" + name
        let pixels = (0..<(size.0 * size.1 * 3)).map { UInt8($0 % 251) }
        try PNGWriter(rgb: pixels, width: size.0, height: size.1).write(to: path)
        let store = SessionStore(imagePath: path)
        let objects = classes.enumerated().map { index, category -> Session.Object in
            let mask = empty.contains(index) ? BinaryMask(width: size.0, height: size.1)
                : box(2 + index * 5, 3 + index, 6, 7, in: size)
            return Session.Object(id: index + 1, name: index < names.count ? names[index] : nil, category: category,
                                  color: ObjectPalette.color(at: index), base: Session.BaseMask(mask: mask),
                                  mask: Session.StoredMask(mask: mask, score: 1))
        }
        let reference = Session.ImageReference(path: store.imageReferencePath(for: path), sha256: try SHA256.hexDigest(ofFileAt: path),
                                               width: size.0, height: size.1)
        try store.save(Session(image: reference, model: Session.noModel, objects: objects))
        return path
    }

    private func annotations(_ path: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testAFolderOfSessionsBecomesOneCOCODataset() throws {
        try annotate("b.png", classes: ["pear", nil], names: [nil, "apple"])
        try annotate("a.png", classes: ["apple", "plum"], empty: [1])
        // An image without a session is left out, with a note.
        try PNGWriter(rgb: [UInt8](repeating: 9, count: 4 * 4 * 3), width: 4, height: 4).write(to: folder + "/images/c.png")
        let run = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset", "--out", folder + "/out"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("coco-dataset: 2 images, 3 objects, 2 classes"), run.output)
        XCTAssertTrue(run.errors.contains("a.png: object 2 (plum) has an empty mask: left out"), run.errors)
        XCTAssertTrue(run.errors.contains("c.png: no session: left out"), run.errors)
        let document = try annotations(folder + "/out/annotations.json")
        let categories = try XCTUnwrap(document["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.map { $0["name"] as? String }, ["apple", "pear"])
        let images = try XCTUnwrap(document["images"] as? [[String: Any]])
        XCTAssertEqual(images.map { $0["file_name"] as? String }, ["a.png", "b.png"])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [1, 2, 1])
        XCTAssertEqual(annotations.map { $0["bbox"] as? [Int] }, [[2, 3, 6, 7], [2, 3, 6, 7], [7, 4, 6, 7]])

        // Again: refused without --force, nothing changed; with it, the same file.
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/out/annotations.json"))
        let again = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset", "--out", folder + "/out"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.errors.contains("annotations.json") && again.errors.contains("--force"), again.errors)
        let forced = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset", "--out", folder + "/out", "--force"])
        XCTAssertEqual(forced.status, 0, forced.errors)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/out/annotations.json")), before)
    }

    func testAClassListFixesIdsAndAnObjectOutsideItFailsTheRun() throws {
        try annotate("a.png", classes: ["apple", "kiwi", "pear"])
        try "# fruit\npear\napple\n".write(toFile: folder + "/classes.txt", atomically: true, encoding: .utf8)
        let run = try SamtermRun.run(["export", folder + "/images/a.png", "--format", "coco-dataset", "--out", folder + "/out",
                                      "--classes", folder + "/classes.txt"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.errors.contains("object 2: class \"kiwi\" is not in the class list (pear, apple)"), run.errors)
        let annotations = try XCTUnwrap(try annotations(folder + "/out/annotations.json")["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [2, 1])
    }

    func testPerImageFormatsOverAFolderGoOnPastAnImageWithNothingToExport() throws {
        try annotate("a.png", classes: ["apple"])
        try annotate("b.png", classes: [])
        let run = try SamtermRun.run(["export", folder + "/images", "--format", "png", "--out", folder + "/out"])
        XCTAssertEqual(run.status, 1, run.errors)
        let errors = run.errors.split(separator: "\n").filter { $0.hasPrefix("Error") }
        XCTAssertEqual(errors.count, 1, run.errors)
        XCTAssertTrue(errors.first?.contains("b.png.samterm.json: the session has no object") == true, run.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/out/a_mask_01.png"))
    }

    func testUsageErrors() throws {
        try annotate("a.png", classes: ["apple"])
        let noOut = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset"])
        XCTAssertEqual(noOut.status, 2)
        XCTAssertTrue(noOut.errors.contains("--out"), noOut.errors)
        let unknown = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset,parquet", "--out", folder + "/o"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.errors.contains("\"parquet\""), unknown.errors)
        let emptyList = try SamtermRun.run(["export", folder + "/images", "--format", "coco-dataset", "--out", folder + "/o",
                                            "--classes", ","])
        XCTAssertEqual(emptyList.status, 2)
        XCTAssertTrue(emptyList.errors.contains("--classes") && emptyList.errors.contains("empty"), emptyList.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/o"))
    }
}
