import Foundation
import Segmentation
import XCTest

/// Our COCO files, read back by the real pycocotools and compared pixel for pixel with our PNGs
/// (decoded by an independent reader).
final class COCOExportTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private func sampleObjects(width: Int, height: Int) -> [ExportObject] {
        var generator = SplitMix64(seed: 31)
        let names: [String?] = ["car", "tree", nil, "car", "ghost"]
        return names.enumerated().map { index, name in
            let mask = name == "ghost"
                ? BinaryMask(width: width, height: height)
                : Support.blobMask(width: width, height: height, shapes: 1 + index, generator: &generator)
            let steps = [
                Session.Step(points: [Session.Point(x: 10.5, y: 12.5, foreground: true)], multimask: true,
                             maskInput: false, candidate: 2),
                Session.Step(points: [Session.Point(x: 10.5, y: 12.5, foreground: true), Session.Point(x: 3, y: 4, foreground: false)],
                             box: Session.Box(x0: 1, y0: 2, x1: 30, y1: 40), multimask: false, maskInput: true, candidate: 0),
            ]
            return ExportObject(id: index + 1, name: name, color: ObjectPalette.color(at: index), mask: mask,
                                score: 0.5 + Double(index) / 10, steps: steps)
        }
    }

    func testPycocotoolsDecodesOurFileToOurPNGMasks() throws {
        let folder = try Support.makeScratchFolder(self)
        let width = 71, height = 53
        let exporter = Exporter(image: Support.gradientImage(width: width, height: height), imagePath: "/data/scene.png",
                                objects: sampleObjects(width: width, height: height), model: "sam2.1_hiera_t")
        try exporter.write(formats: [.png, .labelmap, .cutout, .coco, .polygons], to: folder)

        let script = Support.pythonPNGReader + """
        import json, sys
        from pycocotools.coco import COCO
        from pycocotools import mask as mask_utils
        folder = sys.argv[1]
        coco = COCO(folder + '/scene_coco.json')
        document = json.load(open(folder + '/scene_coco.json'))
        assert [i['file_name'] for i in document['images']] == ['scene.png'], document['images']
        assert document['images'][0]['width'] == 71 and document['images'][0]['height'] == 53
        assert [(c['id'], c['name']) for c in document['categories']] == [(1, 'car'), (2, 'tree'), (3, 'object'), (4, 'ghost')], document['categories']
        masks = ['scene_mask_01_car.png', 'scene_mask_02_tree.png', 'scene_mask_03.png', 'scene_mask_04_car.png', 'scene_mask_05_ghost.png']
        labels, depth = read_png(folder + '/scene_labels.png')
        assert depth == 8, depth
        expected_labels = np.zeros((53, 71), dtype=np.int64)
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
        assert [a['id'] for a in annotations] == [1, 2, 3, 4, 5]
        assert [a['category_id'] for a in annotations] == [1, 2, 3, 1, 4]
        for annotation, name in zip(annotations, masks):
            png, depth = read_png(folder + '/' + name)
            assert depth == 8 and set(np.unique(png)) <= {0, 255}, name
            ours = (png == 255).astype(np.uint8)
            theirs = coco.annToMask(annotation)
            assert theirs.shape == ours.shape, (name, theirs.shape)
            assert (theirs == ours).all(), name + ': pycocotools decodes a different mask'
            encoded = mask_utils.encode(np.asfortranarray(ours))
            assert annotation['segmentation']['counts'] == encoded['counts'].decode(), name + ': RLE string differs'
            assert annotation['segmentation']['size'] == [53, 71]
            assert annotation['area'] == int(ours.sum()) == int(mask_utils.area(encoded)), name
            assert annotation['bbox'] == [int(v) for v in mask_utils.toBbox(encoded)], (name, annotation['bbox'])
            assert annotation['iscrowd'] == 0 and annotation['image_id'] == 1
            assert 0 < annotation['score'] < 1
            assert annotation['prompts']['points'] == [[10.5, 12.5, 1], [3, 4, 0]], annotation['prompts']
            assert annotation['prompts']['box'] == [1, 2, 30, 40]
            expected_labels[(ours == 1) & (expected_labels == 0)] = annotation['id']  # the first object wins
            if ours.any():
                cutout, depth = read_png(folder + '/' + name.replace('_mask_', '_cutout_'))
                x, y, w, h = annotation['bbox']
                assert cutout.shape == (h, w, 4), (name, cutout.shape)
                assert ((cutout[:, :, 3] == 255) == (ours[y:y + h, x:x + w] == 1)).all(), name + ': cut-out alpha'
        assert (labels == expected_labels).all(), 'label map differs from the masks'

        # Polygons: pycocotools rasterises them close to the masks (edges differ by sampling).
        polygons = COCO(folder + '/scene_polygons.json')
        kept = polygons.loadAnns(polygons.getAnnIds())
        assert [a['id'] for a in kept] == [1, 2, 3, 4], 'the empty mask has no polygon'
        for annotation, name in zip(kept, masks):
            png, _ = read_png(folder + '/' + name)
            ours = png == 255
            theirs = polygons.annToMask(annotation).astype(bool)
            iou = (ours & theirs).sum() / (ours | theirs).sum()
            assert iou > 0.85, (name, iou)
        print('ok')
        """
        let output = try Support.runPython(script, arguments: [folder])
        XCTAssertTrue(output.hasSuffix("ok\n"), output)
    }

    func testSixteenBitLabelMapBeyond255Objects() throws {
        let folder = try Support.makeScratchFolder(self)
        let width = 30, height = 20
        let objects = (0..<300).map { index -> ExportObject in
            var mask = BinaryMask(width: width, height: height)
            mask[index % width, index / width] = true
            return ExportObject(id: index + 1, color: ObjectPalette.color(at: index), mask: mask)
        }
        let exporter = Exporter(image: Support.gradientImage(width: width, height: height), imagePath: "grid.png", objects: objects)
        try exporter.write(formats: [.labelmap], to: folder)
        let script = Support.pythonPNGReader + """
        import sys
        labels, depth = read_png(sys.argv[1] + '/grid_labels.png')
        assert depth == 16, depth
        flat = labels.reshape(-1)
        assert list(flat[:300]) == list(range(1, 301)), flat[:300]
        assert (flat[300:] == 0).all()
        print('ok')
        """
        XCTAssertEqual(try Support.runPython(script, arguments: [folder]), "ok\n")
    }
}
