// The coco-dataset export, read by the real pycocotools.COCO: one annotations.json for many
// images, masks equal to ours, categories and image ids that stay put from one export to the next.

import Foundation
import Segmentation
import XCTest

final class COCODatasetTests: XCTestCase {
    private func image(_ name: String, _ width: Int, _ height: Int, classes: [String], seed: UInt64,
                       folder: String) -> DatasetImage {
        var generator = SplitMix64(seed: seed)
        let objects = classes.enumerated().map { index, name in
            DatasetObject(id: index + 1, className: name,
                          mask: ExportTestSupport.blobMask(width: width, height: height, shapes: 3, generator: &generator),
                          score: index == 0 ? 0.75 : nil)
        }
        return DatasetImage(path: folder + "/" + name, fileName: name, width: width, height: height, objects: objects)
    }

    private func export(_ images: [DatasetImage], to folder: String, classes: ClassList? = nil,
                        options: DatasetOptions = DatasetOptions()) throws -> DatasetExport {
        let export = DatasetExport(formats: [.cocoDataset], folder: folder, options: options, classes: classes)
        for image in images { try export.add(image) }
        try export.finish()
        return export
    }

    /// Writes every object's mask as 0/255 PNG, named IMAGEID_ANNOTATIONINDEX, for Python to compare.
    private func dumpMasks(_ images: [DatasetImage], to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for image in images {
            for (index, object) in image.objects.enumerated() {
                try PNGWriter(gray8: object.mask.grayBytes, width: image.width, height: image.height)
                    .write(to: "\(folder)/\(image.fileName)_\(index).png")
            }
        }
    }

    func testPycocotoolsReadsOneFileForAllImagesAndItsMasksAreOurs() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let images = [image("a.png", 64, 48, classes: ["apple", "pear", "apple"], seed: 1, folder: folder),
                      image("b.png", 33, 70, classes: ["plum"], seed: 2, folder: folder),
                      image("c.png", 20, 20, classes: [], seed: 3, folder: folder)]
        let export = try export(images, to: folder + "/out")
        XCTAssertEqual(export.classes.names, ["apple", "pear", "plum"])
        try dumpMasks(images, to: folder + "/expected")
        let report = try ExportTestSupport.runPython("""
            import sys, numpy as np
            from PIL import Image
            from pycocotools.coco import COCO
            folder = sys.argv[1]
            coco = COCO(folder + '/out/annotations.json')
            cats = {c['id']: c['name'] for c in coco.loadCats(coco.getCatIds())}
            assert cats == {1: 'apple', 2: 'pear', 3: 'plum'}, cats
            names = {i['id']: i['file_name'] for i in coco.loadImgs(coco.getImgIds())}
            assert sorted(names.values()) == ['a.png', 'b.png', 'c.png'], names
            for image_id, name in names.items():
                anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
                for index, ann in enumerate(anns):
                    ours = np.array(Image.open(f'{folder}/expected/{name}_{index}.png')) > 0
                    theirs = coco.annToMask(ann).astype(bool)
                    assert (ours == theirs).all(), (name, index)
                    assert ann['area'] == int(ours.sum()) and ann['iscrowd'] == 0
                    ys, xs = np.nonzero(ours)
                    assert ann['bbox'] == [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
            print(len(coco.getAnnIds()), [a['category_id'] for a in coco.loadAnns(coco.getAnnIds())],
                  [a.get('score') for a in coco.loadAnns(coco.getAnnIds(imgIds=[1]))])
            """, arguments: [folder])
        // pycocotools talks as it loads: the last line is the script's.
        let lastLine = report.split(separator: "\n").last.map(String.init)
        XCTAssertEqual(lastLine, "4 [1, 2, 1, 3] [0.75, None, None]")
    }

    func testAnExportIntoTheSameFolderKeepsImageAndCategoryIds() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let first = [image("a.png", 30, 30, classes: ["cat", "dog"], seed: 4, folder: folder),
                     image("b.png", 30, 30, classes: ["dog"], seed: 5, folder: folder)]
        _ = try export(first, to: folder + "/out")
        // Next time: b comes first, a third image is new, a class is new and "cat" is not seen.
        let second = [image("b.png", 30, 30, classes: ["bird", "dog"], seed: 5, folder: folder),
                      image("z.png", 30, 30, classes: ["dog"], seed: 6, folder: folder)]
        let export = try export(second, to: folder + "/out")
        XCTAssertEqual(export.classes.names, ["cat", "dog", "bird"])
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/out/annotations.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let images = try XCTUnwrap(document["images"] as? [[String: Any]])
        XCTAssertEqual(images.map { $0["file_name"] as? String }, ["b.png", "z.png"])
        XCTAssertEqual(images.map { $0["id"] as? Int }, [2, 3])
        let categories = try XCTUnwrap(document["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.map { $0["name"] as? String }, ["cat", "dog", "bird"])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [3, 2, 2])
    }

    func testAFixedClassListSetsTheIdsAndLeavesOutOtherClasses() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let export = DatasetExport(formats: [.cocoDataset], folder: folder, options: DatasetOptions(),
                                   classes: ClassList(names: ["pear", "apple"], fixed: true))
        let skipped = try export.add(image("a.png", 30, 30, classes: ["apple", "plum", "pear"], seed: 7, folder: folder))
        try export.finish()
        XCTAssertEqual(skipped.problems.count, 1)
        XCTAssertTrue(skipped.problems[0].contains("\"plum\"") && skipped.problems[0].contains("object 2"), skipped.problems[0])
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/annotations.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [2, 1])
    }

    func testCategoryIdsOfADatasetThatSkipsIdsAreKept() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let classes = ClassList(names: ["person", "car", "zebra"], fixed: false, cocoIDs: [1, 3, 24])
        let export = try export([image("a.png", 30, 30, classes: ["zebra", "kite"], seed: 8, folder: folder)],
                                to: folder, classes: classes)
        XCTAssertEqual(export.classes.names, ["person", "car", "zebra", "kite"])
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/annotations.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.map { $0["category_id"] as? Int }, [24, 25])
        XCTAssertEqual(COCODatasetWriter.existingClasses(in: folder)?.cocoIDs, [1, 3, 24, 25])
    }

    func testPolygonsAreTracedOrTakenAsTheSourceGaveThem() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        var mask = BinaryMask(width: 20, height: 20)
        for y in 4..<10 { for x in 3..<12 { mask[x, y] = true } }
        let source = [Polygon(points: [PolygonPoint(x: 3.25, y: 4), PolygonPoint(x: 12, y: 4.5), PolygonPoint(x: 11.75, y: 10)])]
        let objects = [DatasetObject(id: 1, className: "box", mask: mask),
                       DatasetObject(id: 2, className: "box", mask: mask, polygons: source)]
        var options = DatasetOptions()
        options.polygons = true
        _ = try export([DatasetImage(path: "i.png", fileName: "i.png", width: 20, height: 20, objects: objects)],
                       to: folder, options: options)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/annotations.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations[0]["segmentation"] as? [[Double]], [[3, 4, 12, 4, 12, 10, 3, 10]])
        XCTAssertEqual(annotations[1]["segmentation"] as? [[Double]], [[3.25, 4, 12, 4.5, 11.75, 10]])
    }

    func testEmptyMasksAreLeftOutWithAWarning() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let export = DatasetExport(formats: [.cocoDataset], folder: folder, options: DatasetOptions(), classes: nil)
        let empty = DatasetObject(id: 4, className: "ghost", mask: BinaryMask(width: 10, height: 10))
        let skipped = try export.add(DatasetImage(path: "e.png", fileName: "e.png", width: 10, height: 10, objects: [empty]))
        XCTAssertEqual(skipped.warnings, ["e.png: object 4 (ghost) has an empty mask: left out"])
        XCTAssertTrue(skipped.problems.isEmpty)
        XCTAssertEqual(export.classes.names, [])
    }

    func testImageNamesAreRelativeToTheFolderHoldingThemAll() {
        let names = DatasetExport.names(for: ["/data/set/a/x.png", "/data/set/b/y.jpg", "/data/set/z.png"])
        XCTAssertEqual(names.map(\.fileName), ["a/x.png", "b/y.jpg", "z.png"])
        XCTAssertEqual(DatasetExport.names(for: ["/data/one.png"]).map(\.fileName), ["one.png"])
    }
}
