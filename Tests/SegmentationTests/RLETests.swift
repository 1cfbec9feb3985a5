import Foundation
import Segmentation
import XCTest

final class RLETests: XCTestCase {
    private typealias Support = ExportTestSupport

    /// Masks with long runs, short runs and every edge case of the run layout.
    private func sampleMasks() -> [BinaryMask] {
        var generator = SplitMix64(seed: 2024)
        var masks: [BinaryMask] = []
        for (width, height) in [(64, 48), (37, 91), (200, 150), (1, 30), (30, 1)] {
            for shapes in [1, 3, 8] {
                masks.append(Support.blobMask(width: width, height: height, shapes: shapes, generator: &generator))
            }
            masks.append(Support.noiseMask(width: width, height: height, density: 0.5, generator: &generator))
            masks.append(Support.noiseMask(width: width, height: height, density: 0.03, generator: &generator))
        }
        masks.append(BinaryMask(width: 5, height: 4))  // all outside
        masks.append(BinaryMask(width: 5, height: 4, bytes: [UInt8](repeating: 1, count: 20)))  // all inside
        var firstPixel = BinaryMask(width: 6, height: 3)
        firstPixel[0, 0] = true  // starts inside: the first run is empty
        masks.append(firstPixel)
        var lastPixel = BinaryMask(width: 6, height: 3)
        lastPixel[5, 2] = true
        masks.append(lastPixel)
        // Runs far longer than 2^15 make counts of several 5-bit groups and large negative differences.
        var tall = BinaryMask(width: 3, height: 70_000)
        for y in 0..<70_000 where y < 10 || y > 50_000 { tall[1, y] = true }
        masks.append(tall)
        return masks
    }

    func testRunsGoDownColumnsStartingOutside() {
        // 3 wide, 2 high; column-major order is (0,0) (0,1) (1,0) (1,1) (2,0) (2,1).
        let mask = BinaryMask(width: 3, height: 2, bytes: [1, 0, 1,
                                                          1, 1, 0])
        let rle = RLE(mask: mask)
        XCTAssertEqual(rle.counts, [0, 2, 1, 2, 1])  // in, in | out | in, in | out
        XCTAssertEqual(rle.area, 4)
        XCTAssertEqual(rle.decode(), mask)
    }

    func testRoundTripThroughCompressedString() throws {
        for (index, mask) in sampleMasks().enumerated() {
            let rle = RLE(mask: mask)
            XCTAssertEqual(rle.counts.reduce(0) { $0 + Int($1) }, mask.width * mask.height, "mask \(index)")
            let decoded = try RLE(compressed: rle.compressedString, height: mask.height, width: mask.width)
            XCTAssertEqual(decoded.counts, rle.counts, "mask \(index)")
            XCTAssertEqual(decoded.decode(), mask, "mask \(index)")
            XCTAssertEqual(rle.area, mask.area, "mask \(index)")
        }
    }

    /// Our strings must be byte for byte what pycocotools' mask.encode writes for the same
    /// masks, and pycocotools must decode ours to the same pixels.
    func testStringsMatchPycocotools() throws {
        let masks = sampleMasks()
        let folder = try Support.makeScratchFolder(self)
        var raw = Data()
        for mask in masks { raw.append(contentsOf: mask.bytes) }
        try raw.write(to: URL(fileURLWithPath: folder + "/masks.bin"))
        let ours = masks.map { RLE(mask: $0).compressedString }
        let manifest: [[String: Any]] = zip(masks, ours).map { ["height": $0.height, "width": $0.width, "counts": $1] }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: folder + "/masks.json"))

        let script = """
        import json, sys
        import numpy as np
        from pycocotools import mask as mask_utils
        folder = sys.argv[1]
        manifest = json.load(open(folder + '/masks.json'))
        raw = np.fromfile(folder + '/masks.bin', dtype=np.uint8)
        offset, results = 0, []
        for entry in manifest:
            h, w = entry['height'], entry['width']
            pixels = raw[offset:offset + h * w].reshape(h, w)
            offset += h * w
            theirs = mask_utils.encode(np.asfortranarray(pixels))
            decoded = mask_utils.decode({'size': [h, w], 'counts': entry['counts'].encode()})
            results.append({'counts': theirs['counts'].decode(),
                            'decodes_equal': bool((decoded == pixels).all()),
                            'area': int(mask_utils.area(theirs))})
        print(json.dumps(results))
        """
        let output = try Support.runPython(script, arguments: [folder])
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        XCTAssertEqual(results.count, masks.count)
        for (index, result) in results.enumerated() {
            XCTAssertEqual(result["counts"] as? String, ours[index], "mask \(index): string differs from pycocotools")
            XCTAssertEqual(result["decodes_equal"] as? Bool, true, "mask \(index): pycocotools decodes ours differently")
            XCTAssertEqual(result["area"] as? Int, masks[index].area, "mask \(index)")
        }
    }

    func testHostileStringsAreRejectedNotCrashing() {
        // A 4x4 mask: counts must cover 16 pixels.
        let cases = [
            "0",           // covers no pixel
            "0?",          // covers 15
            "\u{7f}",      // above the alphabet
            " ",           // below it
            "P",           // continuation bit with nothing after
            "0000000000",  // zeros only
            "ooooooooo0",  // a count of nine groups
            "000O",        // a difference (-1) that makes a count negative
        ]
        for string in cases {
            XCTAssertThrowsError(try RLE(compressed: string, height: 4, width: 4), "\"\(string)\"")
        }
        XCTAssertThrowsError(try RLE(compressed: "\u{1F600}", height: 4, width: 4))
        XCTAssertThrowsError(try RLE(height: 2, width: 2, counts: [1, 1]))
        XCTAssertNoThrow(try RLE(compressed: "<", height: 4, width: 3))  // one run of 12 outside
    }

    func testDecodingErrorExplainsItself() {
        XCTAssertThrowsError(try RLE(compressed: "0A", height: 4, width: 4)) { error in
            XCTAssertTrue("\(error)".contains("invalid COCO RLE"), "\(error)")
        }
    }
}
