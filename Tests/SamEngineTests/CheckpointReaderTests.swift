import Foundation
import SamEngine
import Segmentation
import XCTest

/// The engine's torch.save reader against real files written by torch (tools/make_checkpoint_fixtures.py).
final class CheckpointReaderTests: XCTestCase {
    struct Expected: Decodable {
        struct Tensor: Decodable {
            let name: String
            let dtype: String
            let shape: [Int]
            let strides: [Int]
            let storage_offset: Int
            let values: [Double]
        }
        struct Readable: Decodable {
            let model: String
            let tensors: [Tensor]
        }
        struct Broken: Decodable {
            let status: Int
            let contains: String
        }
        struct Preset: Decodable {
            let model: String
            let tensors: Int
            let values: Int
        }
        let readable: [String: Readable]
        let broken: [String: Broken]
        let presets: [String: Preset]
    }

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SamEngineTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/checkpoint")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: folder.appendingPathComponent(name))) }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    // MARK: readable files

    func testEveryReadableFixtureMatchesTorch() throws {
        let expected = try Self.expected()
        XCTAssertGreaterThanOrEqual(expected.readable.count, 6)
        for (file, want) in expected.readable.sorted(by: { $0.key < $1.key }) {
            let checkpoint = try Checkpoint(path: Self.path(file))
            try assertMatches(checkpoint, want, file: file)
        }
    }

    func testReadingFromMemoryGivesTheSameTensors() throws {
        let expected = try Self.expected()
        for (file, want) in expected.readable {
            let checkpoint = try Checkpoint(bytes: try Self.bytes(file), name: file)
            try assertMatches(checkpoint, want, file: file)
        }
    }

    private func assertMatches(_ checkpoint: Checkpoint, _ want: Expected.Readable, file: String) throws {
        XCTAssertEqual(checkpoint.modelName, want.model, file)
        XCTAssertEqual(checkpoint.tensors.map(\.name), want.tensors.map(\.name), file)
        for (index, (got, expected)) in zip(checkpoint.tensors, want.tensors).enumerated() {
            let label = "\(file): \(expected.name)"
            XCTAssertEqual(got.dtype.rawValue, expected.dtype, label)
            XCTAssertEqual(got.shape, expected.shape, label)
            XCTAssertEqual(got.strides, expected.strides, label)
            XCTAssertEqual(got.storageOffset, expected.storage_offset, label)
            XCTAssertEqual(got.count, expected.values.count, label)
            // Exact: every dtype converts to double without rounding.
            XCTAssertEqual(try checkpoint.values(at: index), expected.values, label)
        }
    }

    func testSamTwoLayoutIsFlattenedWithDots() throws {
        let checkpoint = try Checkpoint(path: Self.path("nested.pt"))
        XCTAssertEqual(checkpoint.tensors.map(\.name), ["model.weight", "model.bias", "extra.deeper.t"])
        XCTAssertEqual(try checkpoint.values(named: "extra.deeper.t"), [0, 1, 2])
        XCTAssertNil(try checkpoint.values(named: "epoch"), "non-tensor values are not tensors")
    }

    func testViewsOfOneStorageReadTheirOwnElements() throws {
        let checkpoint = try Checkpoint(path: Self.path("views.pt"))
        XCTAssertEqual(try checkpoint.values(named: "sliced"), [8, 9, 10, 14, 15, 16])
        XCTAssertEqual(try checkpoint.values(named: "transposed")?.prefix(4), [0, 6, 12, 18])
        XCTAssertEqual(try checkpoint.values(named: "expanded"), [1.5, -1, 1.5, -1, 1.5, -1])
        XCTAssertEqual(try checkpoint.values(named: "empty"), [])
        XCTAssertEqual(try checkpoint.values(named: "scalar"), [3.25])
    }

    // MARK: broken files

    func testBrokenFixturesFailWithTheirReason() throws {
        let expected = try Self.expected()
        XCTAssertGreaterThanOrEqual(expected.broken.count, 6)
        for (file, want) in expected.broken.sorted(by: { $0.key < $1.key }) {
            let path = Self.path(file)
            XCTAssertThrowsError(try Checkpoint(path: path), file) { error in
                guard let error = error as? EngineError else { return XCTFail("\(file): \(error)") }
                XCTAssertEqual(error.status, .format, file)
                XCTAssertEqual(Int(SAM_ERROR_FORMAT.rawValue), want.status)
                XCTAssertTrue(error.message.hasPrefix(path + ": "), "\(file): \(error.message)")
                XCTAssertTrue(error.message.contains(want.contains), "\(file): \(error.message)")
                XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)")
            }
        }
    }

    func testMissingFileIsAnIOErrorNamingIt() {
        let path = Self.path("no-such-checkpoint.pt")
        XCTAssertThrowsError(try Checkpoint(path: path)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .io)
            XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint(path: Self.folder.path)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .io, "a directory is not a checkpoint")
        }
    }

    func testEmptyAndForeignBytesAreFormatErrors() {
        let cases: [(bytes: [UInt8], phrase: String)] = [
            ([], "empty"),
            (Array("version https://git-lfs.github.com/spec/v1\noid sha256:00\n".utf8), "Git LFS"),
            ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "89 50 4e 47"),
            (Array("PK\u{5}\u{6}".utf8) + [UInt8](repeating: 0, count: 18), "without <folder>/data.pkl"),
        ]
        for (bytes, phrase) in cases {
            XCTAssertThrowsError(try Checkpoint(bytes: bytes, name: "memory.pt")) { error in
                XCTAssertEqual((error as? EngineError)?.status, .format)
                XCTAssertTrue("\(error)".hasPrefix("memory.pt: "), "\(error)")
                XCTAssertTrue("\(error)".contains(phrase), "\(error)")
            }
        }
    }

    func testCallerMistakesAreArgumentErrors() throws {
        let bytes = try Self.bytes("dtypes.pt")
        var handle: OpaquePointer?
        var error = sam_error()
        XCTAssertEqual(bytes.withUnsafeBytes { sam_checkpoint_open_bytes($0.baseAddress, $0.count, "d.pt", &handle, &error) }, SAM_OK)
        defer { sam_checkpoint_free(handle) }
        var info = sam_tensor_info()
        XCTAssertEqual(sam_checkpoint_tensor_info(handle, 99, &info, &error), SAM_ERROR_ARGUMENT)
        XCTAssertEqual(sam_checkpoint_tensor_info(handle, 0, &info, &error), SAM_OK)
        var small = [Double](repeating: 0, count: Int(info.numel) - 1)
        XCTAssertEqual(sam_checkpoint_tensor_values(handle, 0, &small, small.count, &error), SAM_ERROR_ARGUMENT)
        XCTAssertEqual(sam_checkpoint_open(nil, &handle, &error), SAM_ERROR_ARGUMENT)
        XCTAssertNil(handle)
        XCTAssertEqual(sam_checkpoint_tensor_count(nil), 0)
        XCTAssertEqual(String(cString: sam_checkpoint_model_name(nil)), "unknown")
    }

    // MARK: preset detection

    /// Files holding every tensor name of an official model at its true shape (each a stride-0
    /// view of one element, so they are small): detection must name the model and release.
    func testPresetIsDetectedFromNamesAndShapes() throws {
        let expected = try Self.expected()
        XCTAssertEqual(Set(expected.presets.values.map(\.model)), ["sam2.1_hiera_t", "sam2_hiera_t", "sam_vit_b"])
        for (file, want) in expected.presets {
            let checkpoint = try Checkpoint(path: Self.path(file))
            XCTAssertEqual(checkpoint.modelName, want.model, file)
            XCTAssertEqual(checkpoint.tensors.count, want.tensors, file)
            XCTAssertEqual(checkpoint.valueCount, want.values, file)
        }
    }

    func testSmallStateDictsAreUnknownModels() throws {
        for file in ["state_dict.pt", "nested.pt", "dtypes.pt", "views.pt"] {
            XCTAssertEqual(try Checkpoint(path: Self.path(file)).modelName, "unknown", file)
        }
    }

    // MARK: hostile bytes

    /// Seeded mutations of real archives: every input must either open (and then read every tensor
    /// without fault) or fail with a one-line format error naming the input. A crash or hang fails.
    func testMutatedArchivesNeverCrash() throws {
        let seeds = try ["state_dict.pt", "nested.pt", "dtypes.pt", "views.pt", "parameters.pt", "protocol4.pt",
                         "legacy.pt", "torchscript.pt"].map { Mutation.Seed(bytes: try Self.bytes($0)) }
        var random = SplitMix64(seed: 0x5A4D_7465_726D)
        var opened = 0
        let iterations = 100_000
        var values = [Double](repeating: 0, count: 1 << 16)
        for iteration in 0..<iterations {
            let seed = seeds[iteration % seeds.count]
            var bytes = seed.bytes
            Mutation.apply(random.next() % Mutation.kinds, to: &bytes, landmarks: seed, random: &random)
            var handle: OpaquePointer?
            var error = sam_error()
            let status = bytes.withUnsafeBytes { sam_checkpoint_open_bytes($0.baseAddress, $0.count, "mutant.pt", &handle, &error) }
            guard status == SAM_OK else {
                XCTAssertNil(handle)
                if status != SAM_ERROR_FORMAT {
                    return XCTFail("iteration \(iteration): status \(status.rawValue): \(message(error))")
                }
                let text = message(error)
                if !text.hasPrefix("mutant.pt: ") || text.contains("\n") {
                    return XCTFail("iteration \(iteration): malformed message: \(text)")
                }
                continue
            }
            opened += 1
            for index in 0..<sam_checkpoint_tensor_count(handle) {
                var info = sam_tensor_info()
                XCTAssertEqual(sam_checkpoint_tensor_info(handle, index, &info, &error), SAM_OK)
                // A stride-0 view may legitimately claim many values; read the ones that fit.
                guard info.numel <= Int64(values.count) else { continue }
                XCTAssertEqual(sam_checkpoint_tensor_values(handle, index, &values, values.count, &error), SAM_OK)
            }
            _ = sam_checkpoint_model_name(handle)
            sam_checkpoint_free(handle)
        }
        // Mutations that miss every structure still open: the test exercises both paths.
        XCTAssertGreaterThan(opened, 100)
        XCTAssertLessThan(opened, iterations)
    }

    private func message(_ error: sam_error) -> String {
        withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension SplitMix64 {
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}

/// Ways of damaging an archive: bit flips, truncation, inserted bytes, and corrupted length or
/// offset fields in the zip headers and the pickle.
enum Mutation {
    static let kinds: UInt64 = 6

    /// A fixture with the places worth corrupting found once, not per mutation.
    struct Seed {
        let bytes: [UInt8]
        let zipHeaders: [(start: Int, length: Int)]  // signature offset, fixed header length
        let pickleArguments: [Int]                   // first byte after a length / memo opcode

        init(bytes: [UInt8]) {
            self.bytes = bytes
            let signatures: [(tag: UInt8, length: Int)] = [(0x03, 30), (0x01, 46), (0x05, 22), (0x06, 56)]
            var headers: [(start: Int, length: Int)] = []
            var arguments: [Int] = []
            // 'X' BINUNICODE, 'q' BINPUT, 'h' BINGET, 'r' LONG_BINPUT, 'j' LONG_BINGET, 'K' BININT1,
            // 0x8c SHORT_BINUNICODE, 0x95 FRAME
            let opcodes: Set<UInt8> = [0x58, 0x71, 0x68, 0x72, 0x6A, 0x4B, 0x8C, 0x95]
            for index in bytes.indices {
                if opcodes.contains(bytes[index]) { arguments.append(index + 1) }
                guard index + 3 < bytes.count, bytes[index] == 0x50, bytes[index + 1] == 0x4B else { continue }
                for signature in signatures where bytes[index + 2] == signature.tag {
                    // 0x06 0x06: zip64 end record; 0x06 0x07: its locator (20 bytes).
                    let length = signature.tag == 0x06 && bytes[index + 3] == 0x07 ? 20 : signature.length
                    headers.append((index, length))
                }
            }
            zipHeaders = headers
            pickleArguments = arguments
        }
    }

    static func apply(_ kind: UInt64, to bytes: inout [UInt8], landmarks: Seed, random: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        switch kind {
        case 0:  // a few bit flips
            for _ in 0...random.below(4) {
                bytes[random.below(bytes.count)] ^= UInt8(1) << UInt8(random.below(8))
            }
        case 1:  // truncation
            bytes.removeSubrange(random.below(bytes.count)...)
        case 2:  // inserted bytes
            let at = random.below(bytes.count + 1)
            bytes.insert(contentsOf: (0...random.below(8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        case 3:  // a zip header field (sizes, offsets, counts, name lengths) set to an extreme value
            guard !landmarks.zipHeaders.isEmpty else { return }
            let header = landmarks.zipHeaders[random.below(landmarks.zipHeaders.count)]
            let width = [2, 4, 8][random.below(3)]
            overwrite(&bytes, at: header.start + 4 + random.below(max(1, header.length - 4 - width)), width: width,
                      random: &random)
        case 4:  // a pickle string length, memo index or frame size
            guard !landmarks.pickleArguments.isEmpty else { return }
            let at = landmarks.pickleArguments[random.below(landmarks.pickleArguments.count)]
            overwrite(&bytes, at: at, width: [1, 4, 8][random.below(3)], random: &random)
        default:  // random bytes overwritten
            for _ in 0...random.below(4) {
                bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            }
        }
    }

    private static func overwrite(_ bytes: inout [UInt8], at: Int, width: Int, random: inout SplitMix64) {
        let extremes: [UInt64] = [0, 1, 0xFF, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt64.max, UInt64.max / 2]
        let value = random.below(3) == 0 ? random.next() : extremes[random.below(extremes.count)]
        for offset in 0..<width where at + offset < bytes.count {
            bytes[at + offset] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset)))
        }
    }
}
