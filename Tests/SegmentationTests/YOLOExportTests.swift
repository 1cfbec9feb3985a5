// The yolo export, checked by Ultralytics itself: its dataset check reads data.yaml, its label
// verification accepts every label file, and the polygons filled by its own polygon2mask give
// our masks back (IoU >= 0.98 per object), holes and several parts included.

import Foundation
import Segmentation
import XCTest

final class YOLOExportTests: XCTestCase {
    /// A ring (a disc with a hole), two separate blobs, a one-pixel line, a box on the image's corner.
    private func objects(width: Int, height: Int) -> [DatasetObject] {
        func mask(_ inside: (Int, Int) -> Bool) -> BinaryMask {
            var mask = BinaryMask(width: width, height: height)
            for y in 0..<height { for x in 0..<width where inside(x, y) { mask[x, y] = true } }
            return mask
        }
        let ring = mask { x, y in
            let d = (x - 50) * (x - 50) + (y - 45) * (y - 45)
            return d <= 35 * 35 && d > 12 * 12
        }
        let parts = mask { x, y in (x - 120) * (x - 120) + (y - 30) * (y - 30) <= 20 * 20 || (110..<150).contains(x) && (80..<110).contains(y) }
        let line = mask { x, y in y == 100 && (10..<90).contains(x) }
        let corner = mask { x, y in x >= width - 25 && y >= height - 15 }
        var generator = SplitMix64(seed: 11)
        let blob = ExportTestSupport.blobMask(width: width, height: height, shapes: 5, generator: &generator)
        return [("ring", ring), ("parts", parts), ("line", line), ("corner", corner), ("blob", blob)].enumerated().map {
            DatasetObject(id: $0.offset + 1, className: $0.offset == 4 ? "ring" : $0.element.0, mask: $0.element.1)
        }
    }

    func testUltralyticsAcceptsTheLabelsAndItsPolygonsGiveOurMasksBack() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let width = 170, height = 125
        try PNGWriter(image: ExportTestSupport.gradientImage(width: width, height: height)).write(to: folder + "/photo.png")
        try PNGWriter(image: ExportTestSupport.gradientImage(width: 40, height: 30)).write(to: folder + "/empty.png")
        let objects = objects(width: width, height: height)
        let export = DatasetExport(formats: [.yolo], folder: folder + "/out", options: DatasetOptions(), classes: nil)
        try export.add(DatasetImage(path: folder + "/photo.png", fileName: "photo.png", width: width, height: height, objects: objects))
        try export.add(DatasetImage(path: folder + "/empty.png", fileName: "empty.png", width: 40, height: 30, objects: []))
        try export.finish()
        XCTAssertEqual(export.classes.names, ["ring", "parts", "line", "corner"])
        for (index, object) in objects.enumerated() {
            try PNGWriter(gray8: object.mask.grayBytes, width: width, height: height).write(to: "\(folder)/expected_\(index).png")
        }
        XCTAssertEqual(try String(contentsOfFile: folder + "/out/labels/empty.txt", encoding: .utf8), "")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/out/images/photo.png"),
                       SessionStore.absolutePath(folder + "/photo.png"))

        let report = try ExportTestSupport.runPython("""
            import os, sys, numpy as np
            folder = sys.argv[1]
            os.environ['YOLO_CONFIG_DIR'] = folder + '/ultralytics-config'
            os.environ['YOLO_OFFLINE'] = '1'
            from PIL import Image
            from ultralytics.data.utils import verify_image_label, polygon2mask, check_det_dataset
            data = check_det_dataset(folder + '/out/data.yaml', autodownload=False)
            assert data['names'] == {0: 'ring', 1: 'parts', 2: 'line', 3: 'corner'}, data['names']
            assert data['nc'] == 4
            ious = []
            for stem in ['photo', 'empty']:
                im_file, lb_file = f'{folder}/out/images/{stem}.png', f'{folder}/out/labels/{stem}.txt'
                result = verify_image_label((im_file, lb_file, '', False, 4, 0, 0, False))
                im, lb, shape, segments, keypoints, nm, nf, ne, nc, msg = result
                assert (nm, nf, nc, msg) == (0, 1, 0, ''), (stem, nm, nf, nc, msg)
                if stem == 'empty':
                    assert ne == 1 and len(lb) == 0
                    continue
                h, w = shape
                assert [int(c) for c in lb[:, 0]] == [0, 1, 2, 3, 0], lb[:, 0]
                for index, segment in enumerate(segments):
                    theirs = polygon2mask((h, w), [(segment * [w, h]).reshape(-1)]).astype(bool)
                    ours = np.array(Image.open(f'{folder}/expected_{index}.png')) > 0
                    ious.append(float((theirs & ours).sum() / (theirs | ours).sum()))
            print(' '.join(f'{iou:.4f}' for iou in ious), file=sys.stderr)
            print(' '.join(f'{iou:.4f}' for iou in ious))
            """, arguments: [folder])
        let ious = try XCTUnwrap(report.split(separator: "\n").last).split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(ious.count, 5, report)
        print("Ultralytics polygon2mask IoU per object:", ious)
        for (index, iou) in ious.enumerated() {
            XCTAssertGreaterThanOrEqual(iou, 0.98, "object \(index + 1): Ultralytics' mask of our polygon has IoU \(iou)")
        }
    }

    func testLabelLinesAndCopies() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        try PNGWriter(image: ExportTestSupport.gradientImage(width: 20, height: 10)).write(to: folder + "/a.png")
        var square = BinaryMask(width: 20, height: 10)
        for y in 2..<6 { for x in 4..<9 { square[x, y] = true } }
        var options = DatasetOptions()
        options.copyImages = true
        let export = DatasetExport(formats: [.yolo], folder: folder + "/out", options: options,
                                   classes: ClassList(names: ["sky", "box"], fixed: true))
        let given = [Polygon(points: [PolygonPoint(x: 1, y: 1), PolygonPoint(x: 10, y: 1), PolygonPoint(x: 10, y: 5)])]
        try export.add(DatasetImage(path: folder + "/a.png", fileName: "a.png", width: 20, height: 10, objects: [
            DatasetObject(id: 1, className: "box", mask: square),
            DatasetObject(id: 2, className: "sky", mask: square, polygons: given),
        ]))
        try export.finish()
        // Through the boundary pixels' centres: x 4.5...8.5 of 20, y 2.5...5.5 of 10.
        XCTAssertEqual(try String(contentsOfFile: folder + "/out/labels/a.txt", encoding: .utf8),
                       "1 0.225 0.25 0.425 0.25 0.425 0.55 0.225 0.55\n0 0.05 0.1 0.5 0.1 0.5 0.5\n")
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/out/images/a.png"))
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/out/images/a.png"), FileManager.default.contents(atPath: folder + "/a.png"))
        XCTAssertEqual(YOLOWriter.existingClasses(in: folder + "/out"), ["sky", "box"])
    }

    func testBridgingVisitsEveryRingOnce() {
        let outer = Polygon(points: [PolygonPoint(x: 0, y: 0), PolygonPoint(x: 10, y: 0), PolygonPoint(x: 10, y: 10), PolygonPoint(x: 0, y: 10)])
        let hole = Polygon(points: [PolygonPoint(x: 4, y: 4), PolygonPoint(x: 4, y: 6), PolygonPoint(x: 6, y: 6), PolygonPoint(x: 6, y: 4)])
        let bridged = PolygonBridging.single([outer, hole])
        XCTAssertEqual(bridged.points.count, 4 + 4 + 2)
        // Entered from the outer corner nearest the hole (0,0 to 4,4), round the hole, and back.
        XCTAssertEqual(Array(bridged.points.prefix(7)), [outer.points[0], hole.points[0], hole.points[1], hole.points[2], hole.points[3],
                                                         hole.points[0], outer.points[0]])
        // Even-odd filling leaves the hole empty.
        XCTAssertTrue(bridged.contains(x: 2, y: 5))
        XCTAssertFalse(bridged.contains(x: 5, y: 5))
    }
}
