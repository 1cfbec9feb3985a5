// `samterm import` as a user runs it: the real binary on COCO, YOLO and LabelMe files written
// here; its messages and exit codes, and the sessions it writes as SessionStore reopens them.

import Foundation
import Segmentation
import XCTest

final class ImportCommandTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-import-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    }

    private func write(_ text: String, to name: String) throws {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A 12x8 RGB PNG whose pixels depend on `seed` (so images differ by content).
    private func writeImage(_ name: String, seed: UInt8 = 0, width: Int = 12, height: Int = 8) throws {
        let pixels = (0..<width * height * 3).map { UInt8(truncatingIfNeeded: $0 * 7 + Int(seed)) }
        try write("", to: name)
        try Data(PNGWriter(rgb: pixels, width: width, height: height).encodePNG()).write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    private func session(ofImage name: String, sessionDir: String? = nil) throws -> Session {
        let path = folder + "/" + name
        let store = SessionStore(imagePath: path, folder: sessionDir)
        // Imported sessions depend on no model: any model name opens them.
        return try XCTUnwrap(try store.load(imageSHA256: try SHA256.hexDigest(ofFileAt: path), model: "sam2.1_hiera_t"))
    }

    private func rect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> BinaryMask {
        var mask = BinaryMask(width: 12, height: 8)
        for y in y0..<y1 { for x in x0..<x1 { mask[x, y] = true } }
        return mask
    }

    private func cocoFile(extra: String = "") -> String {
        let counts = RLE(mask: rect(2, 1, 6, 5)).compressedString.replacingOccurrences(of: "\\", with: "\\\\")
        return """
            {"images": [{"id": 7, "file_name": "pics/a.png", "width": 12, "height": 8}],
             "categories": [{"id": 18, "name": "dog"}, {"id": 3, "name": "cat"}],
             "annotations": [
               {"id": 1, "image_id": 7, "category_id": 18, "segmentation": {"size": [8, 12], "counts": "\(counts)"}, "score": 0.75},
               {"id": 2, "image_id": 7, "category_id": 3, "segmentation": [[8, 2, 11, 2, 11, 7, 8, 7]]}\(extra)]}
            """
    }

    func testCOCOImportWritesSessionsTheEditorOpens() throws {
        try writeImage("pics/a.png")
        try write(cocoFile(extra: """
            ,
            {"id": 12, "image_id": 7, "category_id": 3, "bbox": [1, 1, 2, 2]}
            """), to: "annotations.json")
        let run = try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco"])
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertEqual(run.errors, "\(folder)/annotations.json: annotation 12: has no segmentation: use `samterm segment --boxes` "
                       + "to make masks from boxes; skipped\n")
        XCTAssertEqual(run.output, "\(folder)/pics/a.png.samterm.json\n")

        let session = try session(ofImage: "pics/a.png")
        XCTAssertEqual(session.image.path, "a.png")
        XCTAssertEqual(session.image.width, 12)
        XCTAssertEqual(session.classes, ["cat", "dog"])
        XCTAssertEqual(session.objects.map(\.id), [1, 2])
        XCTAssertEqual(session.objects.map(\.category), ["dog", "cat"])
        XCTAssertEqual(session.objects.map(\.color), [ObjectPalette.color(at: 0), ObjectPalette.color(at: 1)])
        XCTAssertEqual(session.objects.map(\.confidence), [0.75, nil])
        XCTAssertTrue(session.objects.allSatisfy { $0.steps.isEmpty && $0.edits.isEmpty })
        XCTAssertEqual(session.objects[0].base?.counts, RLE(mask: rect(2, 1, 6, 5)).compressedString)
        XCTAssertNil(session.objects[0].base?.polygons)
        XCTAssertEqual(session.objects[1].base?.polygons, [[8, 2, 11, 2, 11, 7, 8, 7]])
        XCTAssertEqual(session.objects[1].base?.source, "annotations.json, annotation 2")
        XCTAssertEqual(try session.objects[1].mask?.decode(width: 12, height: 8), rect(8, 2, 11, 7))
        XCTAssertEqual(session.objects[1].mask?.score, 1)
    }

    func testExistingSessionsAreRefusedUnlessForcedAndNeverWhileOpen() throws {
        try writeImage("pics/a.png")
        try write(cocoFile(), to: "annotations.json")
        let sessionPath = folder + "/pics/a.png.samterm.json"
        let first = try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco"])
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertEqual(first.errors, "")
        try Data("{\"kept\": true}".utf8).write(to: URL(fileURLWithPath: sessionPath))

        let refused = try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.errors, "\(sessionPath): \(folder)/pics/a.png already has a session; --force replaces it\n")
        XCTAssertEqual(try String(contentsOfFile: sessionPath, encoding: .utf8), "{\"kept\": true}")

        guard case .acquired(let lock) = try SessionLock.acquire(sessionPath: sessionPath) else { return XCTFail("no lock") }
        let locked = try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco", "--force"])
        lock.release()
        XCTAssertEqual(locked.status, 1)
        XCTAssertTrue(locked.errors.hasPrefix("\(sessionPath): a samterm editor has it open ("), locked.errors)
        XCTAssertEqual(locked.errors.filter { $0 == "\n" }.count, 1)
        XCTAssertEqual(try String(contentsOfFile: sessionPath, encoding: .utf8), "{\"kept\": true}")

        let forced = try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco", "--force"])
        XCTAssertEqual(forced.status, 0, forced.errors)
        XCTAssertEqual(try session(ofImage: "pics/a.png").objects.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: SessionLock.lockPath(forSession: sessionPath)))
    }

    func testYOLODatasetIntoASessionFolder() throws {
        try writeImage("ds/images/train/one.png", seed: 1)
        try writeImage("ds/images/val/two.png", seed: 2)
        try write("names:\n- person\n- car\n", to: "ds/data.yaml")
        try write("1 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n0 0.5 0.5 0.1 0.1\n", to: "ds/labels/train/one.txt")
        try write("0 0 0 1 0 1 1\n0 0.1 0.2 0.3\n", to: "ds/labels/val/two.txt")
        let sessions = folder + "/sessions"
        let run = try SamtermRun.run(["import", folder + "/ds", "--format", "yolo", "--session-dir", sessions])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.errors, """
            \(folder)/ds/labels/train/one.txt:2: a detection box (class cx cy w h), not a polygon: use `samterm segment --boxes` to make masks from boxes; skipped
            \(folder)/ds/labels/val/two.txt:2: 3 coordinates (needs an even count, 3 points or more); skipped

            """)
        XCTAssertEqual(run.output, "\(sessions)/one.png.samterm.json\n\(sessions)/two.png.samterm.json\n")
        let one = try session(ofImage: "ds/images/train/one.png", sessionDir: sessions)
        XCTAssertEqual(one.image.path, folder + "/ds/images/train/one.png")
        XCTAssertEqual(one.classes, ["person", "car"])
        XCTAssertEqual(one.objects.map(\.category), ["car"])
        XCTAssertEqual(one.objects[0].base?.polygons, [[3, 2, 9, 2, 9, 6, 3, 6]])
        // Filled as Ultralytics fills it (fillPoly: the outline's pixels too).
        XCTAssertEqual(try one.objects[0].mask?.decode(width: 12, height: 8), rect(3, 2, 10, 7))
        XCTAssertEqual(try session(ofImage: "ds/images/val/two.png", sessionDir: sessions).objects.map(\.category), ["person"])
    }

    func testLabelMeFolderAndBadFiles() throws {
        try writeImage("img/p.png")
        try write("""
            {"imagePath": "../img/p.png", "imageWidth": 12, "imageHeight": 8, "shapes": [
              {"label": "sign", "points": [[1, 1], [4, 3]], "shape_type": "rectangle", "group_id": null}]}
            """, to: "ann/p.json")
        try write("{\"imagePath\": \"../img/p.png\", \"imageWidth\": 13, \"imageHeight\": 8, \"shapes\": []}", to: "ann/wrong-size.json")
        try write("{\"imagePath\": \"../img/none.png\", \"imageWidth\": 12, \"imageHeight\": 8, \"shapes\": []}", to: "ann/missing.json")
        let run = try SamtermRun.run(["import", folder + "/ann", "--format", "labelme"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.output, "\(folder)/ann/../img/p.png.samterm.json\n")
        let lines = run.errors.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, run.errors)
        XCTAssertTrue(lines.contains("\(folder)/ann/../img/none.png: no such image; skipped"), run.errors)
        XCTAssertTrue(lines.contains { $0.contains("the annotations say 13x8, the image is 12x8; skipped") }, run.errors)
        let session = try session(ofImage: "img/p.png")
        XCTAssertNil(session.classes)
        XCTAssertEqual(session.objects.map(\.category), ["sign"])
        // Filled as LabelMe fills a rectangle: both corners' pixels included.
        XCTAssertEqual(try session.objects[0].mask?.decode(width: 12, height: 8), rect(1, 1, 5, 4))
    }

    func testUsageErrorsExitWithTwo() throws {
        try write("{}", to: "a.json")
        let unknown = try SamtermRun.run(["import", folder + "/a.json", "--format", "voc"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.errors.contains("'voc' is invalid for '--format"), unknown.errors)
        let missing = try SamtermRun.run(["import", folder + "/nothing.json", "--format", "coco"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.errors.contains("\(folder)/nothing.json: no such file or folder"), missing.errors)
        let noFormat = try SamtermRun.run(["import", folder + "/a.json"])
        XCTAssertEqual(noFormat.status, 2)
    }

    // MARK: - Round trips through `samterm export`

    private func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func testCOCOImportExportsTheSameRLEAndPolygons() throws {
        try writeImage("pics/a.png")
        try write(cocoFile(), to: "annotations.json")
        XCTAssertEqual(try SamtermRun.run(["import", folder + "/annotations.json", "--format", "coco"]).status, 0)
        let image = folder + "/pics/a.png"

        let rle = try SamtermRun.run(["export", image, "--format", "coco-dataset", "--out", folder + "/rle"])
        XCTAssertEqual(rle.status, 0, rle.errors)
        let rleAnnotations = try XCTUnwrap(try json(folder + "/rle/annotations.json")["annotations"] as? [[String: Any]])
        let counts = rleAnnotations.compactMap { ($0["segmentation"] as? [String: Any])?["counts"] as? String }
        XCTAssertEqual(counts.first, RLE(mask: rect(2, 1, 6, 5)).compressedString)
        // The source's category ids (3 cat, 18 dog: COCO skips ids, and so may any dataset) stay.
        XCTAssertEqual(rleAnnotations.map { $0["category_id"] as? Int }, [18, 3])
        let categories = try XCTUnwrap(try json(folder + "/rle/annotations.json")["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.map { $0["name"] as? String }, ["cat", "dog"])
        XCTAssertEqual(categories.map { $0["id"] as? Int }, [3, 18])

        let polygons = try SamtermRun.run(["export", image, "--format", "coco-dataset", "--polygons", "--out", folder + "/poly"])
        XCTAssertEqual(polygons.status, 0, polygons.errors)
        let polygonAnnotations = try XCTUnwrap(try json(folder + "/poly/annotations.json")["annotations"] as? [[String: Any]])
        XCTAssertEqual(polygonAnnotations.count, 2)
        XCTAssertEqual(polygonAnnotations[1]["segmentation"] as? [[Double]], [[8, 2, 11, 2, 11, 7, 8, 7]])
    }

    func testYOLOImportExportsTheSameVertices() throws {
        try writeImage("ds/images/train/one.png", seed: 1)
        try write("names:\n- person\n- car\n", to: "ds/data.yaml")
        let source = [[0.25, 0.25, 0.75, 0.25, 0.75, 0.75, 0.25, 0.75], [0.5, 0.125, 0.9166666667, 0.875, 0.0833333333, 0.625]]
        try write("1 " + source[0].map { String($0) }.joined(separator: " ") + "\n0 "
                  + source[1].map { String($0) }.joined(separator: " ") + "\n", to: "ds/labels/train/one.txt")
        let sessions = folder + "/sessions"
        XCTAssertEqual(try SamtermRun.run(["import", folder + "/ds", "--format", "yolo", "--session-dir", sessions]).status, 0)
        let run = try SamtermRun.run(["export", folder + "/ds/images/train/one.png", "--session-dir", sessions,
                                      "--format", "yolo", "--out", folder + "/out"])
        XCTAssertEqual(run.status, 0, run.errors)
        let lines = try String(contentsOfFile: folder + "/out/labels/one.txt", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for (line, (classID, expected)) in zip(lines, zip([1, 0], source)) {
            let fields = line.split(separator: " ")
            XCTAssertEqual(Int(fields[0]), classID)
            let values = fields.dropFirst().compactMap { Double($0) }
            XCTAssertEqual(values.count, expected.count, String(line))
            for (value, want) in zip(values, expected) { XCTAssertEqual(value, want, accuracy: 1e-6, String(line)) }
        }
        XCTAssertTrue(try String(contentsOfFile: folder + "/out/data.yaml", encoding: .utf8).contains("person"))
    }

    func testLabelMeImportExportsTheSamePoints() throws {
        try writeImage("img/p.png")
        let points: [[Double]] = [[1.5, 1.25], [10.75, 2], [6, 7.5], [2, 5]]
        let pointText = points.map { "[\($0[0]), \($0[1])]" }.joined(separator: ", ")
        try write("""
            {"imagePath": "../img/p.png", "imageWidth": 12, "imageHeight": 8, "shapes": [
              {"label": "kite", "points": [\(pointText)], "shape_type": "polygon", "group_id": null}]}
            """, to: "ann/p.json")
        XCTAssertEqual(try SamtermRun.run(["import", folder + "/ann/p.json", "--format", "labelme"]).status, 0)
        let run = try SamtermRun.run(["export", folder + "/img/p.png", "--format", "labelme", "--out", folder + "/out"])
        XCTAssertEqual(run.status, 0, run.errors)
        let shapes = try XCTUnwrap(try json(folder + "/out/p.json")["shapes"] as? [[String: Any]])
        XCTAssertEqual(shapes.count, 1)
        XCTAssertEqual(shapes.first?["label"] as? String, "kite")
        XCTAssertEqual(shapes.first?["points"] as? [[Double]], points)
    }
}
