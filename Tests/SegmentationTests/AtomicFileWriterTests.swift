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

    // MARK: - What stands at the path

    private func kind(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & S_IFMT
    }

    func testASymbolicLinkIsWrittenThroughAndStaysALink() throws {
        let folder = try Support.makeScratchFolder(self)
        try AtomicFileWriter.write(Array("old".utf8), to: folder + "/target.png")
        XCTAssertEqual(symlink("target.png", folder + "/link.png"), 0)
        try AtomicFileWriter.write(Array("new".utf8), to: folder + "/link.png")
        XCTAssertEqual(kind(folder + "/link.png"), S_IFLNK, "the link is kept")
        XCTAssertEqual(try contents(folder + "/target.png"), "new", "its target is replaced")
        // A link to a file that does not exist yet creates the file it names.
        XCTAssertEqual(symlink(folder + "/later.png", folder + "/dangling.png"), 0)
        try AtomicFileWriter.write(Array("made".utf8), to: folder + "/dangling.png")
        XCTAssertEqual(kind(folder + "/dangling.png"), S_IFLNK)
        XCTAssertEqual(try contents(folder + "/later.png"), "made")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(),
                       ["dangling.png", "later.png", "link.png", "target.png"])
    }

    func testAFifoIsWrittenToNotReplaced() throws {
        let folder = try Support.makeScratchFolder(self)
        let fifo = folder + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        nonisolated(unsafe) var received = Data()
        let reader = Thread { received = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data() }
        reader.start()
        try AtomicFileWriter.write(Array("through the pipe".utf8), to: fifo)
        let deadline = Date().addingTimeInterval(5)
        while received.isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "through the pipe")
        XCTAssertEqual(kind(fifo), S_IFIFO, "still a FIFO")
    }

    func testDevicesAreWrittenToOrRefusedNeverReplaced() throws {
        try AtomicFileWriter.write(Array("discarded".utf8), to: "/dev/null")
        XCTAssertEqual(kind("/dev/null"), S_IFCHR)
        XCTAssertThrowsError(try AtomicFileWriter.write(Array("x".utf8), to: "/dev/full")) { error in
            XCTAssertEqual((error as? FileWriteError)?.reason, .diskFull, "\(error)")
        }
        XCTAssertEqual(kind("/dev/full"), S_IFCHR, "/dev/full is still the device")

        let folder = try Support.makeScratchFolder(self)
        let socketPath = folder + "/socket"
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertThrowsError(try AtomicFileWriter.write(Array("x".utf8), to: socketPath)) { error in
            XCTAssertTrue("\(error)".contains("socket"), "\(error)")
        }
        XCTAssertEqual(kind(socketPath), S_IFSOCK)
        XCTAssertThrowsError(try AtomicFileWriter.write(Array("x".utf8), to: folder)) { error in
            XCTAssertTrue("\(error)".contains("folder"), "\(error)")
        }
    }

    // MARK: - Outputs as a set

    func testASetThatFailsPartWayLeavesNoNewFile() throws {
        let folder = try Support.makeScratchFolder(self)
        try AtomicFileWriter.write(Array("kept".utf8), to: folder + "/result.json")
        var opened = 0
        let files = StagedFiles(replacing: true) { target, name in
            opened += 1
            // The third file meets a full disk.
            if opened == 3 {
                let descriptor = open("/dev/full", O_WRONLY | O_CLOEXEC)
                FileManager.default.createFile(atPath: target + "/.full-placeholder", contents: nil)
                return (descriptor, target + "/.full-placeholder")
            }
            let path = target + "/.\(name).partial-test"
            return (open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644), path)
        }
        try files.stage(Array("mask".utf8), at: folder + "/mask-0.png")
        try files.stage(Array("mask".utf8), at: folder + "/mask-1.png")
        XCTAssertThrowsError(try files.stage(Array(repeating: 1, count: 10_000), at: folder + "/logits.npy")) { error in
            XCTAssertEqual((error as? FileWriteError)?.reason, .diskFull)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["result.json"], "nothing of the set is left")
        XCTAssertEqual(try contents(folder + "/result.json"), "kept")
    }

    func testASetTakesItsNamesOnlyOnCommit() throws {
        let folder = try Support.makeScratchFolder(self)
        let files = StagedFiles()
        try files.stage(Array("a".utf8), at: folder + "/a.png")
        try files.stage(Array("b".utf8), at: folder + "/b.png")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/a.png"))
        try files.commit()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["a.png", "b.png"])
        do {
            let dropped = StagedFiles()
            try dropped.stage(Array("c".utf8), at: folder + "/c.png")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["a.png", "b.png"],
                       "a set dropped without commit leaves nothing")
    }
}
