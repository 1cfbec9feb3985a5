// The voc and labelme exports, read back by what their users read them with: PIL for VOC's
// palette PNGs, labelme's own label-file reader and shape_to_mask for LabelMe.

import Foundation
import Segmentation
import XCTest

final class VOCAndLabelMeExportTests: XCTestCase {
    private func box(_ x: Range<Int>, _ y: Range<Int>, width: Int = 60, height: Int = 40) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for row in y { for column in x { mask[column, row] = true } }
        return mask
    }

    private func export(_ formats: [DatasetFormat], _ images: [DatasetImage], folder: String, options: DatasetOptions = DatasetOptions(),
                        classes: ClassList? = nil) throws -> DatasetExport {
        let export = DatasetExport(formats: formats, folder: folder, options: options, classes: classes)
        for image in images { try export.add(image) }
        try export.finish()
        return export
    }

    func testVOCPalettePNGsHoldClassAndObjectIdsAndVoidOnlyWhenAsked() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let objects = [DatasetObject(id: 1, className: "cat", mask: box(5..<20, 5..<15)),
                       DatasetObject(id: 2, className: "dog", mask: box(15..<30, 10..<25)),   // under the cat where they overlap
                       DatasetObject(id: 3, className: "cat", mask: box(40..<50, 20..<30))]
        let image = DatasetImage(path: folder + "/a.jpg", fileName: "a.jpg", width: 60, height: 40, objects: objects)
        _ = try export([.voc], [image], folder: folder + "/plain")
        var options = DatasetOptions()
        options.vocVoidBorder = 3
        _ = try export([.voc], [image], folder: folder + "/void", options: options)
        XCTAssertEqual(try String(contentsOfFile: folder + "/plain/ImageSets/Segmentation/default.txt", encoding: .utf8), "a\n")
        XCTAssertEqual(try String(contentsOfFile: folder + "/plain/labelmap.txt", encoding: .utf8),
                       "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:128,0,0::\ndog:0,128,0::\n")
        XCTAssertEqual(VOCWriter.existingClasses(in: folder + "/plain"), ["cat", "dog"])
        let report = try ExportTestSupport.runPython("""
            import sys, numpy as np
            from PIL import Image
            folder = sys.argv[1]
            def voc_palette():
                out = []
                for i in range(256):
                    r = g = b = 0; c = i
                    for j in range(8):
                        r |= ((c >> 0) & 1) << (7 - j); g |= ((c >> 1) & 1) << (7 - j); b |= ((c >> 2) & 1) << (7 - j); c >>= 3
                    out += [r, g, b]
                return out
            for kind in ['SegmentationClass', 'SegmentationObject']:
                for variant in ['plain', 'void']:
                    im = Image.open(f'{folder}/{variant}/{kind}/a.png')
                    assert im.mode == 'P', im.mode
                    assert im.getpalette()[:768] == voc_palette(), kind
            cls = np.array(Image.open(folder + '/plain/SegmentationClass/a.png'))
            obj = np.array(Image.open(folder + '/plain/SegmentationObject/a.png'))
            expected_obj = np.zeros((40, 60), np.uint8)
            expected_obj[20:30, 40:50] = 3; expected_obj[10:25, 15:30] = 2; expected_obj[5:15, 5:20] = 1
            assert (obj == expected_obj).all()
            assert (cls == np.array([0, 1, 2, 1])[expected_obj]).all()
            void = np.array(Image.open(folder + '/void/SegmentationObject/a.png'))
            vcls = np.array(Image.open(folder + '/void/SegmentationClass/a.png'))
            assert (void == 255).any() and not (obj == 255).any()
            assert ((void == 255) == (vcls == 255)).all()
            # Away from the boundaries the void PNG says what the plain one says.
            assert void[8, 10] == 1 and void[25, 45] == 3 and void[0, 0] == 0 and void[5, 10] == 255 and void[3, 10] == 255
            print('ok')
            """, arguments: [folder])
        XCTAssertEqual(report.split(separator: "\n").last, "ok")
    }

    func testLabelMeReadsItsFilesAndFillsThePolygonsBackToOurMasks() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
        try PNGWriter(image: ExportTestSupport.gradientImage(width: 120, height: 90)).write(to: folder + "/images/b.png")
        var generator = SplitMix64(seed: 5)
        var blobs: [BinaryMask] = []
        while blobs.count < 3 {
            let blob = ExportTestSupport.blobMask(width: 120, height: 90, shapes: 1, generator: &generator)
            if blob.area > 200 { blobs.append(blob) }
        }
        let twoParts = box(5..<20, 5..<20, width: 120, height: 90).union(box(60..<80, 50..<70, width: 120, height: 90))
        let objects = blobs.enumerated().map { DatasetObject(id: $0.offset + 1, className: "blob \($0.offset)", mask: $0.element) }
            + [DatasetObject(id: 4, className: "pair", mask: twoParts)]
        for (index, object) in objects.enumerated() {
            try PNGWriter(gray8: object.mask.grayBytes, width: 120, height: 90).write(to: "\(folder)/expected_\(index).png")
        }
        let image = DatasetImage(path: folder + "/images/b.png", fileName: "b.png", width: 120, height: 90, objects: objects)
        var options = DatasetOptions()
        options.labelmeFolder = folder + "/labels"
        _ = try export([.labelme], [image], folder: folder + "/unused", options: options)
        // Without a folder, beside the image.
        _ = try export([.labelme], [image], folder: folder + "/unused")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/images/b.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/unused"))

        let report = try ExportTestSupport.runPython("""
            import sys, numpy as np
            from PIL import Image
            from labelme import LabelFile
            from labelme.utils.shape import shape_to_mask
            folder = sys.argv[1]
            for path, image_path in [(folder + '/labels/b.json', '../images/b.png'), (folder + '/images/b.json', 'b.png')]:
                label = LabelFile(path)
                assert label.image_path == image_path, label.image_path
                by_label = {}
                for shape in label.shapes:
                    by_label.setdefault(shape['label'], []).append(shape)
                assert sorted(by_label) == ['blob 0', 'blob 1', 'blob 2', 'pair'], sorted(by_label)
                assert [s['group_id'] for s in by_label['pair']] == [4, 4]
                ious = []
                for index, name in enumerate(['blob 0', 'blob 1', 'blob 2', 'pair']):
                    theirs = np.zeros((90, 120), bool)
                    for shape in by_label[name]:
                        theirs |= shape_to_mask((90, 120), shape['points'], shape['shape_type'])
                    ours = np.array(Image.open(f'{folder}/expected_{index}.png')) > 0
                    ious.append((theirs & ours).sum() / (theirs | ours).sum())
            print(' '.join(f'{iou:.4f}' for iou in ious))
            """, arguments: [folder])
        let ious = try XCTUnwrap(report.split(separator: "\n").last).split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(ious.count, 4, report)
        print("labelme shape_to_mask IoU per object:", ious)
        // Blobs may hold holes, which LabelMe polygons fill: the shapes' masks hold ours and little else.
        for (index, iou) in ious.enumerated() { XCTAssertGreaterThanOrEqual(iou, 0.98, "object \(index + 1)") }
    }

    func testAnImageWithTooManyObjectsForVOCIsRefusedByName() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let objects = (0..<255).map { DatasetObject(id: $0 + 1, className: "c", mask: box($0 % 60..<($0 % 60 + 1), 0..<1)) }
        let export = DatasetExport(formats: [.voc], folder: folder, options: DatasetOptions(), classes: nil)
        XCTAssertThrowsError(try export.add(DatasetImage(path: "many.png", fileName: "many.png", width: 60, height: 40, objects: objects))) {
            XCTAssertTrue("\($0)".contains("many.png: 255 objects"), "\($0)")
        }
    }
}
