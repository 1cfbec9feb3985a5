// What `segment` and `auto` do to the paths they are given and with a damaged checkpoint: a
// device, a FIFO or a link is never replaced by a file, an image's outputs are placed all or
// none, and NaN in the weights is refused in words before anything is written.
import Foundation
import Segmentation
import XCTest

final class OutputSafetyTests: XCTestCase {
    private var folder: URL!
    private static let fixtures = EditorEndToEndTests.fixtures
    private static let image = fixtures.appendingPathComponent("image_wide.png").path  // 64 x 48
    private static let checkpoint = fixtures.appendingPathComponent("tiny_sam2.1.pt").path

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func segment(_ arguments: [String], checkpoint: String = checkpoint) throws -> SamtermRun {
        try SamtermRun.run(["segment", Self.image, "--checkpoint", checkpoint, "--device", "cpu", "--point", "30,20"] + arguments)
    }

    private func fileKind(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    func testADeviceIsWrittenToAndTheOtherOutputsAreNotPlaced() throws {
        let out = path("out")
        let run = try segment(["--out", out, "--overlay", "/dev/full"])
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("/dev/full") && run.errors.contains("disk is full"), run.errors)
        XCTAssertEqual(run.errors.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, run.errors)
        XCTAssertEqual(fileKind("/dev/full"), S_IFCHR, "/dev/full is still the device")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], "the image's outputs are a set: none placed")

        let discarded = try segment(["--overlay", "/dev/null"])
        XCTAssertEqual(discarded.status, 0, discarded.errors)
        XCTAssertEqual(fileKind("/dev/null"), S_IFCHR)
    }

    func testALinkIsWrittenThroughAndAFifoIsWrittenTo() throws {
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("target.png")))
        XCTAssertEqual(symlink("target.png", path("link.png")), 0)
        let linked = try segment(["--overlay", path("link.png")])
        XCTAssertEqual(linked.status, 0, linked.errors)
        XCTAssertEqual(fileKind(path("link.png")), S_IFLNK, "the link stays a link")
        XCTAssertEqual(try RGBImage.load(path: path("target.png")).width, 64, "its target holds the overlay")

        let fifo = path("pipe.png")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        nonisolated(unsafe) var received = Data()
        let reader = Thread { received = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data() }
        reader.start()
        let piped = try segment(["--overlay", fifo])
        XCTAssertEqual(piped.status, 0, piped.errors)
        let deadline = Date().addingTimeInterval(5)
        while received.isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(Array(received.prefix(4)), [0x89, 0x50, 0x4e, 0x47], "the reader got a PNG")
        XCTAssertEqual(fileKind(fifo), S_IFIFO, "still a FIFO")
    }

    /// The fixture checkpoint with one float of record 5 (image_encoder.trunk.pos_embed: record 0
    /// is a video memory tensor the image path never reads) turned into NaN (torch's
    /// zip archives store records uncompressed, and samterm's reader, like torch's, has no CRC
    /// check to trip over first).
    private func checkpointWithNaN() throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.checkpoint)))
        // Local headers are found by their signature: torch writes sizes after the data
        // (a data descriptor), so they cannot be walked by size.
        let signature: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
        for offset in 0..<(bytes.count - 30) where bytes[offset] == 0x50 && bytes[offset..<(offset + 4)].elementsEqual(signature) {
            func field(_ at: Int) -> Int { Int(bytes[offset + at]) | Int(bytes[offset + at + 1]) << 8 }
            let nameLength = field(26), extraLength = field(28)
            guard offset + 30 + nameLength <= bytes.count else { continue }
            let name = String(decoding: bytes[(offset + 30)..<(offset + 30 + nameLength)], as: UTF8.self)
            guard name.hasSuffix("/data/5") else { continue }
            let data = offset + 30 + nameLength + extraLength
            bytes.replaceSubrange(data..<(data + 4), with: [0x00, 0x00, 0xc0, 0x7f])  // a quiet NaN, little-endian
            let damaged = path("nan.pt")
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            return damaged
        }
        throw RealTerminalError("no data/5 record in \(Self.checkpoint)")
    }

    func testACheckpointHoldingNaNIsRefusedAndNothingIsWritten() throws {
        let damaged = try checkpointWithNaN()
        let out = path("out")
        let run = try segment(["--out", out, "--overlay", path("overlay.png")], checkpoint: damaged)
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("nan.pt") && run.errors.contains("not finite"), run.errors)
        XCTAssertFalse(run.errors.contains("JSON"), run.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("overlay.png")))

        let auto = try SamtermRun.run(["auto", Self.image, "--checkpoint", damaged, "--device", "cpu", "--out", path("auto")])
        XCTAssertEqual(auto.status, 1, "not 0 masks and success: \(auto.errors)")
        XCTAssertTrue(auto.errors.contains("not finite"), auto.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("auto/image_wide.json")))
    }
}
