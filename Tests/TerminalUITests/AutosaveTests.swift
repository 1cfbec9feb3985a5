// Sessions from the editor's side: what every change saves, when saving must wait or stay off,
// and how a saved session comes back.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class AutosaveTests: XCTestCase {
    typealias F = EditorFixtures

    func testEveryChangeSavesTheStepsOfTheMaskOnScreen() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        var saved = try XCTUnwrap(F.saves(state.apply(.prediction(requestID: first.id, result: F.result(best: 2)))).last)
        XCTAssertEqual(saved.imagePath, "/images/cat.png")
        XCTAssertEqual(saved.sha256, F.imageSHA256)
        XCTAssertEqual(saved.model, "sam2.1_hiera_t")
        XCTAssertEqual([saved.width, saved.height], [80, 40])
        var object = try XCTUnwrap(saved.objects.first)
        XCTAssertEqual(object.steps.map(\.candidate), [2])
        XCTAssertEqual(object.mask?.width, 80, "display masks of small images are full size: kept in the session")
        XCTAssertEqual(object.score, 0.95)

        saved = try XCTUnwrap(F.saves(F.press([.character("1")], on: &state)).last, "choosing a candidate is a change")
        XCTAssertEqual(saved.objects.first?.steps.map(\.candidate), [0])

        // While the refinement is predicted, the save still describes the mask on screen.
        let effects = F.press([.right, .character("x")], on: &state)
        let second = try XCTUnwrap(F.predictRequests(effects).first)
        XCTAssertEqual(F.saves(effects).last?.objects.first?.steps.count, 1)
        saved = try XCTUnwrap(F.saves(state.apply(.prediction(requestID: second.id, result: F.result(count: 1, best: 0)))).last)
        object = try XCTUnwrap(saved.objects.first)
        XCTAssertEqual(object.steps.map(\.points.count), [1, 2])
        XCTAssertEqual(object.steps.map(\.maskInput), [false, true])
        XCTAssertEqual(object.steps.map(\.candidate), [0, 0], "the first step keeps the candidate chosen when refining")

        saved = try XCTUnwrap(F.saves(F.press([.character("N"), .character("c"), .enter], on: &state)).last)
        XCTAssertEqual(saved.objects.first?.name, "c")
        saved = try XCTUnwrap(F.saves(F.press([.delete, .character("y")], on: &state)).last)
        XCTAssertEqual(saved.objects.count, 0, "a deleted object leaves the session")
    }

    func testTheSavedChainStartsAtTheFirstClickHoweverLongItIs() throws {
        var state = F.loadedState()
        var request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        for _ in 0..<(ImageHistory.limit + 20) {
            _ = state.apply(.prediction(requestID: request.id, result: F.result(count: request.prompting.multimask ? 3 : 1, best: 0)))
            request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        }
        let saved = try XCTUnwrap(F.saves(state.apply(.prediction(requestID: request.id, result: F.result(count: 1, best: 0)))).last)
        let steps = try XCTUnwrap(saved.objects.first?.steps)
        XCTAssertEqual(steps.count, ImageHistory.limit + 21, "undo keeps \(ImageHistory.limit) steps; the session keeps all")
        XCTAssertEqual(steps.first?.maskInput, false)
        XCTAssertEqual(steps.first?.points.count, 1)
        XCTAssertTrue(steps.dropFirst().allSatisfy(\.maskInput))
    }

    func testARefinementTypedBeforeThePreviousOneArrivesWaitsAndRefinesIt() throws {
        var state = F.loadedState()
        let a = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: a.id, result: F.result(best: 1)))
        let b = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
        XCTAssertTrue(F.predictRequests(F.press([.right, .character("x")], on: &state)).isEmpty, "c waits for b's answer")
        let answered = state.apply(.prediction(requestID: b.id, result: F.result(count: 1, best: 0)))
        let c = try XCTUnwrap(F.predictRequests(answered).first)
        XCTAssertEqual(c.prompting.maskInput?.first, 0, "b's kept candidate feeds c, as if typed slowly")
        let saved = try XCTUnwrap(F.saves(state.apply(.prediction(requestID: c.id, result: F.result(count: 1, best: 0)))).last)
        let steps = try XCTUnwrap(saved.objects.first?.steps)
        XCTAssertEqual(steps.map(\.points.count), [1, 2, 3], "a, b, then c: each fed with the one before")
        XCTAssertEqual(steps.map(\.candidate), [1, 0, 0])
    }

    func testNothingIsSavedBeforeTheSessionWasLookedFor() throws {
        var state = F.loadedState(session: nil)
        let effects = F.press([.character(" ")], on: &state)
        XCTAssertTrue(F.saves(effects).isEmpty)
        let request = try XCTUnwrap(F.predictRequests(effects).first)
        XCTAssertTrue(F.saves(state.apply(.prediction(requestID: request.id, result: F.result()))).isEmpty,
                      "a session not yet read could be overwritten")
        let saved = F.saves(state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh)))
        XCTAssertEqual(saved.first?.objects.count, 1, "the work so far is saved once the way is clear")
    }

    func testARefusedSessionIsNeverOverwritten() throws {
        var state = F.loadedState(session: .refused("/images/cat.png.samterm.json: the session was made with model sam_vit_h"))
        XCTAssertEqual(state.document.autosave, .off("/images/cat.png.samterm.json: the session was made with model sam_vit_h"))
        XCTAssertTrue(state.message?.text.contains("not autosaved") ?? false, "\(String(describing: state.message))")
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertTrue(F.saves(state.apply(.prediction(requestID: request.id, result: F.result()))).isEmpty)
    }

    static func savedSession() -> Session {
        let point = { (x: Double, label: Int) in Session.Point(x: x, y: 10.5, label: label) }
        let cat = Session.Object(id: 1, name: "cat", color: RGBColor(red: 1, green: 2, blue: 3), steps: [
            Session.Step(points: [point(10.5, 1)], multimask: true, maskInput: false, candidate: 2),
            Session.Step(points: [point(10.5, 1), point(30.5, 0)], multimask: false, maskInput: true, candidate: 0),
        ])
        let box = Session.Object(id: 4, color: ObjectPalette.color(at: 3), steps: [
            Session.Step(points: [], box: Session.Box(x0: 2, y0: 2, x1: 20, y1: 30), multimask: false, maskInput: false, candidate: 0),
        ])
        return Session(image: .init(path: "cat.png", sha256: F.imageSHA256, width: 80, height: 40), model: "sam2.1_hiera_t",
                       objects: [cat, box])
    }

    func testARestoredSessionIsReplayedAndRefinedFromWhereItStopped() throws {
        var state = F.loadedState(session: nil)
        let session = Self.savedSession()
        let effects = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .found(session)))
        let replays = F.replayRequests(effects)
        XCTAssertEqual(replays.map(\.objectID), [1, 4])
        XCTAssertEqual(replays.first?.steps, session.objects[0].steps)
        XCTAssertEqual([replays.first?.maskWidth, replays.first?.maskHeight], [80, 40])
        XCTAssertEqual(state.document.objects.map(\.id), [1, 4])
        XCTAssertEqual(state.document.objects.first?.name, "cat")
        XCTAssertEqual(state.document.objects.first?.color, RGBColor(red: 1, green: 2, blue: 3))
        XCTAssertEqual(state.message?.text, "Restored 2 objects from the session")
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("2 objects, next click starts another"))
        XCTAssertEqual(state.sessionSnapshot(ofImage: 0)?.objects.map(\.steps), session.objects.map(\.steps),
                       "until the replays are back, a save writes the steps as they were")

        _ = state.apply(.replayed(requestID: replays[0].id, result: F.result(count: 1, best: 0), maskInput: [Float](repeating: 7, count: 16)))
        let cat = try XCTUnwrap(state.document.objects.first)
        XCTAssertEqual(cat.candidates.count, 1)
        XCTAssertEqual(cat.prompting.maskInput?.first, 7, "re-predicting the restored prompt uses the same mask input")

        // A click starts a new object, numbered after the restored ones.
        let fresh = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertEqual(fresh.objectID, 5)
        // Back on the cat, a point refines it: the saved chain continues.
        F.press([.character(","), .character(",")], on: &state)
        XCTAssertEqual(state.currentObject?.id, 1)
        let refine = try XCTUnwrap(F.predictRequests(F.press([.left, .character(" ")], on: &state)).first)
        XCTAssertEqual(refine.prompting.points.count, 3)
        XCTAssertEqual(refine.prompting.maskInput?.first, 0, "the replayed candidate's logits")
        let saved = try XCTUnwrap(F.saves(state.apply(.prediction(requestID: refine.id, result: F.result(count: 1, best: 0)))).last)
        XCTAssertEqual(saved.objects.first { $0.id == 1 }?.steps.count, 3)
        XCTAssertEqual(Array(saved.objects.first { $0.id == 1 }?.steps.prefix(2) ?? []), session.objects[0].steps)
    }

    func testRestoredObjectsWaitForTheEncodingBeforeReplaying() throws {
        var state = EditorState(imagePaths: ["/images/cat.png"], terminal: F.terminal, setup: F.setup)
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        XCTAssertTrue(F.replayRequests(state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256,
                                                                  outcome: .found(Self.savedSession())))).isEmpty)
        let replays = F.replayRequests(state.apply(.imageEncoded(index: 0, seconds: 1, fromCache: false)))
        XCTAssertEqual(replays.map(\.objectID), [1, 4])
    }
}

final class SessionAutosaverTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-autosave-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func snapshot(objects: [ImageSessionSnapshot.Object]) -> ImageSessionSnapshot {
        ImageSessionSnapshot(imagePath: folder + "/cat.png", sha256: EditorFixtures.imageSHA256, width: 4, height: 2,
                             model: "sam2.1_hiera_t", objects: objects)
    }

    let object = ImageSessionSnapshot.Object(
        id: 1, name: "cat", color: ObjectPalette.color(at: 0),
        steps: [Session.Step(points: [Session.Point(x: 1.5, y: 0.5, label: 1)], multimask: true, maskInput: false, candidate: 1)],
        mask: BinaryMask(width: 4, height: 2, bytes: [0, 1, 1, 0, 0, 1, 1, 0]), score: 0.75)

    func testWritesTheNewestSnapshotAndSkipsUnchangedContent() throws {
        let messages = MessageBox()
        let saver = SessionAutosaver(store: { SessionStore(imagePath: $0) }, report: { messages.append($0) })
        saver.save(snapshot(objects: []))
        saver.flush()
        let path = folder + "/cat.png.samterm.json"
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "looking at an image leaves no file")

        saver.save(snapshot(objects: [object]))
        saver.flush()
        let session = try XCTUnwrap(try SessionStore(path: path).load(imageSHA256: EditorFixtures.imageSHA256, model: "sam2.1_hiera_t"))
        XCTAssertEqual(session.image.path, "cat.png", "relative: the session sits beside its image")
        XCTAssertEqual(session.objects.first?.steps, object.steps)
        XCTAssertEqual(try session.objects.first?.mask?.decode(width: 4, height: 2), object.mask)
        XCTAssertEqual(session.objects.first?.mask?.score, 0.75)

        try FileManager.default.removeItem(atPath: path)
        saver.save(snapshot(objects: [object]))
        saver.flush()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "unchanged content is not written again")

        // Each mask is encoded once and kept: a new mask or score for the object is still written.
        var changed = object
        changed.mask = BinaryMask(width: 4, height: 2, bytes: [0, 0, 1, 1, 0, 0, 1, 1])
        saver.save(snapshot(objects: [changed]))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: path).load()?.objects.first?.mask?.decode(width: 4, height: 2), changed.mask)
        changed.score = 0.5
        saver.save(snapshot(objects: [changed]))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: path).load()?.objects.first?.mask?.score, 0.5)
        saver.save(snapshot(objects: []))
        saver.flush()
        XCTAssertEqual(try SessionStore(path: path).load()?.objects.count, 0, "emptying a saved session is saved")
        XCTAssertEqual(messages.all, [])
    }

    func testAFailedWriteIsReportedAndKeepsTheLastGoodFile() throws {
        let messages = MessageBox()
        let sessions: String = folder + "/sessions"
        let saver = SessionAutosaver(store: { SessionStore(imagePath: $0, folder: sessions) },
                                     report: { messages.append($0) })
        saver.save(snapshot(objects: [object]))
        saver.flush()
        XCTAssertEqual(messages.all.count, 1)
        XCTAssertTrue(messages.all.first?.hasPrefix("Autosave failed: ") ?? false, "\(messages.all)")
        XCTAssertTrue(messages.all.first?.contains(folder + "/sessions") ?? false, "names the place: \(messages.all)")
    }
}

final class MessageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
