// The record of what samterm exported (a session's `exports`), reading it back for listing a
// folder, and a new export replacing the files of the previous one.
import Foundation
import Segmentation
import XCTest

final class ExportRecordTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private let imageHash = String(repeating: "ab", count: 32)

    private func session(exports: [String]?) -> Session {
        Session(image: Session.ImageReference(path: "photo.jpg", sha256: imageHash, width: 8, height: 6),
                model: "sam2.1_hiera_t", objects: [], exports: exports)
    }

    private func touch(_ path: String) {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([1])), path)
    }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testTheRecordIsRelativeBelowTheSessionAndOlderSessionsHaveNone() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        XCTAssertEqual(store.recordedPath(ofExport: folder + "/samterm-export/photo_mask_01.png"), "samterm-export/photo_mask_01.png")
        XCTAssertEqual(store.recordedPath(ofExport: "/elsewhere/photo_coco.json"), "/elsewhere/photo_coco.json")
        try store.save(session(exports: ["samterm-export/photo_mask_01.png", "/elsewhere/photo_coco.json"]))
        let loaded = try XCTUnwrap(try store.load())
        XCTAssertEqual(store.exportedFiles(of: loaded), [folder + "/samterm-export/photo_mask_01.png", "/elsewhere/photo_coco.json"])

        // A session written before the record existed reads as it did, with no record.
        try store.save(session(exports: nil))
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        XCTAssertFalse(text.contains("exports"), "no field when nothing was exported: \(text)")
        XCTAssertNil(try store.load()?.exports)
        XCTAssertEqual(store.exportedFiles(of: try XCTUnwrap(try store.load())), [])
    }

    func testListingReadsTheRecordsAndSkipsBrokenSessionsWithoutTouchingThem() throws {
        let folder = try Support.makeScratchFolder(self)
        try SessionStore(imagePath: folder + "/photo.jpg").save(session(exports: ["photo_mask_01.png", "samterm-export/photo_coco.json"]))
        let corrupt = folder + "/other.png.samterm.json"
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: corrupt))
        try Data("{\"format\": \"something-else\", \"exports\": [\"a.png\"]}".utf8)
            .write(to: URL(fileURLWithPath: folder + "/third.png.samterm.json"))
        XCTAssertEqual(SessionStore.recordedExports(inFolder: folder),
                       [folder + "/photo_mask_01.png", folder + "/samterm-export/photo_coco.json"])
        XCTAssertEqual(try String(contentsOfFile: corrupt, encoding: .utf8), "{ not json", "left as it was")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.contains("corrupt-") },
                       "not set aside either")
        XCTAssertEqual(SessionStore.recordedExports(inFolder: folder + "/missing"), [])
    }

    func testANewExportRemovesTheFilesOfThePreviousOneItDidNotWriteAgain() throws {
        let folder = try Support.makeScratchFolder(self)
        let out = folder + "/samterm-export"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let image = Support.gradientImage(width: 8, height: 6)
        var mask = BinaryMask(width: 8, height: 6)
        mask[1, 1] = true
        func exporter(name: String?) -> Exporter {
            Exporter(image: image, imagePath: folder + "/photo.jpg",
                     objects: [ExportObject(id: 1, color: ObjectPalette.color(at: 0), mask: mask),
                               ExportObject(id: 2, name: name, color: ObjectPalette.color(at: 1), mask: mask)])
        }
        let first = try exporter(name: nil).write(formats: [.png, .coco], to: out)
        XCTAssertEqual(first.map { ($0 as NSString).lastPathComponent }, ["photo_mask_01.png", "photo_mask_02.png", "photo_coco.json"])
        touch(out + "/notes.txt")  // someone else's file
        touch(folder + "/photo_mask_09.png")  // recorded, but in another folder

        // The second object renamed: its mask has a new name.
        let second = try exporter(name: "tripod").write(formats: [.png, .coco], to: out, force: true)
        let replaced = EarlierExports.replace(earlier: first + [folder + "/photo_mask_09.png"], written: second, folder: out)
        XCTAssertEqual(replaced.removed, [out + "/photo_mask_02.png"])
        XCTAssertEqual(replaced.record, second + [folder + "/photo_mask_09.png"])
        XCTAssertFalse(exists(out + "/photo_mask_02.png"), "the old name is gone")
        XCTAssertTrue(exists(out + "/photo_mask_02_tripod.png"))
        XCTAssertTrue(exists(out + "/photo_mask_01.png"), "written again: kept")
        XCTAssertTrue(exists(out + "/notes.txt"), "never a file the record does not name")
        XCTAssertTrue(exists(folder + "/photo_mask_09.png"), "never outside the folder the new export went to")

        // A recorded file already gone counts as removed; a folder in its place is kept.
        try FileManager.default.createDirectory(atPath: out + "/photo_labels.png", withIntermediateDirectories: true)
        let again = EarlierExports.replace(earlier: [out + "/gone.png", out + "/photo_labels.png"], written: second, folder: out)
        XCTAssertEqual(again.removed, [out + "/gone.png"])
        XCTAssertEqual(again.record, second + [out + "/photo_labels.png"])
        XCTAssertTrue(exists(out + "/photo_labels.png"))
    }
}
