// The dataset readers behind `samterm import`: masks as pycocotools decodes them (compressed and
// uncompressed RLE bit for bit, polygons close to annToMask), YOLO and LabelMe shapes, and bad or
// hostile input reported one line each, never a crash.

import Foundation
import Segmentation
import XCTest

final class ImportReaderTests: XCTestCase {
    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func rle(_ mask: BinaryMask) -> String { RLE(mask: mask).compressedString }

    // MARK: - COCO

    /// pycocotools writes the file (compressed RLE, uncompressed RLE as `frPyObjects` takes it,
    /// polygons) and the masks it decodes; ours must give the same RLE strings.
    func testCOCOMasksMatchPycocotools() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let path = folder + "/annotations.json"
        let script = """
            import json, sys, numpy as np
            from pycocotools import mask as mu
            rng = np.random.default_rng(7)
            h, w = 37, 53
            anns, expected = [], []
            def add(seg, cat):
                anns.append({"id": len(anns) + 1, "image_id": 4, "category_id": cat, "segmentation": seg})
            for i in range(3):
                m = np.asfortranarray((rng.random((h, w)) < 0.3).astype(np.uint8))
                m[i:i + 9, 5:30] = 1
                r = mu.encode(m)
                add({"size": [h, w], "counts": r["counts"].decode()}, 2)
                expected.append(r["counts"].decode())
            m = np.asfortranarray(np.zeros((h, w), np.uint8)); m[3:20, 0:11] = 1; m[30:, 40:] = 1
            flat = m.flatten(order="F"); runs, cur, n = [], 0, 0
            for v in flat:
                if v != cur: runs.append(n); n = 0; cur = v
                n += 1
            runs.append(n)
            add({"size": [h, w], "counts": [int(x) for x in runs]}, 5)
            expected.append(mu.encode(m)["counts"].decode())
            ious = []
            for i in range(6):
                k = int(rng.integers(3, 12))
                angles = np.sort(rng.random(k) * 2 * np.pi)
                radius = rng.random(k) * 15 + 3
                cx, cy = rng.random() * 20 + 15, rng.random() * 10 + 14
                poly = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], 1).clip(0, [w, h]).flatten()
                seg = [list(map(float, np.round(poly, 2)))]
                add(seg, 2)
                expected.append(mu.merge(mu.frPyObjects(seg, h, w))["counts"].decode())
            data = {"images": [{"id": 4, "file_name": "sub/pic.png", "width": w, "height": h}],
                    "categories": [{"id": 5, "name": "dog"}, {"id": 2, "name": "cat"}], "annotations": anns}
            json.dump(data, open(sys.argv[1], "w"))
            print(json.dumps(expected))
            """
        let output = try ExportTestSupport.runPython(script, arguments: [path])
        let expected = try JSONDecoder().decode([String].self, from: Data(output.utf8))
        let dataset = COCOReader.read(path: path)
        XCTAssertEqual(dataset.problems, [])
        XCTAssertEqual(dataset.classes, ["cat", "dog"])
        XCTAssertEqual(dataset.images.count, 1)
        let image = try XCTUnwrap(dataset.images.first)
        XCTAssertEqual(image.path, folder + "/sub/pic.png")
        XCTAssertEqual(image.objects.count, expected.count)
        XCTAssertEqual(image.objects.map(\.className), ["cat", "cat", "cat", "dog"] + Array(repeating: "cat", count: 6))
        for index in 0..<4 {
            XCTAssertEqual(rle(image.objects[index].mask), expected[index], "RLE annotation \(index + 1)")
            XCTAssertNil(image.objects[index].polygons)
        }
        for index in 4..<expected.count {
            // Filled as pycocotools fills them: the same mask, bit for bit.
            XCTAssertEqual(rle(image.objects[index].mask), expected[index], "polygon annotation \(index + 1)")
            XCTAssertNotNil(image.objects[index].polygons)
            XCTAssertEqual(image.objects[index].source, "annotations.json, annotation \(index + 1)")
        }
    }

    func testCOCOReportsBadAnnotationsAndKeepsTheRest() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let path = folder + "/a.json"
        try write("""
            {"images": [{"id": 1, "file_name": "a.png", "width": 10, "height": 8},
                        {"id": 2, "file_name": "b.png", "width": -3, "height": 8},
                        {"id": 3, "file_name": "c.png", "width": 1e300, "height": 8}],
             "categories": [{"id": 1, "name": "thing"}],
             "annotations": [
               {"id": 12, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3]},
               {"id": 13, "image_id": 77, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4, 4]]},
               {"id": 14, "image_id": 1, "category_id": 9, "segmentation": [[1, 1, 4, 1, 4, 4]]},
               {"id": 15, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 40, 1, 4, 4]]},
               {"id": 16, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4]]},
               {"id": 17, "image_id": 1, "category_id": 1, "segmentation": {"size": [8, 9], "counts": "0"}},
               {"id": 18, "image_id": 1, "category_id": 1, "segmentation": {"size": [8, 10], "counts": [5, 3]}},
               {"id": 19, "image_id": 1, "category_id": 1, "segmentation": {"size": [8, 10], "counts": "zzzz"}},
               {"id": 20, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 10, 0, 10, 8, 0, 8]], "score": 0.25}]}
            """, to: path)
        let dataset = COCOReader.read(path: path)
        XCTAssertEqual(dataset.images.map(\.path), [folder + "/a.png"])
        let objects = dataset.images[0].objects
        XCTAssertEqual(objects.count, 1)
        XCTAssertEqual(objects[0].mask.area, 80)
        XCTAssertEqual(objects[0].score, 0.25)
        let problems = dataset.problems
        XCTAssertEqual(problems.count, 10, problems.joined(separator: "\n"))
        XCTAssertTrue(problems.allSatisfy { $0.hasPrefix(path + ": ") })
        func has(_ text: String) -> Bool { problems.contains { $0.contains(text) } }
        XCTAssertTrue(has("image 2 (b.png): invalid size 10x8") || has("image 2 (b.png): invalid size -3x8"), problems.joined(separator: "\n"))
        XCTAssertTrue(has("image 3 (c.png): no whole-number width and height") || has("image 3 (c.png)"))
        XCTAssertTrue(has("annotation 12: has no segmentation: use `samterm segment --boxes` to make masks from boxes; skipped"))
        XCTAssertTrue(has("annotation 13: unknown image_id 77"))
        XCTAssertTrue(has("annotation 14: unknown category_id 9"))
        XCTAssertTrue(has("annotation 15: segmentation[0] has points outside the 10x8 image"))
        XCTAssertTrue(has("annotation 16: segmentation[0] has 5 numbers"))
        XCTAssertTrue(has("annotation 17: RLE size 9x8 differs from the image's 10x8"))
        XCTAssertTrue(has("annotation 18: invalid COCO RLE: runs cover 8 pixels"))
        XCTAssertTrue(has("annotation 19: invalid COCO RLE"))
    }

    func testMalformedJSONNamesTheFileAndWhere() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let path = folder + "/broken.json"
        try write("{\"images\": [\n  {\"id\": 1,, }]}", to: path)
        let dataset = COCOReader.read(path: path)
        XCTAssertEqual(dataset.problems.count, 1)
        XCTAssertTrue(dataset.problems[0].hasPrefix(path + ": malformed JSON"), dataset.problems[0])
        XCTAssertTrue(dataset.problems[0].contains("line 2") || dataset.problems[0].contains("character"), dataset.problems[0])
        XCTAssertFalse(dataset.problems[0].contains("\n"))
    }

    /// Random bytes, every truncation of a valid file, huge numbers and NaN: problems, no crash.
    func testHostileBytesNeverCrashTheReaders() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let valid = """
            {"images": [{"id": 1, "file_name": "a.png", "width": 6, "height": 5}], "categories": [{"id": 1, "name": "x"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 6, 0, 6, 5]]},
                             {"id": 2, "image_id": 1, "category_id": 1, "segmentation": {"size": [5, 6], "counts": [3, 27]}}],
             "imagePath": "a.png", "imageWidth": 6, "imageHeight": 5,
             "shapes": [{"label": "x", "points": [[0, 0], [6, 5]], "shape_type": "rectangle"}]}
            """
        var generator = SplitMix64(seed: 17)
        var inputs: [String] = (1..<valid.utf8.count).map { String(decoding: Array(valid.utf8.prefix($0)), as: UTF8.self) }
        for _ in 0..<50 {
            inputs.append(String(decoding: (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self))
        }
        for number in ["1e308", "-1e308", "NaN", "Infinity", "9223372036854775807", "18446744073709551616", "-0", "1.5"] {
            inputs.append(valid.replacingOccurrences(of: "6", with: number))
            inputs.append(valid.replacingOccurrences(of: "5", with: number))
            inputs.append(valid.replacingOccurrences(of: "27", with: number))
        }
        let path = folder + "/in.json"
        for input in inputs {
            try write(input, to: path)
            let coco = COCOReader.read(path: path)
            let labelme = LabelMeReader.read(path: path)
            for image in coco.images + labelme.images {
                XCTAssertGreaterThan(image.width, 0)
                for object in image.objects { XCTAssertEqual(object.mask.width * object.mask.height, image.width * image.height) }
            }
        }
        // The unchanged file reads cleanly: the loop above exercised real parsing, not only failures.
        try write(valid, to: path)
        XCTAssertEqual(COCOReader.read(path: path).problems, [])
        XCTAssertEqual(COCOReader.read(path: path).images.first?.objects.count, 2)
        XCTAssertEqual(LabelMeReader.read(path: path).images.first?.objects.first?.mask.area, 30)
    }

    // MARK: - Polygon raster

    func testPolygonsFillAsUltralyticsAndLabelMeFillThem() throws {
        var generator = SplitMix64(seed: 3)
        var polygons: [[Double]] = []
        for _ in 0..<12 {
            let count = Int.random(in: 3...9, using: &generator)
            let centreX = Double.random(in: 15...45, using: &generator), centreY = Double.random(in: 12...28, using: &generator)
            // Roughly regular: evenly spread angles, jittered (thin slivers fill differently everywhere).
            let angles = (0..<count).map { (Double($0) + Double.random(in: -0.3...0.3, using: &generator)) * 2 * .pi / Double(count) }
            polygons.append(angles.flatMap { angle -> [Double] in
                let radius = Double.random(in: 8...14, using: &generator)
                return [min(max(centreX + radius * cos(angle), 0), 59.99), min(max(centreY + radius * sin(angle), 0), 39.99)]
            })
        }
        // Ours through the boundary pixels' centres fill back to the mask they came from.
        for _ in 0..<8 {
            let mask = ExportTestSupport.blobMask(width: 41, height: 29, shapes: 1, generator: &generator)
            let traced = MaskContours.centrePolygons(of: mask, tolerance: 0).outer.map(\.flatCoordinates)
            XCTAssertEqual(PolygonRaster.filledMask(polygons: traced, width: 41, height: 29), mask)
        }
        let data = try JSONSerialization.data(withJSONObject: polygons)
        let output = try ExportTestSupport.runPython("""
            import json, sys, numpy as np
            from ultralytics.data.utils import polygon2mask
            from labelme.utils.shape import shape_to_mask
            out = []
            for p in json.loads(sys.argv[1]):
                a = polygon2mask((40, 60), [np.array(p)]).astype(np.uint8)
                b = shape_to_mask((40, 60), np.array(p).reshape(-1, 2).tolist(), 'polygon').astype(np.uint8)
                out.append([a.flatten().tolist(), b.flatten().tolist()])
            print(json.dumps(out))
            """, arguments: [String(decoding: data, as: UTF8.self)])
        let theirs = try JSONDecoder().decode([[[UInt8]]].self, from: Data(try XCTUnwrap(output.split(separator: "\n").last).utf8))
        var worst = (ultralytics: 1.0, labelme: 1.0)
        for (polygon, masks) in zip(polygons, theirs) {
            let ours = PolygonRaster.filledMask(polygons: [polygon], width: 60, height: 40)
            worst.ultralytics = min(worst.ultralytics, ours.iou(BinaryMask(width: 60, height: 40, bytes: masks[0])))
            worst.labelme = min(worst.labelme, ours.iou(BinaryMask(width: 60, height: 40, bytes: masks[1])))
        }
        print("filled polygons against Ultralytics' polygon2mask and LabelMe's shape_to_mask, worst IoU:", worst)
        // Exact on the polygons samterm writes (above); on arbitrary ones fillPoly and PIL round
        // sloping edges their own ways, a pixel here and there (measured worst: 0.953 and 0.950
        // on these 12 shapes of radius 8-14, the edges' pixels being a fifth of their area).
        XCTAssertGreaterThanOrEqual(worst.ultralytics, 0.94)
        XCTAssertGreaterThanOrEqual(worst.labelme, 0.94)
        XCTAssertEqual(PolygonRaster.circle(centerX: 5, centerY: 5, radius: 2, width: 10, height: 10).area, 12)
    }

    // MARK: - YOLO

    func testYOLODatasetPolygonsClassesAndBadLines() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        try write("""
            path: .
            train: images/train
            names:
              0: person
              2: traffic light
            """, to: folder + "/data.yaml")
        try write("", to: folder + "/images/train/one.png")
        try write("", to: folder + "/images/train/two.jpg")
        try write("""
            0 0.1 0.1 0.9 0.1 0.9 0.5 0.1 0.5
            2 0 0 1 0 1 1\r
            1 0.5 0.5 0.2 0.2

            3 0.1 0.1 0.2
            0 0.1 abc 0.2 0.2 0.3 0.3
            0 0.1 0.1 1.5 0.1 0.5 0.5
            x 0.1 0.1 0.2 0.2 0.3 0.3
            0 nan 0.1 0.2 0.2 0.3 0.3
            """, to: folder + "/labels/train/one.txt")
        try write("1 0 0 0.5 0 0.5 0.5\n", to: folder + "/labels/train/two.txt")
        try write("0 0 0 1 0 1 1\n", to: folder + "/labels/train/orphan.txt")
        let dataset = YOLOReader.read(folder: folder) { _ in (width: 20, height: 10) }
        XCTAssertEqual(dataset.classes, ["person", "class 1", "traffic light"])
        XCTAssertEqual(dataset.images.map(\.path), [folder + "/images/train/one.png", folder + "/images/train/two.jpg"])
        let one = dataset.images[0].objects
        XCTAssertEqual(one.map(\.className), ["person", "traffic light"])
        XCTAssertEqual(one[0].polygons, [[2, 1, 18, 1, 18, 5, 2, 5]])
        // Filled as Ultralytics fills it (fillPoly): the outline's pixels included.
        XCTAssertEqual(one[0].mask.area, 17 * 5)
        XCTAssertEqual(one[0].source, "one.txt:1")
        XCTAssertEqual(dataset.images[1].objects.map(\.className), ["class 1"])
        let lines = dataset.problems
        let file = folder + "/labels/train/one.txt"
        XCTAssertEqual(lines.count, 7, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":3: a detection box") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":5: 3 coordinates") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":6: \"abc\" is not a number") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":7: coordinates outside 0...1") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":8: class \"x\"") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(file + ":9: \"nan\" is not a number") })
        XCTAssertTrue(lines.contains { $0.hasPrefix(folder + "/labels/train/orphan.txt: no image") })
    }

    func testYOLOLabelsFolderWithImagesElsewhere() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        try write("0 0 0 1 0 1 1 0 1\n", to: folder + "/lbl/x.txt")
        try write("", to: folder + "/pics/x.png")
        let dataset = YOLOReader.read(folder: folder + "/lbl", imageRoot: folder + "/pics") { _ in (width: 4, height: 3) }
        XCTAssertEqual(dataset.problems, [])
        XCTAssertNil(dataset.classes)
        XCTAssertEqual(dataset.images.first?.objects.first?.className, "class 0")
        XCTAssertEqual(dataset.images.first?.objects.first?.mask.area, 12)
    }

    // MARK: - LabelMe

    func testLabelMeShapesGroupsAndProblems() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        try write("""
            {"version": "5.5.0", "imagePath": "../img/p.png", "imageWidth": 20, "imageHeight": 10, "imageData": null,
             "shapes": [
               {"label": "car", "points": [[1, 1], [5, 1], [5, 4]], "group_id": null, "shape_type": "polygon"},
               {"label": "box", "points": [[12, 8], [10, 6]], "group_id": 3, "shape_type": "rectangle"},
               {"label": "box", "points": [[15, 1], [18, 1], [18, 3], [15, 3]], "group_id": 3, "shape_type": "polygon"},
               {"label": "ball", "points": [[10, 5], [12, 5]], "shape_type": "circle"},
               {"label": "road", "points": [[1, 1], [5, 5]], "shape_type": "line"},
               {"label": "far", "points": [[1, 1], [50, 1], [5, 5]], "shape_type": "polygon"},
               {"label": "bad", "points": [[1, "a"], [5, 1], [5, 5]], "shape_type": "polygon"},
               {"points": [[1, 1], [5, 1], [5, 5]]}]}
            """, to: folder + "/ann/p.json")
        try write("{\"imagePath\": \"q.png\", \"imageWidth\": 0, \"imageHeight\": 3, \"shapes\": []}", to: folder + "/ann/q.json")
        try write("{not json", to: folder + "/ann/r.json")
        let dataset = LabelMeReader.read(path: folder + "/ann")
        XCTAssertNil(dataset.classes)
        XCTAssertEqual(dataset.images.count, 1)
        let image = dataset.images[0]
        XCTAssertEqual(image.path, folder + "/ann/../img/p.png")
        XCTAssertEqual(image.objects.map(\.className), ["car", "box", "ball"])
        XCTAssertEqual(image.objects[0].polygons, [[1, 1, 5, 1, 5, 4]])
        XCTAssertEqual(image.objects[1].polygons, [[10, 6, 12, 6, 12, 8, 10, 8], [15, 1, 18, 1, 18, 3, 15, 3]])
        // Filled as LabelMe fills them (PIL, outline included): 3 x 3 and 4 x 3.
        XCTAssertEqual(image.objects[1].mask.area, 9 + 12)
        XCTAssertNil(image.objects[2].polygons)
        XCTAssertEqual(image.objects[2].mask.area, 12)
        let problems = dataset.problems
        XCTAssertEqual(problems.count, 6, problems.joined(separator: "\n"))
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/p.json: shapes[4] (road): shape_type \"line\"") })
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/p.json: shapes[5] (far): points outside the 20x10 image") })
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/p.json: shapes[6] (bad): \"points\" must be") })
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/p.json: shapes[7]: needs a \"label\"") })
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/q.json: imageWidth/imageHeight: invalid size 0x3") })
        XCTAssertTrue(problems.contains { $0.hasPrefix(folder + "/ann/r.json: malformed JSON") })
    }
}
