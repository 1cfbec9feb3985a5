// Telling a whole embedding file from a partial, foreign or hostile one without loading it.
import XCTest
import Foundation
@testable import Segmentation

final class EmbeddingFileHeaderTests: XCTestCase {
    /// An embedding file as the engine writes it (embedding_file.h), `floats` values long.
    private func file(model: String = "sam2.1_hiera_t", key: String = "abc", shapes: [[Int64]] = [[1, 2, 3], [4]],
                      floats: Int? = nil, magic: String = "SAMEMBED", version: UInt32 = 1) -> [UInt8] {
        var bytes = Array(magic.utf8)
        func u32(_ value: UInt32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
        u32(version)
        u32(UInt32(model.utf8.count)); bytes += Array(model.utf8)
        u32(UInt32(key.utf8.count)); bytes += Array(key.utf8)
        u32(640); u32(480)
        u32(UInt32(shapes.count))
        for shape in shapes {
            u32(UInt32(shape.count))
            for size in shape { bytes += withUnsafeBytes(of: size.littleEndian, Array.init) }
        }
        let count = floats ?? shapes.reduce(0) { $0 + Int($1.reduce(1, *)) }
        return bytes + [UInt8](repeating: 0, count: count * 4)
    }

    func testReadsTheFieldsAndTheSizeOfTheWholeFile() throws {
        let bytes = file()
        let header = try XCTUnwrap(EmbeddingFileHeader(parsing: bytes))
        XCTAssertEqual(header.modelName, "sam2.1_hiera_t")
        XCTAssertEqual(header.imageKey, "abc")
        XCTAssertEqual([header.width, header.height], [640, 480])
        XCTAssertEqual(header.tensorShapes, [[1, 2, 3], [4]])
        XCTAssertEqual(header.completeFileSize, bytes.count)
    }

    func testAFileIsCompleteOnlyWhenWholeAndForThisModelAndImage() throws {
        let folder = NSTemporaryDirectory() + "samterm-header-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/x.embedding"
        let whole = file()
        try Data(whole).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(EmbeddingFileHeader.isComplete(path: path, modelName: "sam2.1_hiera_t", imageKey: "abc"))
        XCTAssertFalse(EmbeddingFileHeader.isComplete(path: path, modelName: "sam2_hiera_t", imageKey: "abc"))
        XCTAssertFalse(EmbeddingFileHeader.isComplete(path: path, modelName: "sam2.1_hiera_t", imageKey: "abd"))
        try Data(whole.dropLast()).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(EmbeddingFileHeader.isComplete(path: path, modelName: "sam2.1_hiera_t", imageKey: "abc"), "truncated")
        try Data(whole + [0]).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(EmbeddingFileHeader.isComplete(path: path, modelName: "sam2.1_hiera_t", imageKey: "abc"), "trailing bytes")
        XCTAssertFalse(EmbeddingFileHeader.isComplete(path: folder + "/missing.embedding", modelName: "sam2.1_hiera_t", imageKey: "abc"))
    }

    func testForeignDamagedAndHostileHeadersAreRejected() {
        XCTAssertNil(EmbeddingFileHeader(parsing: file(magic: "SAMEMBEX")))
        XCTAssertNil(EmbeddingFileHeader(parsing: file(version: 2)))
        XCTAssertNil(EmbeddingFileHeader(parsing: Array(file().prefix(20))), "cut inside the header")
        XCTAssertNil(EmbeddingFileHeader(parsing: []))
        XCTAssertNil(EmbeddingFileHeader(parsing: file(shapes: [[Int64.max, 2]], floats: 0)))
        XCTAssertNil(EmbeddingFileHeader(parsing: file(shapes: [[Int64(Int32.max), Int64(Int32.max), Int64(Int32.max)]], floats: 0)),
                     "sizes whose product overflows")
        XCTAssertNil(EmbeddingFileHeader(parsing: file(shapes: Array(repeating: [1], count: 17))))
        XCTAssertNil(EmbeddingFileHeader(parsing: file(shapes: [Array(repeating: 1, count: 9)])))
        var hugeName = file()
        hugeName.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertNil(EmbeddingFileHeader(parsing: hugeName))
        for cut in 0..<60 {
            _ = EmbeddingFileHeader(parsing: Array(file().prefix(cut)))  // never traps
        }
    }
}
