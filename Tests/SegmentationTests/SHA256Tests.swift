import Foundation
import Segmentation
import XCTest

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 examples and the NIST long-message vector.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hexDigest(of: Data()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(of: Data("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hexDigest(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the 55/56/64-byte padding boundaries, fed whole and in odd pieces.
    func testPaddingBoundariesAndIncrementalUpdates() {
        // SHA-256 of "a" * n for n = 55, 56, 63, 64, 65 (computed with Python's hashlib).
        let expected = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
        ]
        for (length, digest) in expected {
            let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            XCTAssertEqual(SHA256.hexDigest(of: Data(bytes)), digest, "length \(length)")
            var pieces = SHA256()
            pieces.update(Data(bytes.prefix(7)))
            pieces.update(bytes.dropFirst(7).prefix(30))
            pieces.update(Data(bytes.dropFirst(37)))
            XCTAssertEqual(pieces.hexDigest(), digest, "length \(length) in pieces")
        }
    }

    func testFileDigestMatchesInMemoryDigest() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        // Over the reader's 1 MiB chunk, and not a multiple of the block size.
        let bytes = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let path = folder + "/blob.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hexDigest(ofFileAt: path), SHA256.hexDigest(of: Data(bytes)))
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try SHA256.hexDigest(ofFileAt: "/nonexistent/photo.jpg")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/photo.jpg: "), "\(error)")
        }
    }
}
