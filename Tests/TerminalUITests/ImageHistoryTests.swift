// One undo history per image: deletes, names, candidate choices and prompts undone and redone,
// each image keeping its own.
import XCTest
import Segmentation
@testable import TerminalUI

final class ImageHistoryTests: XCTestCase {
    typealias F = EditorFixtures

    /// Object 1 with a point (accepted) and object 2, named "helmet", with a box.
    static func twoObjects(paths: [String] = ["/images/cat.png"]) throws -> EditorState {
        var state = F.loadedState(paths: paths)
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        F.press([.character("n")], on: &state)
        let box = try XCTUnwrap(F.predictRequests(F.press([.character("b"), .left, .left, .up, .character("b")], on: &state)).first)
        _ = state.apply(.prediction(requestID: box.id, result: F.result(count: 1, best: 0, inside: { x, _ in x < 20 })))
        F.press([.character("N")] + "helmet".map { .character($0) } + [.enter], on: &state)
        return state
    }

    func testUndoingADeleteBringsTheObjectBackWithItsIdMaskAndName() throws {
        var state = try Self.twoObjects()
        let shown = try XCTUnwrap(state.currentObject)
        let deleted = F.press([.delete, .character("y")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [1])
        XCTAssertEqual(F.saves(deleted).last?.objects.map(\.id), [1])

        let undone = F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: delete helmet")
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2])
        let back = try XCTUnwrap(state.currentObject)
        XCTAssertEqual(back.id, 2, "the restored object is the one being edited")
        XCTAssertEqual(back.name, "helmet")
        XCTAssertEqual(back.prediction, .current)
        XCTAssertEqual(back.chosenCandidate?.mask, shown.chosenCandidate?.mask)
        XCTAssertTrue(F.predictRequests(undone).isEmpty, "its candidates came back with it")
        let saved = try XCTUnwrap(F.saves(undone).last, "the session is saved again")
        XCTAssertEqual(saved.objects.map(\.id), [1, 2])
        XCTAssertEqual(saved.objects.last?.name, "helmet")
        XCTAssertEqual(saved.objects.last?.steps, shown.steps)
        XCTAssertTrue(ObjectPanel.lines(state, width: 20, height: 10).map(\.plainText).contains { $0.contains("2 helmet") })

        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.message?.text, "Redid: delete helmet")
        XCTAssertEqual(state.document.objects.map(\.id), [1])
    }

    func testUndoAfterADeleteLeavesTheOtherObjectsAlone() throws {
        var state = try Self.twoObjects()
        let first = state.document.objects[0]
        F.press([.delete, .character("y")], on: &state)
        F.press([.character("u")], on: &state)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: rename object 2 to helmet")
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2])
        XCTAssertNil(state.currentObject?.name)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: box on object 2")
        XCTAssertEqual(state.document.objects.first?.prompting, first.prompting, "object 1 was never touched")
        XCTAssertEqual(state.document.objects.first?.candidates.count, 3)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: point on object 1")
        XCTAssertTrue(state.document.objects.isEmpty)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Nothing to undo")
    }

    func testRenamingIsUndone() throws {
        var state = try Self.twoObjects()
        F.press([.character("N")] + Array(repeating: Key.backspace, count: 6) + "hat".map { .character($0) } + [.enter], on: &state)
        XCTAssertEqual(state.currentObject?.name, "hat")
        let effects = F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: rename helmet to hat")
        XCTAssertEqual(state.currentObject?.name, "helmet")
        XCTAssertEqual(F.saves(effects).last?.objects.last?.name, "helmet")
    }

    func testChoosingACandidateIsUndoneOnTheObjectItWasChosenOn() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(best: 1)))
        F.press([.character("3"), .character("n")], on: &state)
        XCTAssertEqual(state.currentObject?.id, 2)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: candidate 3 of object 1")
        XCTAssertEqual(state.currentObject?.id, 1, "undo goes to the object it changes")
        XCTAssertEqual(state.currentObject?.chosen, 1)
    }

    func testAClearedObjectLeftBehindComesBackWithUndo() throws {
        var state = try Self.twoObjects()
        F.press([.character(","), .character("c")], on: &state)
        XCTAssertEqual(state.message?.text, "Cleared object 1 (u brings it back)")
        F.press([.character(".")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [2], "the empty object is dropped when left")
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: clear object 1")
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2])
        XCTAssertEqual(state.currentObject?.id, 1)
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1)
    }

    func testUndoPredictsAgainWhatWasPendingWhenItsSnapshotWasTaken() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        // Delete does not wait for the prediction: the snapshot holds a pending object.
        F.press([.delete, .character("y")], on: &state)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        XCTAssertTrue(state.document.objects.isEmpty, "the answer went nowhere")
        let again = try XCTUnwrap(F.predictRequests(F.press([.character("u")], on: &state)).first)
        XCTAssertEqual(again.objectID, 1)
        XCTAssertEqual(again.prompting, request.prompting)
        let saved = F.saves(state.apply(.prediction(requestID: again.id, result: F.result(best: 2))))
        XCTAssertEqual(state.currentObject?.prediction, .current)
        XCTAssertEqual(state.currentObject?.chosen, 2, "a new prompt's prediction takes the best candidate")
        XCTAssertEqual(saved.last?.objects.first?.steps.count, 1)
    }

    func testAdoptingASuggestionIsUndoneWithItsOutline() throws {
        var state = F.loadedState()
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: AutomaticMasksEditorTests.suggestions()))
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        XCTAssertEqual(state.document.suggestions.count, 1)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: adopt an automatic mask as object 1")
        XCTAssertTrue(state.document.objects.isEmpty)
        XCTAssertEqual(state.document.suggestions.count, 2, "the outline is back")
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [1])
        XCTAssertEqual(state.document.suggestions.count, 1)
    }

    func testEachImageKeepsItsOwnHistory() throws {
        var state = F.loadedState(paths: ["/a.png", "/b.png"])
        let a = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: a.id, result: F.result()))
        F.press([.character("]")], on: &state)
        _ = state.apply(.imageLoaded(index: 1, image: F.gradient(width: 80, height: 40)))
        _ = state.apply(.sessionLoaded(index: 1, sha256: F.imageSHA256, outcome: .fresh))
        _ = state.apply(.imageEncoded(index: 1, seconds: 0.5, fromCache: false))
        let b = try XCTUnwrap(F.predictRequests(F.press([.left, .character("x")], on: &state)).first)
        _ = state.apply(.prediction(requestID: b.id, result: F.result()))

        F.press([.character("[")], on: &state)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: point on object 1")
        XCTAssertTrue(state.images[0].objects.isEmpty)
        XCTAssertEqual(state.images[1].objects.map(\.prompting.points.count), [1], "the other image is untouched")
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Nothing to undo")

        F.press([.character("]")], on: &state)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: background point on object 1")
        XCTAssertTrue(state.images[1].objects.isEmpty)
        F.press([.character("[")], on: &state)
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.message?.text, "Redid: point on object 1")
        XCTAssertEqual(state.images[0].objects.count, 1)
    }

    func testOlderChangesKeepTheirStepsAndAreReplayedWhenUndone() throws {
        var state = F.loadedState()
        let clicks = ImageHistory.candidatesKept + 3
        for _ in 0..<clicks {
            let request = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
            _ = state.apply(.prediction(requestID: request.id, result: F.result(count: request.prompting.multimask ? 3 : 1, best: 0)))
        }
        for _ in 0..<ImageHistory.candidatesKept {
            let effects = F.press([.character("u")], on: &state)
            XCTAssertTrue(F.predictRequests(effects).isEmpty && F.replayRequests(effects).isEmpty, "recent changes keep their candidates")
        }
        let expected = try XCTUnwrap(state.document.history.undoEntries.last?.snapshot.objects.first)
        XCTAssertTrue(expected.candidates.isEmpty, "an old entry holds no masks")
        let effects = F.press([.character("u")], on: &state)
        let replay = try XCTUnwrap(F.replayRequests(effects).first, "an old change comes back by replaying its steps")
        XCTAssertEqual(replay.steps.map(\.points.count), [1, 2])
        XCTAssertEqual(F.saves(effects).last?.objects.first?.steps.count, 2, "the session has the steps while the replay runs")
        _ = state.apply(.replayed(requestID: replay.id, result: F.result(count: 1, best: 0), maskInput: [Float](repeating: 0, count: 16)))
        XCTAssertEqual(state.currentObject?.prediction, .current)
        XCTAssertEqual(state.currentObject?.candidates.count, 1)
    }

    func testTheHistoryKeepsALimitedNumberOfChanges() throws {
        var state = F.loadedState()
        for _ in 0..<(ImageHistory.limit + 5) {
            let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
            _ = state.apply(.prediction(requestID: request.id, result: F.result(count: request.prompting.multimask ? 3 : 1, best: 0)))
        }
        XCTAssertEqual(state.document.history.undoEntries.count, ImageHistory.limit)
    }
}
