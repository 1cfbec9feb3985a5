import Foundation
import Segmentation
import XCTest

final class NumpyArrayTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sam2")

    /// A version 1.0 file with the given header text (padded as NumPy pads it) and data.
    func npy(header: String, data: [UInt8]) -> [UInt8] {
        var text = header
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = text.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8) + data
    }

    func testReadsFilesWrittenByNumPy() throws {
        let scores = try NumpyArray.read(path: Self.fixtures.appendingPathComponent("point_multimask_scores.npy").path)
        XCTAssertEqual(scores.shape, [3])
        XCTAssertEqual(scores.floats?.count, 3)
        let image = try NumpyArray.read(path: Self.fixtures.appendingPathComponent("image_wide.npy").path)
        XCTAssertEqual(image.shape, [48, 64, 3])
        XCTAssertEqual(image.bytes?.count, 48 * 64 * 3)
    }

    func testRoundTripsFloatsAndBytes() throws {
        let floats = NumpyArray(shape: [2, 3], floats: [0, -1.5, 2, .infinity, 1e-30, 32])
        XCTAssertEqual(try NumpyArray.decode(floats.encoded(), source: "f"), floats)
        let bytes = NumpyArray(shape: [4], bytes: [0, 1, 255, 7])
        XCTAssertEqual(try NumpyArray.decode(bytes.encoded(), source: "b"), bytes)
        let scalar = NumpyArray(shape: [], floats: [3])
        XCTAssertEqual(try NumpyArray.decode(scalar.encoded(), source: "s"), scalar)
        // NumPy pads the preamble to a multiple of 64 bytes.
        XCTAssertEqual((floats.encoded().count - 24) % 64, 0)
    }

    func testWritesWhatNumPyWrites() throws {
        // np.save of np.array([[1, 2]], np.float32), byte for byte.
        let expected = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
                           data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        XCTAssertEqual(NumpyArray(shape: [1, 2], floats: [1, 2]).encoded(), expected)
    }

    func testConvertsFloat64AndBool() throws {
        var data: [UInt8] = []
        for value in [1.5, -2.0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        let doubles = try NumpyArray.decode(npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: data), source: "d")
        XCTAssertEqual(doubles.floats, [1.5, -2])
        let bools = try NumpyArray.decode(npy(header: "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: [0, 1, 1]), source: "m")
        XCTAssertEqual(bools.bytes, [0, 1, 1])
    }

    func testRejectsHostileOrUnsupportedFiles() {
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("not npy", Array("hello world, not numpy".utf8)),
            ("truncated header", Array(npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]).prefix(30))),
            ("short data", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: [0, 0, 0, 0])),
            ("long data", npy(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", data: [0, 0])),
            ("huge shape", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", data: [])),
            ("overflowing dimension", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", data: [])),
            ("negative dimension", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", data: [])),
            ("fortran order", npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", data: [0, 0, 0, 0])),
            ("big endian", npy(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])),
            ("object array", npy(header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: [0])),
            ("missing shape", npy(header: "{'descr': '<f4', 'fortran_order': False, }", data: [])),
            ("unknown key", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", data: [0, 0, 0, 0])),
            ("unterminated", npy(header: "{'descr': '<f4", data: [])),
            ("trailing text", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), } junk", data: [0, 0, 0, 0])),
            ("version 9", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 9, 0, 0, 0]),
        ]
        for (name, bytes) in cases {
            XCTAssertThrowsError(try NumpyArray.decode(bytes, source: "\(name).npy"), name) { error in
                guard let error = error as? NumpyError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.path, "\(name).npy")
                XCTAssertFalse(error.reason.isEmpty)
            }
        }
    }

    func testRandomDamageNeverCrashes() {
        var generator = SplitMix64(seed: 20240917)  // a fixed seed makes any failure reproducible
        let valid = NumpyArray(shape: [3, 4], floats: (0..<12).map(Float.init)).encoded()
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))) }
            _ = try? NumpyArray.decode(bytes, source: "damaged.npy")
        }
    }

    func testMissingFileNamesIt() {
        XCTAssertThrowsError(try NumpyArray.read(path: "/nonexistent/logits.npy")) { error in
            XCTAssertEqual((error as? NumpyError)?.path, "/nonexistent/logits.npy")
        }
    }
}
