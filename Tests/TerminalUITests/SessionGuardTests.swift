// Two editors on one image: the second opens it read-only (shown, never saved), and a session
// file changed on disk under an editor is never replaced by its next save.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class ReadOnlySessionTests: XCTestCase {
    typealias F = EditorFixtures
    let text = "read-only: cat.png is open in another samterm (pid 1234 on box)"

    func testAReadOnlyImageShowsTheOtherEditorsWorkAndNeverSaves() throws {
        var state = F.loadedState(session: nil)
        let effects = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256,
                                                 outcome: .readOnly(AutosaveTests.savedSession(), text)))
        XCTAssertEqual(F.replayRequests(effects).map(\.objectID), [1, 4], "the other editor's objects are shown")
        XCTAssertTrue(F.saves(effects).isEmpty)
        XCTAssertEqual(state.document.autosave, .readOnly(text))
        XCTAssertEqual(state.message, StatusMessage(text + "; changes here are not saved", isError: true))
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("cat.png 80x40 | read-only |"),
                      Chrome.statusLine(state, width: 200).plainText)

        // Edits are allowed, to look and try; none reaches the session.
        var all = F.press([.character(" ")], on: &state)
        let request = try XCTUnwrap(F.predictRequests(all).first)
        all += state.apply(.prediction(requestID: request.id, result: F.result()))
        all += F.press([.character("1"), .character("n"), .delete, .character("y")], on: &state)
        XCTAssertTrue(F.saves(all).isEmpty, "read-only: no save effect")
        XCTAssertNil(state.sessionSnapshot(ofImage: 0))
    }

    func testReadOnlyWithoutASessionStillSaysWhyAndExports() throws {
        var state = F.loadedState(session: .readOnly(nil, text))
        XCTAssertEqual(state.document.autosave, .readOnly(text))
        XCTAssertTrue(state.message?.text.hasPrefix(text) ?? false)
        let effects = F.press([.character(" ")], on: &state)
        XCTAssertTrue(F.saves(effects).isEmpty)
        let request = try XCTUnwrap(F.predictRequests(effects).first)
        XCTAssertTrue(F.saves(state.apply(.prediction(requestID: request.id, result: F.result()))).isEmpty)
        // Exports are files of their own: still allowed (once the prediction they wait for is in).
        XCTAssertTrue(F.press([.character("e"), .enter], on: &state).contains { if case .export = $0 { return true } else { return false } })
    }
}

final class SessionGuardTests: XCTestCase {
    var folder: String!
    var imagePath: String { folder + "/cat.png" }
    var sessionPath: String { imagePath + ".samterm.json" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-guard-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func session(objectIDs: [Int]) -> Session {
        let objects = objectIDs.map { id in
            Session.Object(id: id, color: ObjectPalette.color(at: id - 1), steps: [
                Session.Step(points: [Session.Point(x: Double(id) + 0.5, y: 0.5, label: 1)], multimask: true, maskInput: false, candidate: 0),
            ])
        }
        return Session(image: .init(path: "cat.png", sha256: EditorFixtures.imageSHA256, width: 4, height: 2),
                       model: "sam2.1_hiera_t", objects: objects)
    }

    func open(_ sessionGuard: SessionGuard) -> SessionOutcome {
        sessionGuard.open(imagePath: imagePath, sha256: EditorFixtures.imageSHA256, model: "sam2.1_hiera_t") {
            SessionOutcome.load(sessionGuard.store(forImage: imagePath), sha256: EditorFixtures.imageSHA256, model: "sam2.1_hiera_t")
        }
    }

    func testTheSecondEditorOpensReadOnlyAndTheFirstLetsGoOnQuit() throws {
        try SessionStore(path: sessionPath).save(session(objectIDs: [1]))
        let first = SessionGuard(folder: nil), second = SessionGuard(folder: nil)
        guard case .found = open(first) else { return XCTFail("the first editor edits the session") }
        XCTAssertTrue(first.holds(sessionPath))
        XCTAssertTrue(FileManager.default.fileExists(atPath: sessionPath + ".lock"))

        guard case .readOnly(let shown, let text) = open(second) else { return XCTFail("the second is read-only") }
        XCTAssertEqual(shown?.objects.map(\.id), [1], "it shows the session as it is")
        XCTAssertEqual(text, "read-only: cat.png is open in another samterm (pid \(getpid()) on \(SessionLock.hostName))")
        XCTAssertFalse(second.holds(sessionPath))

        first.releaseAll()
        XCTAssertFalse(FileManager.default.fileExists(atPath: sessionPath + ".lock"))
        guard case .found = open(second) else { return XCTFail("free again once the first quit") }
        second.releaseAll()
    }

    func testASecondEditorOnAVideoIsReadOnlyUntilTheFirstQuits() throws {
        let videoSession = VideoSession.path(forSource: imagePath + ".mp4")
        let first = SessionGuard(folder: nil), second = SessionGuard(folder: nil)
        XCTAssertNil(first.lockVideo(sessionPath: videoSession))
        XCTAssertNil(first.lockVideo(sessionPath: videoSession), "taking it again is no conflict")
        XCTAssertEqual(second.lockVideo(sessionPath: videoSession),
                       "read-only: the video is open in another samterm (pid \(getpid()) on \(SessionLock.hostName)); changes are not saved")
        first.releaseAll()
        XCTAssertFalse(FileManager.default.fileExists(atPath: videoSession + ".lock"))
        XCTAssertNil(second.lockVideo(sessionPath: videoSession))
        second.releaseAll()
    }

    func testAReadOnlyEditorLeavesACorruptSessionWhereItIs() throws {
        try "{".write(toFile: sessionPath, atomically: false, encoding: .utf8)
        let first = SessionGuard(folder: nil)
        let other = try SessionLock.acquire(sessionPath: sessionPath)  // held by "another editor"
        defer { withExtendedLifetime(other) {} }
        guard case .readOnly(nil, _) = open(first) else { return XCTFail("read-only") }
        XCTAssertEqual(try String(contentsOfFile: sessionPath, encoding: .utf8), "{", "not moved aside: not ours")
    }

    func testASessionChangedOnDiskIsNeverReplacedOurWorkGoesToAConflictFile() throws {
        try SessionStore(path: sessionPath).save(session(objectIDs: [1]))
        let sessionGuard = SessionGuard(folder: nil)
        guard case .found = open(sessionGuard) else { return XCTFail("found") }
        let messages = MessageBox()
        let saver = SessionAutosaver(store: { sessionGuard.store(forImage: $0) }, sessionGuard: sessionGuard,
                                     report: { messages.append($0) })
        let object = { (id: Int) in
            ImageSessionSnapshot.Object(id: id, name: nil, color: ObjectPalette.color(at: id - 1),
                                        steps: self.session(objectIDs: [id]).objects[0].steps, mask: nil, score: nil)
        }
        let snapshot = { (ids: [Int]) in
            ImageSessionSnapshot(imagePath: self.imagePath, sha256: EditorFixtures.imageSHA256, width: 4, height: 2,
                                 model: "sam2.1_hiera_t", objects: ids.map(object))
        }
        saver.save(snapshot([1, 2]))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: sessionPath).load()?.objects.map(\.id), [1, 2], "unchanged on disk: saved")

        // Someone else writes the session (another program, a samterm that ignored the lock).
        try SessionStore(path: sessionPath).save(session(objectIDs: [7]))
        saver.save(snapshot([1, 2, 3]))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: sessionPath).load()?.objects.map(\.id), [7], "theirs is left as it is")
        let asides = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("cat.png.samterm.json.conflict-") }
        XCTAssertEqual(asides.count, 1)
        let aside = folder + "/" + asides[0]
        XCTAssertEqual(try SessionStore(path: aside).load()?.objects.map(\.id), [1, 2, 3], "ours is kept beside it")
        XCTAssertEqual(messages.all.count, 1)
        XCTAssertTrue(messages.all.first?.contains("was changed by another program") ?? false, "\(messages.all)")
        XCTAssertTrue(messages.all.first?.contains(aside) ?? false, "\(messages.all)")

        // Later saves go on into the conflict file, without repeating the message.
        saver.save(snapshot([1]))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: aside).load()?.objects.map(\.id), [1])
        XCTAssertEqual(try SessionStore(path: sessionPath).load()?.objects.map(\.id), [7])
        XCTAssertEqual(messages.all.count, 1)
        sessionGuard.releaseAll()
    }

    func testASessionCreatedOnDiskAfterOpeningIsNotReplacedEither() throws {
        let sessionGuard = SessionGuard(folder: nil)
        guard case .fresh = open(sessionGuard) else { return XCTFail("fresh") }
        try SessionStore(path: sessionPath).save(session(objectIDs: [7]))
        let messages = MessageBox()
        let saver = SessionAutosaver(store: { sessionGuard.store(forImage: $0) }, sessionGuard: sessionGuard,
                                     report: { messages.append($0) })
        saver.save(ImageSessionSnapshot(imagePath: imagePath, sha256: EditorFixtures.imageSHA256, width: 4, height: 2,
                                        model: "sam2.1_hiera_t", objects: []))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: sessionPath).load()?.objects.map(\.id), [7])
        XCTAssertEqual(messages.all.count, 1, "\(messages.all)")
        sessionGuard.releaseAll()
    }
}
