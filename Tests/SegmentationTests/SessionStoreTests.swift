import Foundation
import Segmentation
import XCTest

final class SessionStoreTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private let imageHash = String(repeating: "ab", count: 32)

    private func sampleSession(imagePath: String = "photo.jpg") -> Session {
        var mask = BinaryMask(width: 8, height: 6)
        mask[2, 3] = true
        mask[3, 3] = true
        let object = Session.Object(
            id: 1, name: "cup", color: ObjectPalette.color(at: 0),
            steps: [
                Session.Step(points: [Session.Point(x: 2.5, y: 3.5, foreground: true)], multimask: true,
                             maskInput: false, candidate: 1),
                Session.Step(points: [Session.Point(x: 2.5, y: 3.5, foreground: true), Session.Point(x: 6.5, y: 1.5, foreground: false)],
                             box: Session.Box(x0: 5, y0: 4, x1: 1, y1: 1), multimask: false, maskInput: true, candidate: 0),
            ],
            mask: Session.StoredMask(mask: mask, score: 0.875))
        let second = Session.Object(id: 2, color: ObjectPalette.color(at: 1),
                                    steps: [Session.Step(points: [], box: Session.Box(x0: 0, y0: 0, x1: 4, y1: 4),
                                                         multimask: true, maskInput: false, candidate: 2)])
        return Session(image: Session.ImageReference(path: imagePath, sha256: imageHash, width: 8, height: 6),
                       model: "sam2.1_hiera_t", objects: [object, second])
    }

    private func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func testPathConvention() {
        XCTAssertEqual(SessionStore.sessionPath(forImage: "/p/photo.jpg"), "/p/photo.jpg.samterm.json")
        XCTAssertEqual(SessionStore.sessionPath(forImage: "/p/photo.jpg", folder: "/sessions"), "/sessions/photo.jpg.samterm.json")
        XCTAssertEqual(SessionStore(imagePath: "/p/photo.jpg").imageReferencePath(for: "/p/photo.jpg"), "photo.jpg")
        XCTAssertEqual(SessionStore(imagePath: "/p/photo.jpg", folder: "/s").imageReferencePath(for: "/p/photo.jpg"), "/p/photo.jpg")
        let store = SessionStore(path: "/s/photo.jpg.samterm.json")
        XCTAssertEqual(store.resolvedImagePath(of: sampleSession(imagePath: "photo.jpg")), "/s/photo.jpg")
        XCTAssertEqual(store.resolvedImagePath(of: sampleSession(imagePath: "/p/photo.jpg")), "/p/photo.jpg")
    }

    func testSaveAndLoadRoundTrip() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        XCTAssertNil(try store.load(), "no session yet")
        let session = sampleSession()
        try store.save(session)
        XCTAssertEqual(try store.load(), session)
        XCTAssertEqual(try store.load(imageSHA256: imageHash, model: "sam2.1_hiera_t"), session)
        XCTAssertEqual(try files(in: folder), ["photo.jpg.samterm.json"], "no temporary file is left")

        let loaded = try XCTUnwrap(try store.load())
        XCTAssertEqual(loaded.objects[0].chosenCandidate, 0)
        XCTAssertEqual(loaded.objects[0].multimask, false)
        XCTAssertEqual(loaded.objects[0].box, Session.Box(x0: 1, y0: 1, x1: 5, y1: 4), "corners are ordered")
        XCTAssertEqual(loaded.objects[1].displayName, "object 2")
        let mask = try XCTUnwrap(loaded.objects[0].mask).decode(width: 8, height: 6)
        XCTAssertEqual(mask.area, 2)
        XCTAssertTrue(mask[2, 3] && mask[3, 3])

        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"version\" : 2"), text)
        XCTAssertFalse(text.contains("\"edits\"") || text.contains("noOverlaps") || text.contains("maskInputEdits"),
                       "absent when unused: \(text)")
        XCTAssertTrue(text.contains("\"color\" : \"#e62828\""), text)
        XCTAssertTrue(text.contains("\"box\" : [\n"), text)
    }

    func testCorruptSessionIsKeptAsideAndReported() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        let corruptions: [(String, String)] = [
            ("{\"format\": \"samterm-session\", \"version\": 1, \"image\": {", "not valid JSON"),
            ("", "empty"),
            ("[1, 2, 3]", "not a session"),
            ("{\"format\": \"something-else\", \"version\": 1}", "\"format\""),
            ("{\"format\": \"samterm-session\", \"version\": 1, \"model\": \"m\", \"objects\": []}", "missing \"image\""),
        ]
        for (index, (content, expected)) in corruptions.enumerated() {
            try Data(content.utf8).write(to: URL(fileURLWithPath: store.path))
            XCTAssertThrowsError(try store.load(), "case \(index)") { error in
                guard case SessionError.corrupt(let path, _, let keptAs?) = error else { return XCTFail("case \(index): \(error)") }
                XCTAssertEqual(path, store.path)
                XCTAssertTrue("\(error)".contains(expected), "case \(index): \(error)")
                XCTAssertTrue("\(error)".contains(keptAs), "the message says where the file went: \(error)")
                XCTAssertTrue(keptAs.hasPrefix(store.path + ".corrupt-"), keptAs)
                XCTAssertEqual(try? String(contentsOfFile: keptAs, encoding: .utf8), content, "case \(index): kept byte for byte")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: store.path), "case \(index): moved, so autosave cannot overwrite it")
        }
        XCTAssertEqual(try files(in: folder).count, corruptions.count, "every corrupt file is kept under its own name")
        XCTAssertNil(try store.load())
    }

    func testInvalidValuesCountAsCorrupt() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        var session = sampleSession()
        session.objects[0].steps[1].candidate = 1  // multimask off gives one candidate
        session.objects[1].mask = Session.StoredMask(counts: "zz", score: 1)
        try store.save(session)
        XCTAssertThrowsError(try store.load()) { error in
            guard case SessionError.corrupt(_, let reason, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("object 1 (id 1), step 2: candidate 1"), reason)
            XCTAssertTrue(reason.contains("object 2 (id 2): stored mask"), reason)
        }
    }

    func testNewerVersionIsReportedAndLeftInPlace() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        let content = "{\"format\": \"samterm-session\", \"version\": 7, \"layers\": []}"
        try Data(content.utf8).write(to: URL(fileURLWithPath: store.path))
        XCTAssertThrowsError(try store.load()) { error in
            XCTAssertEqual(error as? SessionError, .unsupportedVersion(path: store.path, version: 7, supported: 2))
            XCTAssertTrue("\(error)".contains("version 7"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: store.path, encoding: .utf8), content)
    }

    func testOtherImageOrModelIsReportedNotApplied() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        try store.save(sampleSession())
        let saved = try Data(contentsOf: URL(fileURLWithPath: store.path))
        let otherHash = String(repeating: "cd", count: 32)

        XCTAssertThrowsError(try store.load(imageSHA256: otherHash, model: "sam2.1_hiera_t")) { error in
            XCTAssertEqual(error as? SessionError,
                           .imageMismatch(path: store.path, sessionSHA256: imageHash, imageSHA256: otherHash))
            XCTAssertTrue("\(error)".contains("other image content"), "\(error)")
        }
        XCTAssertThrowsError(try store.load(imageSHA256: imageHash, model: "sam_vit_b")) { error in
            XCTAssertEqual(error as? SessionError,
                           .modelMismatch(path: store.path, sessionModel: "sam2.1_hiera_t", currentModel: "sam_vit_b"))
            XCTAssertTrue("\(error)".contains("sam2.1_hiera_t") && "\(error)".contains("sam_vit_b"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.path)), saved, "mismatched sessions stay untouched")
        XCTAssertEqual(try files(in: folder), ["photo.jpg.samterm.json"])
    }

    func testUnwritableSessionFolderIsReported() throws {
        let folder = try Support.makeScratchFolder(self)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/blocker"))
        let store = SessionStore(imagePath: folder + "/photo.jpg", folder: folder + "/blocker")
        XCTAssertThrowsError(try store.save(sampleSession())) { error in
            XCTAssertEqual((error as? FileWriteError)?.reason, .notAFolder)
            XCTAssertTrue("\(error)".hasPrefix(folder + "/blocker: "), "\(error)")
        }
    }

    func testSessionFileIsAFolder() throws {
        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/photo.jpg")
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try store.load()) { error in
            XCTAssertEqual(error as? SessionError, .unreadable(path: store.path, reason: "it is a folder"))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.path))
    }
}
