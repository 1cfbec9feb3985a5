#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Segmentation
import XCTest

final class AtomicFileWriterTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testWritesWholeFileAndLeavesNoTemporary() throws {
        let folder = try Support.makeScratchFolder(self)
        let path = folder + "/out.json"
        try AtomicFileWriter.write(Array("first".utf8), to: path)
        try AtomicFileWriter.write(Array("second".utf8), to: path)
        XCTAssertEqual(try contents(path), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["out.json"])
        let permissions = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(permissions & 0o600, 0o600, "the owner can read and write")
        XCTAssertEqual(permissions & 0o111, 0, "not executable")
    }

    func testRefusingToReplaceKeepsTheExistingFile() throws {
        let folder = try Support.makeScratchFolder(self)
        let path = folder + "/mask.png"
        try AtomicFileWriter.write(Array("old".utf8), to: path)
        XCTAssertThrowsError(try AtomicFileWriter.write(Array("new".utf8), to: path, replacing: false)) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: path, reason: .alreadyExists))
        }
        XCTAssertEqual(try contents(path), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["mask.png"])
        try AtomicFileWriter.write(Array("fresh".utf8), to: folder + "/other.png", replacing: false)
        XCTAssertEqual(try contents(folder + "/other.png"), "fresh")
    }

    /// A full disk, simulated with /dev/full (every write fails with ENOSPC) standing in for the
    /// temporary file: the error says so and the earlier save is untouched.
    func testFullDiskLeavesTheEarlierFileIntact() throws {
        let folder = try Support.makeScratchFolder(self)
        let path = folder + "/photo.jpg.samterm.json"
        try AtomicFileWriter.write(Array("saved before".utf8), to: path)
        let placeholder = folder + "/.photo.jpg.samterm.json.partial-test"
        FileManager.default.createFile(atPath: placeholder, contents: nil)

        XCTAssertThrowsError(try AtomicFileWriter.write(Array(repeating: 7, count: 100_000), to: path, replacing: true) { _, _ in
            let descriptor = open("/dev/full", O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileWriteError(path: "/dev/full", errno: errno) }
            return (descriptor, placeholder)
        }) { error in
            XCTAssertEqual((error as? FileWriteError)?.reason, .diskFull)
            XCTAssertTrue("\(error)".hasPrefix(path + ": the disk is full"), "\(error)")
        }
        XCTAssertEqual(try contents(path), "saved before")
        XCTAssertFalse(FileManager.default.fileExists(atPath: placeholder), "the temporary file is removed")
    }

    func testMissingFolderAndFileInPathAreNamed() throws {
        let folder = try Support.makeScratchFolder(self)
        XCTAssertThrowsError(try AtomicFileWriter.write([1], to: folder + "/missing/out.png")) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: folder + "/missing", reason: .folderMissing))
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
        XCTAssertThrowsError(try AtomicFileWriter.write([1], to: folder + "/file/out.png")) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: folder + "/file", reason: .notAFolder))
        }
        XCTAssertThrowsError(try AtomicFileWriter.createFolder(folder + "/file/sub")) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: folder + "/file", reason: .notAFolder))
        }
    }
}
