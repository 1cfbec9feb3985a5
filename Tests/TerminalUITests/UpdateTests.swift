// Key and mouse sequences against the pure update function.
import XCTest
import Segmentation
@testable import TerminalUI

final class UpdateTests: XCTestCase {
    typealias F = EditorFixtures

    func testCursorStartsAtTheCentreCellAndMovesByWholeCells() {
        var state = F.loadedState()
        XCTAssertEqual(state.cursor, PixelPoint(x: 41, y: 22), "centre of cell (20, 5): cells are 2 x 4 pixels")
        F.press([.right, .character("j")], on: &state)
        XCTAssertEqual(state.cursor, PixelPoint(x: 43, y: 26))
        F.press([.character("H")], on: &state)
        XCTAssertEqual(state.cursor, PixelPoint(x: 23, y: 26), "Shift moves 10 cells")
        F.press(Array(repeating: .shiftLeft, count: 5), on: &state)
        XCTAssertEqual(state.cursor.x, 1, "stops at the first column")
        F.press(Array(repeating: .down, count: 30), on: &state)
        XCTAssertEqual(state.cursor.y, 38, "stops at the last row: cell 9 spans y 36..40")
    }

    func testFirstPointAsksForThreeCandidatesWithoutMaskInput() throws {
        var state = F.loadedState()
        let effects = F.press([.character(" ")], on: &state)
        let request = try XCTUnwrap(F.predictRequests(effects).first)
        XCTAssertEqual(request.prompting.points, [PromptPoint(position: PixelPoint(x: 41, y: 22), isForeground: true)])
        XCTAssertTrue(request.prompting.multimask)
        XCTAssertNil(request.prompting.maskInput)
        XCTAssertEqual(request.imageIndex, 0)
        XCTAssertEqual(request.maskWidth, 80)
        XCTAssertEqual(request.maskHeight, 40)
        let object = try XCTUnwrap(state.currentObject)
        XCTAssertEqual(object.id, 1)
        XCTAssertEqual(object.color, ObjectPalette.color(at: 0), "the first object is red")
        XCTAssertEqual(object.prediction, .pending(requestID: request.id))
        XCTAssertTrue(state.hasUnsavedChanges)
    }

    func testResultShowsCandidatesWithTheBestChosen() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.enter], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(best: 2)))
        let object = try XCTUnwrap(state.currentObject)
        XCTAssertEqual(object.candidates.count, 3)
        XCTAssertEqual(object.chosen, 2)
        XCTAssertEqual(object.prediction, .current)
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("1:0.50 2:0.60 [3:0.95]"),
                      Chrome.statusLine(state, width: 200).plainText)
    }

    func testLaterPointsFeedTheChosenCandidatesLogitsBack() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(best: 0)))
        F.press([.character("2")], on: &state)
        let second = try XCTUnwrap(F.predictRequests(F.press([.right, .right, .character("x")], on: &state)).first)
        XCTAssertEqual(second.prompting.points.map(\.isForeground), [true, false])
        XCTAssertEqual(second.prompting.points[1].position, PixelPoint(x: 45, y: 22))
        XCTAssertEqual(second.prompting.maskInput?.first, 1, "the logits of candidate 2, the one chosen")
        XCTAssertFalse(second.prompting.multimask, "one candidate once the mask is refined")
        XCTAssertGreaterThan(second.id, first.id)
    }

    func testMultimaskOnAsksForThreeCandidatesEveryTime() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        let toggled = try XCTUnwrap(F.predictRequests(F.press([.character("m")], on: &state)).first, "the current object is predicted again")
        XCTAssertTrue(toggled.prompting.multimask)
        XCTAssertTrue(state.multimaskAlways)
        _ = state.apply(.prediction(requestID: toggled.id, result: F.result()))
        let second = try XCTUnwrap(F.predictRequests(F.press([.left, .character(" ")], on: &state)).first)
        XCTAssertTrue(second.prompting.multimask)
        XCTAssertNotNil(second.prompting.maskInput)
    }

    func testAnswersNobodyWaitsForAreIgnored() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        F.press([.delete, .character("y")], on: &state)
        XCTAssertEqual(state.document.objects.count, 0, "deleting needs no answer: it applies at once")
        XCTAssertTrue(state.apply(.prediction(requestID: request.id, result: F.result())).isEmpty)
        XCTAssertEqual(state.document.objects.count, 0, "the deleted object's answer is ignored")
        _ = state.apply(.prediction(requestID: 99, result: F.result()))
        XCTAssertNil(state.currentObject)
    }

    func testTabAndDigitsPickCandidates() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(best: 1)))
        F.press([.tab], on: &state)
        XCTAssertEqual(state.currentObject?.chosen, 2)
        F.press([.tab], on: &state)
        XCTAssertEqual(state.currentObject?.chosen, 0, "Tab wraps around")
        F.press([.character("3")], on: &state)
        XCTAssertEqual(state.currentObject?.chosen, 2)
        XCTAssertTrue(F.predictRequests(F.press([.character("1")], on: &state)).isEmpty, "choosing needs no prediction")
        XCTAssertEqual(state.currentObject?.chosen, 0)
    }

    func testUndoAndRedoRestorePromptsCandidatesAndTheChoice() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(best: 1)))
        F.press([.character("3")], on: &state)
        let refined = try XCTUnwrap(F.predictRequests(F.press([.right, .character("x")], on: &state)).first)
        XCTAssertEqual(state.currentObject?.prompting.points.count, 2)
        _ = state.apply(.prediction(requestID: refined.id, result: F.result(count: 1, best: 0)))

        let undo = F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: background point on object 1")
        XCTAssertTrue(F.predictRequests(undo).isEmpty, "the candidates come back with their prompts: nothing to predict")
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1)
        XCTAssertTrue(state.currentObject?.prompting.multimask ?? false)
        XCTAssertEqual(state.currentObject?.candidates.count, 3)
        XCTAssertEqual(state.currentObject?.chosen, 2, "undo brings back the candidate chosen then, not the best")
        XCTAssertEqual(F.saves(undo).last?.objects.first?.steps.count, 1, "the session is saved as undone")

        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: candidate 3 of object 1")
        XCTAssertEqual(state.currentObject?.chosen, 1)
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.message?.text, "Redid: candidate 3 of object 1")
        XCTAssertEqual(state.currentObject?.chosen, 2)

        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.message?.text, "Redid: background point on object 1")
        XCTAssertEqual(state.currentObject?.prompting.points.count, 2)
        XCTAssertEqual(state.currentObject?.prompting.maskInput?.first, 2, "the mask input it was first predicted with")
        XCTAssertEqual(state.currentObject?.candidates.count, 1)
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.message?.text, "Nothing to redo")
    }

    func testRemovingTheNearestPointPredictsFromThePromptsAlone() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        let added = try XCTUnwrap(F.predictRequests(F.press(Array(repeating: .right, count: 8) + [.character("x"), .left], on: &state)).first)
        _ = state.apply(.prediction(requestID: added.id, result: F.result(count: 1, best: 0)))
        let removal = try XCTUnwrap(F.predictRequests(F.press([.character("d")], on: &state)).first)
        XCTAssertEqual(removal.prompting.points, [PromptPoint(position: PixelPoint(x: 41, y: 22), isForeground: true)],
                       "the background point, nearer the cursor, went")
        XCTAssertNil(removal.prompting.maskInput)
        XCTAssertTrue(removal.prompting.multimask, "a single point again: three candidates")
    }

    func testClearEmptiesTheObjectWithoutPredicting() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        let effects = F.press([.character("c")], on: &state)
        XCTAssertTrue(F.predictRequests(effects).isEmpty)
        XCTAssertEqual(F.saves(effects).last?.objects.count, 0, "the cleared object leaves the session")
        XCTAssertEqual(state.currentObject?.prediction, .idle)
        XCTAssertEqual(state.currentObject?.candidates.count, 0)
        XCTAssertTrue(state.currentObject?.prompting.isEmpty ?? false)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1, "clearing is undoable")
    }

    func testBoxTakesTwoCornersFromTheCursor() throws {
        var state = F.loadedState()
        F.press([.character("b")], on: &state)
        XCTAssertEqual(state.boxAnchor, PixelPoint(x: 41, y: 22))
        let request = try XCTUnwrap(F.predictRequests(F.press([.right, .right, .down, .character("b")], on: &state)).first)
        let box = try XCTUnwrap(request.prompting.box)
        XCTAssertEqual([box.x0, box.y0, box.x1, box.y1], [41, 22, 45, 26])
        XCTAssertFalse(request.prompting.multimask, "a box is not ambiguous")
        XCTAssertNil(state.boxAnchor)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(count: 1, best: 0)))

        XCTAssertTrue(F.press([.character("b"), .character("b")], on: &state).isEmpty)
        XCTAssertEqual(state.message?.isError, true, "a box of one cell is refused")
        F.press([.character("b"), .escape], on: &state)
        XCTAssertNil(state.boxAnchor)
    }

    func testAcceptStartsANewObjectInTheNextColour() throws {
        var state = F.loadedState()
        XCTAssertTrue(F.press([.character("n")], on: &state).isEmpty)
        XCTAssertEqual(state.message?.text, "Nothing to accept yet: place a point first")
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        let effects = F.press([.character("n")], on: &state)
        XCTAssertTrue(effects.contains { if case .save = $0 { return true } else { return false } })
        XCTAssertEqual(state.document.objects.count, 2)
        XCTAssertEqual(state.currentObject?.id, 2)
        XCTAssertEqual(state.currentObject?.color, ObjectPalette.color(at: 1))
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("object 2 (2 of 2)"))
        let next = try XCTUnwrap(F.predictRequests(F.press([.left, .character(" ")], on: &state)).first)
        XCTAssertEqual(next.objectID, 2)
        XCTAssertNil(next.prompting.maskInput, "a new object starts from scratch")
    }

    func testNamingAnObject() throws {
        var state = F.loadedState()
        F.press([.character("N")], on: &state)
        XCTAssertEqual(state.mode, .naming(""))
        F.press("cat!".map { .character($0) } + [.backspace], on: &state)
        XCTAssertEqual(state.mode, .naming("cat"))
        XCTAssertTrue(Chrome.messageLine(state, width: 80).plainText.contains("Name: cat_"))
        F.press([.enter], on: &state)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.currentObject?.name, "cat")
        F.press([.character("N"), .character("x"), .escape], on: &state)
        XCTAssertEqual(state.currentObject?.name, "cat", "Esc keeps the old name")
    }

    func testObjectsCanBeSelectedAndDeleted() throws {
        var state = F.loadedState()
        for _ in 0..<2 {
            let request = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
            _ = state.apply(.prediction(requestID: request.id, result: F.result()))
            F.press([.character("n")], on: &state)
        }
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2, 3])
        F.press([.character(",")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2], "the empty new object is dropped when leaving it")
        XCTAssertEqual(state.currentObject?.id, 2)
        F.press([.character(".")], on: &state)
        XCTAssertEqual(state.currentObject?.id, 1, "wraps around")
        F.press([.delete], on: &state)
        XCTAssertEqual(state.mode, .confirmDeleteObject)
        F.press([.character("n")], on: &state)
        XCTAssertEqual(state.document.objects.count, 2, "anything but y keeps it")
        F.press([.delete, .character("y")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [2])
    }

    func testQuitAsksOnlyWhenSomethingIsUnsaved() throws {
        var clean = F.loadedState()
        XCTAssertTrue(isQuit(F.press([.character("q")], on: &clean)))

        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        XCTAssertFalse(isQuit(F.press([.character("q")], on: &state)))
        XCTAssertEqual(state.mode, .confirmQuit)
        XCTAssertFalse(isQuit(F.press([.character("n")], on: &state)))
        XCTAssertEqual(state.mode, .normal)
        var interrupted = state
        XCTAssertFalse(isQuit(F.press([.control("c")], on: &interrupted)), "Ctrl-C asks like q")
        XCTAssertTrue(isQuit(F.press([.character("y")], on: &interrupted)))
        XCTAssertTrue(isQuit(F.press([.character("q"), .control("c")], on: &state)), "a second Ctrl-C quits")
    }

    func testExportSendsTheObjectsWithMasksAndClearsUnsaved() throws {
        var state = F.loadedState()
        XCTAssertTrue(F.press([.character("e")], on: &state).isEmpty)
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(best: 1)))
        F.press([.character("N")] + "dog".map { .character($0) } + [.enter, .character("n")], on: &state)
        let effects = F.press([.character("e"), .enter], on: &state)
        guard case .export(let export)? = effects.first else { return XCTFail("expected an export, got \(effects)") }
        XCTAssertEqual(export.imagePath, "/images/cat.png")
        XCTAssertEqual(export.objects.map(\.displayName), ["dog"], "the empty new object is not exported")
        XCTAssertEqual(export.objects.first?.steps.last?.candidate, 1)
        XCTAssertEqual(export.objects.first?.steps.count, 1)
        XCTAssertEqual(export.imageWidth, 80)
        _ = state.apply(.exportFinished(imageIndex: 0, files: ["/images/cat.mask-01-dog.png"]))
        XCTAssertFalse(state.hasUnsavedChanges)
        XCTAssertEqual(state.message?.text, "Exported 1 file to /images")
        XCTAssertTrue(isQuit(F.press([.character("q")], on: &state)))
    }

    func testExportAsksBeforeOverwritingOtherFiles() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        guard case .export(let first)? = F.press([.character("e"), .enter], on: &state).first else { return XCTFail("no export") }
        XCTAssertFalse(first.overwrite)
        _ = state.apply(.exportNeedsOverwrite(imageIndex: 0, existing: ["/images/cat_mask_01.png", "/images/cat_coco.json"]))
        XCTAssertEqual(state.mode, .confirmOverwrite(["/images/cat_mask_01.png", "/images/cat_coco.json"]))
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.contains("cat_mask_01.png, cat_coco.json exist: overwrite? (y/n)"),
                      Chrome.messageLine(state, width: 120).plainText)
        XCTAssertTrue(F.press([.character("n")], on: &state).isEmpty)
        XCTAssertEqual(state.message?.text, "Export cancelled: nothing was overwritten")
        _ = state.apply(.exportNeedsOverwrite(imageIndex: 0, existing: ["/images/cat_mask_01.png"]))
        guard case .export(let again)? = F.press([.character("y")], on: &state).first else { return XCTFail("no export") }
        XCTAssertTrue(again.overwrite)
    }

    func testStepsRecordTheChainOfPredictions() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(best: 2)))
        let second = try XCTUnwrap(F.predictRequests(F.press([.right, .character("x")], on: &state)).first)
        _ = state.apply(.prediction(requestID: second.id, result: F.result(count: 1, best: 0)))
        let steps = try XCTUnwrap(state.currentObject?.steps)
        XCTAssertEqual(steps.map(\.points.count), [1, 2])
        XCTAssertEqual(steps.map(\.maskInput), [false, true])
        XCTAssertEqual(steps.map(\.multimask), [true, false])
        XCTAssertEqual(steps.map(\.candidate), [2, 0], "each step keeps the candidate whose logits went on")
        let removal = try XCTUnwrap(F.predictRequests(F.press([.character("d")], on: &state)).first)
        _ = state.apply(.prediction(requestID: removal.id, result: F.result()))
        _ = F.press([.character("d")], on: &state)
        XCTAssertEqual(state.currentObject?.steps.count, 0, "no prompts, no steps")
    }

    func testHelpOverlayClosesOnAnyKey() {
        var state = F.loadedState()
        F.press([.character("?")], on: &state)
        XCTAssertEqual(state.mode, .help)
        XCTAssertTrue(F.press([.character("q")], on: &state).isEmpty, "q closes the help, it does not quit")
        XCTAssertEqual(state.mode, .normal)
    }

    func testZoomKeepsTheCursorsImagePointAndPansWhenTheCursorLeaves() {
        var state = F.loadedState()
        F.press([.character("+")], on: &state)
        let view = try! XCTUnwrap(state.viewport)
        XCTAssertEqual(view.zoom, 1.5, accuracy: 1e-9)
        XCTAssertEqual(state.cursor, PixelPoint(x: 41, y: 22), "zooming does not move the cursor on the image")
        F.press([.character("-"), .character("-")], on: &state)
        XCTAssertEqual(state.viewport?.zoom ?? 0, 1, accuracy: 1e-9, "never smaller than the fit")
        F.press([.character("+"), .character("+"), .character("+")], on: &state)
        let zoomed = try! XCTUnwrap(state.viewport)
        let originBefore = zoomed.originX
        F.press(Array(repeating: .right, count: 40), on: &state)
        XCTAssertGreaterThan(state.viewport!.originX, originBefore, "the view follows the cursor")
        let cell = state.viewport!.cell(containing: state.cursor)
        XCTAssertTrue((0..<40).contains(cell.column), "the cursor stays on screen")
        F.press([.character("0")], on: &state)
        XCTAssertEqual(state.viewport?.zoom ?? 0, 1, accuracy: 1e-9)
    }

    func testResizeRelaysOutAndTooSmallIsReported() {
        var state = F.loadedState()
        _ = state.apply(.resize(TerminalSize(columns: 120, rows: 40)))
        XCTAssertEqual(state.layout.imageArea, CellRect(column: 0, row: 0, width: 96, height: 38))
        XCTAssertEqual(state.layout.objectPanel, CellRect(column: 96, row: 0, width: 24, height: 38))
        XCTAssertEqual(state.viewport?.columns, 96)
        XCTAssertEqual(state.viewport?.scale ?? 0, 80.0 / 96.0, accuracy: 1e-9, "still fits the image, now by width")
        _ = state.apply(.resize(TerminalSize(columns: 30, rows: 8)))
        XCTAssertTrue(state.layout.isTooSmall)
        XCTAssertEqual(state.layout.tooSmallMessage, "Terminal too small: 30x8, need at least 40x10")
    }

    func testMouseClicksPlacePointsAndDragsDrawBoxes() throws {
        var state = F.loadedState()
        _ = state.apply(.mouse(MouseInput(position: CellPosition(column: 5, row: 2), button: .left, kind: .press)))
        let click = F.predictRequests(state.apply(.mouse(MouseInput(position: CellPosition(column: 5, row: 2), button: .left, kind: .release))))
        XCTAssertEqual(click.first?.prompting.points, [PromptPoint(position: PixelPoint(x: 11, y: 10), isForeground: true)])
        _ = state.apply(.prediction(requestID: try XCTUnwrap(click.first).id, result: F.result()))
        let right = F.predictRequests(state.apply(.mouse(MouseInput(position: CellPosition(column: 7, row: 2), button: .right, kind: .press))))
        XCTAssertEqual(right.first?.prompting.points.last, PromptPoint(position: PixelPoint(x: 15, y: 10), isForeground: false))
        XCTAssertEqual(state.cursor, PixelPoint(x: 15, y: 10), "the cursor follows the mouse")
        _ = state.apply(.prediction(requestID: try XCTUnwrap(right.first).id, result: F.result(count: 1, best: 0)))

        _ = state.apply(.mouse(MouseInput(position: CellPosition(column: 1, row: 1), button: .left, kind: .press)))
        let drag = F.predictRequests(state.apply(.mouse(MouseInput(position: CellPosition(column: 4, row: 3), button: .left, kind: .release))))
        let box = try XCTUnwrap(drag.first?.prompting.box)
        XCTAssertEqual([box.x0, box.y0, box.x1, box.y1], [3, 6, 9, 14])
    }

    func testClickingTheObjectsPanelSelectsAnObject() throws {
        var state = F.loadedState(terminal: TerminalSize(columns: 100, rows: 20))
        for _ in 0..<2 {
            let request = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
            _ = state.apply(.prediction(requestID: request.id, result: F.result()))
            F.press([.character("n")], on: &state)
        }
        let panel = try XCTUnwrap(state.layout.objectPanel)
        _ = state.apply(.mouse(MouseInput(position: CellPosition(column: panel.column + 3, row: panel.row + ObjectPanel.firstObjectRow),
                                          button: .left, kind: .press)))
        XCTAssertEqual(state.currentObject?.id, 1)
        XCTAssertEqual(state.document.objects.count, 2)
        let lines = ObjectPanel.lines(state, width: panel.width, height: panel.height).map(\.plainText)
        XCTAssertEqual(Array(lines.prefix(3)), [" Objects", ">█ 1", " █ 2"])
    }

    func testSwitchingImagesOpensThemAndPrefetchesTheNext() throws {
        var state = F.loadedState(paths: ["/a.png", "/b.png", "/c.png"])
        XCTAssertEqual(state.images[0].encoding, .ready(seconds: 0.5, fromCache: false))
        let pending = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertTrue(F.press([.character("]")], on: &state).isEmpty, "leaving waits for the image's prediction")
        // The worker let it go unanswered: the object is predicted again on coming back.
        let effects = state.apply(.predictionDropped(requestID: pending.id))
        guard case .openImage(let index, let path, let needsPixels, let lookForSession)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual([index], [1])
        XCTAssertEqual(path, "/b.png")
        XCTAssertTrue(needsPixels)
        XCTAssertTrue(lookForSession, "its session has not been looked for yet")
        XCTAssertNil(state.viewport, "nothing to show until the pixels arrive")
        XCTAssertNil(state.images[0].image, "pixels of images off screen are let go")

        XCTAssertEqual(state.images[0].objects.first?.prediction, .stale)
        _ = state.apply(.imageLoaded(index: 1, image: F.gradient(width: 20, height: 10)))
        let encoded = state.apply(.imageEncoded(index: 1, seconds: 1, fromCache: true))
        guard case .prefetchImage(2, "/c.png")? = encoded.first else { return XCTFail("\(encoded)") }

        let back = F.press([.character("[")], on: &state)
        guard case .openImage(0, "/a.png", true, false)? = back.first else { return XCTFail("\(back)") }
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        let repredicted = F.predictRequests(state.apply(.imageEncoded(index: 0, seconds: 0, fromCache: true)))
        XCTAssertEqual(repredicted.first?.objectID, 1, "the dropped prediction is asked again")
        XCTAssertEqual(repredicted.first?.prompting.points.count, 1)
    }

    func testEncodingShowsProgressWithElapsedTime() {
        var state = EditorState(imagePaths: ["/a.png"], terminal: F.terminal, setup: F.setup)
        XCTAssertTrue(Chrome.messageLine(state, width: 80).plainText.contains("loading model"))
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.encodingStarted(index: 0, at: 10))
        _ = state.apply(.tick(now: 12.34))
        XCTAssertTrue(Chrome.messageLine(state, width: 80).plainText.hasSuffix("encoding 2.3 s "),
                      Chrome.messageLine(state, width: 80).plainText)
        XCTAssertEqual(Chrome.placeholder(state), "Loading a.png…")
        _ = state.apply(.imageFailed(index: 0, message: "/a.png: not a PNG or JPEG file"))
        XCTAssertEqual(Chrome.placeholder(state), "/a.png: not a PNG or JPEG file")
        XCTAssertEqual(state.message, StatusMessage("/a.png: not a PNG or JPEG file", isError: true))
    }

    func testFailuresShowInTheMessageLine() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.predictionFailed(requestID: request.id, message: "out of memory"))
        XCTAssertEqual(state.currentObject?.prediction, .failed("out of memory"))
        XCTAssertEqual(state.message, StatusMessage("Prediction failed: out of memory", isError: true))
        _ = state.apply(.failure("cannot write /x: permission denied"))
        XCTAssertTrue(Chrome.messageLine(state, width: 80).contains(StyledSpan(" cannot write /x: permission denied", .error)))
    }

    func testAModelThatFailsToLoadStopsTheSpinnerAndSaysWhy() {
        var state = EditorState(imagePaths: ["/a.png"], terminal: F.terminal, setup: F.setup)
        _ = state.apply(.modelFailed(message: "/m.pt: not a checkpoint"))
        let line = Chrome.messageLine(state, width: 80).plainText
        XCTAssertTrue(line.hasPrefix(" /m.pt: not a checkpoint"), line)
        XCTAssertTrue(line.hasSuffix("no model "), line)
        XCTAssertFalse(line.contains("loading model"), line)
    }

    func testLargeImagesGetDisplayMasksCappedAt1024() {
        XCTAssertEqual(EditorState.displayMaskSize(width: 4000, height: 3000).width, 1024)
        XCTAssertEqual(EditorState.displayMaskSize(width: 4000, height: 3000).height, 768)
        XCTAssertEqual(EditorState.displayMaskSize(width: 640, height: 480).width, 640)
    }

    private func isQuit(_ effects: [EditorEffect]) -> Bool {
        effects.contains { if case .quit = $0 { return true } else { return false } }
    }
}
