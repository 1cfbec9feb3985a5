// The detector-box reader on good files, bad entries (each one line, the rest read) and
// hostile bytes (never a crash).

import Foundation
import Segmentation
import XCTest

final class DetectionReaderTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = try ExportTestSupport.makeScratchFolder(self)
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testACOCODatasetsBoxesAreItsDetections() throws {
        let path = try write("""
            {"images": [{"id": 1, "file_name": "sub/a.jpg"}], "categories": [{"id": 5, "name": "cat"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 5, "bbox": [1.5, 2, 3, 4]},
                             {"id": 2, "image_id": 1, "category_id": 5, "bbox": [1, 2, 3]},
                             {"id": 3, "image_id": 1, "category_id": 6, "bbox": [1, 2, 3, 4]},
                             {"id": 4, "image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "score": "high"}]}
            """, "dataset.json")
        let set = try DetectionReader.read(path: path, images: nil)
        let found = try XCTUnwrap(set.detections(for: DatasetImage.Name(path: "/x/sub/a.jpg", fileName: "sub/a.jpg")))
        XCTAssertEqual(found.map(\.className), ["cat"])
        XCTAssertEqual(try found[0].box(width: 10, height: 10).get(), Session.Box(x0: 1.5, y0: 2, x1: 4.5, y1: 6))
        XCTAssertEqual(set.problems.count, 3)
        XCTAssertTrue(set.problems[0].hasSuffix("dataset.json, entry 2: bbox is not [x, y, width, height]"), set.problems[0])
        XCTAssertTrue(set.problems[1].hasSuffix("entry 3: category_id 6 is not among the categories of \(path)"), set.problems[1])
        XCTAssertTrue(set.problems[2].hasSuffix("entry 4: score is not a number"), set.problems[2])
        // Matched by file name alone when the inputs' folder is another.
        XCTAssertNotNil(set.detections(for: DatasetImage.Name(path: "a.jpg", fileName: "a.jpg")))
        XCTAssertEqual(set.classes?.names, ["cat"])
        XCTAssertEqual(set.classes?.cocoIDs, [5])
    }

    func testYOLOBoxesAreNormalisedAndBadLinesNamed() throws {
        _ = try write("names: [cat, dog]\n", "det/data.yaml")
        _ = try write("1 0.5 0.5 0.2 0.4\n\n0 0.5 0.5 0.2\n2 0.5 0.5 0.1 0.1\nx 0.5 0.5 0.1 0.1\n0 nan 0.5 0.1 0.1\n0 0.5 0.5 -0.1 0.1\n",
                      "det/labels/a.txt")
        let set = try DetectionReader.read(path: folder + "/det", images: nil)
        let found = try XCTUnwrap(set.detections(for: DatasetImage.Name(path: "q/a.png", fileName: "q/a.png")))
        XCTAssertEqual(found.map(\.className), ["dog"])
        XCTAssertEqual(try found[0].box(width: 100, height: 50).get(), Session.Box(x0: 40, y0: 15, x1: 60, y1: 35))
        XCTAssertEqual(set.problems.map { $0.replacingOccurrences(of: folder + "/det/labels/", with: "") }, [
            "a.txt:3: 4 values; a detection is class cx cy w h [confidence]",
            "a.txt:4: class 2 is not among the 2 names of data.yaml",
            "a.txt:5: class \"x\" is not a class number",
            "a.txt:6: not all values are numbers",
            "a.txt:7: negative box size",
        ])
    }

    func testYOLOLabelsInSplitFoldersAreAllRead() throws {
        _ = try write("0 0.5 0.5 0.2 0.2\n", "split/labels/train/a.txt")
        _ = try write("0 0.5 0.5 0.4 0.4 0.9\n", "split/labels/val/b.txt")
        _ = try write("0 0.5 0.5 0.1 0.1\n", "split/labels/val/a.txt")
        let set = try DetectionReader.read(path: folder + "/split", images: nil)
        XCTAssertEqual(set.detections(for: DatasetImage.Name(path: "b.png", fileName: "b.png"))?.map(\.score), [0.9])
        XCTAssertEqual(set.detections(for: DatasetImage.Name(path: "a.png", fileName: "a.png"))?.count, 1)
        XCTAssertEqual(set.problems, ["\(folder)/split/labels/val/a.txt: another label file for the images named a "
                                      + "(\(folder)/split/labels/train/a.txt); left out"])
    }

    func testBoxesOutsideTheImageAreRefused() {
        let outside = Detection(className: "c", geometry: .pixels(x: -3, y: 0, width: 5, height: 5), score: nil, source: "f, entry 1")
        guard case .failure(let problem) = outside.box(width: 10, height: 10) else { return XCTFail("accepted") }
        XCTAssertEqual(problem.description, "f, entry 1: the box -3.0,0.0,2.0,5.0 reaches outside the 10x10 image")
        let empty = Detection(className: "c", geometry: .pixels(x: 1, y: 1, width: 0, height: 5), score: nil, source: "f")
        XCTAssertThrowsError(try empty.box(width: 10, height: 10).get())
        let rounded = Detection(className: "c", geometry: .pixels(x: -0.25, y: 0, width: 10.5, height: 10), score: nil, source: "f")
        XCTAssertEqual(try rounded.box(width: 10, height: 10).get(), Session.Box(x0: 0, y0: 0, x1: 10, y1: 10))
    }

    func testHostileBytesNeverCrashTheReader() throws {
        var generator = SplitMix64(seed: 17)
        let pieces = ["{", "}", "[", "]", "\"images\"", "\"annotations\"", "\"bbox\"", ":", ",", "1e308", "-1", "null", "true",
                      "\"image_id\"", "\"category_id\"", "\"file_name\"", "\"id\"", "1", "0.5", "\"a\""]
        for round in 0..<300 {
            var text = ""
            for _ in 0..<Int.random(in: 1...60, using: &generator) { text += pieces.randomElement(using: &generator)! }
            if round % 3 == 0 { text = String(decoding: (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self) }
            let path = try write(text, "hostile.json")
            _ = try? DetectionReader.read(path: path, images: round % 2 == 0 ? path : nil)
            let label = try write(text.replacingOccurrences(of: ",", with: " "), "y/labels/h.txt")
            _ = try? DetectionReader.read(path: (label as NSString).deletingLastPathComponent, images: nil)
        }
    }
}
