// Mask sculpting in the pure editor state: discs and strokes, the brush, clean-ups, refining
// from the edited mask, no overlaps, undo, sessions.
import XCTest
import Segmentation
@testable import TerminalUI

final class SculptingTests: XCTestCase {
    typealias F = EditorFixtures

    /// A state whose current object has the fixture's candidates (the left half of the image).
    private func stateWithObject() throws -> EditorState {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        return state
    }

    private func mask(_ state: EditorState) throws -> BinaryMask { try XCTUnwrap(state.currentObject?.mask) }

    private func at(_ state: EditorState) -> (x: Int, y: Int) { (Int(state.cursor.x), Int(state.cursor.y)) }

    func testSpaceAndXPaintAndEraseDiscsInPaintMode() throws {
        var state = try stateWithObject()
        F.press([.character("p")], on: &state)
        XCTAssertTrue(state.paintMode)
        XCTAssertTrue(StatusLine.line(state, width: 200).plainText.contains("paint r="), StatusLine.line(state, width: 200).plainText)
        // Into the right half, outside the mask: Space paints there, and predicts nothing.
        F.press(Array(repeating: .right, count: 10), on: &state)
        let painted = at(state)
        XCTAssertFalse(try mask(state)[painted.x, painted.y])
        let effects = F.press([.character(" ")], on: &state)
        XCTAssertTrue(F.predictRequests(effects).isEmpty, "a stroke is not a prompt")
        XCTAssertTrue(try mask(state)[painted.x, painted.y])
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1)
        XCTAssertEqual(F.saves(effects).last?.objects.first?.edits.count, 1, "saved at once")

        // Back into the mask: x erases a disc of the brush's radius there.
        F.press(Array(repeating: .left, count: 15), on: &state)
        let erased = at(state)
        XCTAssertTrue(try mask(state)[erased.x, erased.y])
        F.press([.character("x")], on: &state)
        XCTAssertFalse(try mask(state)[erased.x, erased.y])
        let radius = state.currentBrushRadius
        guard case .stroke(let first)? = state.currentObject?.edits.first, case .stroke(let second)? = state.currentObject?.edits.last else {
            return XCTFail("two strokes")
        }
        XCTAssertFalse(first.erases)
        XCTAssertTrue(second.erases)
        XCTAssertEqual(first.radius, radius)
        XCTAssertEqual(state.currentObject?.edits.count, 2)

        // Out of paint mode, x is a background point again.
        F.press([.character("p")], on: &state)
        XCTAssertFalse(state.paintMode)
        let point = F.press([.character("x")], on: &state)
        XCTAssertEqual(F.predictRequests(point).count, 1)
    }

    func testThePenDrawsOneStrokeAlongThePathAndOneUndoTakesItBack() throws {
        var state = try stateWithObject()
        F.press(Array(repeating: .right, count: 8), on: &state)
        F.press([.character("P")], on: &state)
        XCTAssertTrue(state.paintMode)
        XCTAssertNotNil(state.pen)
        var path = [state.cursor]
        for _ in 0..<5 {
            F.press([.right], on: &state)
            path.append(state.cursor)
        }
        F.press([.down], on: &state)
        path.append(state.cursor)
        let effects = F.press([.character("p")], on: &state)
        XCTAssertNil(state.pen, "p lifts the pen")
        XCTAssertTrue(state.paintMode, "and stays in paint mode")
        XCTAssertEqual(F.saves(effects).count, 1, "the lifted stroke is saved")
        guard case .stroke(let stroke)? = state.currentObject?.edits.last, state.currentObject?.edits.count == 1 else {
            return XCTFail("one stroke")
        }
        XCTAssertEqual(stroke.path.map { PixelPoint(x: $0.x, y: $0.y) }, path)
        for point in path { XCTAssertTrue(try mask(state)[Int(point.x), Int(point.y)], "\(point) is painted") }
        // Between two points of the path too.
        let middle = PixelPoint(x: (path[0].x + path[1].x) / 2, y: path[0].y)
        XCTAssertTrue(try mask(state)[Int(middle.x), Int(middle.y)])

        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.currentObject?.edits.count, 0)
        XCTAssertTrue(state.message?.text.contains("Undid: paint stroke on object 1") == true, state.message?.text ?? "")
        XCTAssertEqual(try mask(state), F.result().candidates[1].mask)
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.currentObject?.edits.count, 1)
    }

    func testEscLiftsThePenThenLeavesPaintModeAndOtherKeysEndTheStroke() throws {
        var state = try stateWithObject()
        F.press([.character("X")], on: &state)
        XCTAssertEqual(state.pen?.erases, true)
        F.press([.escape], on: &state)
        XCTAssertNil(state.pen)
        XCTAssertTrue(state.paintMode)
        F.press([.escape], on: &state)
        XCTAssertFalse(state.paintMode)
        // A key that is not a move ends the stroke: the next moves draw nothing.
        F.press([.character("P"), .right, .character("}")], on: &state)
        XCTAssertNil(state.pen)
        F.press([.right, .right], on: &state)
        guard case .stroke(let stroke)? = state.currentObject?.edits.last else { return XCTFail("a stroke") }
        XCTAssertEqual(stroke.path.count, 2)
    }

    func testBrushSizeIsInImagePixelsAndBounded() throws {
        var state = try stateWithObject()
        let start = state.currentBrushRadius
        XCTAssertEqual(start, 2, "a hundredth of 80 px, at least 2")
        F.press([.character("}")], on: &state)
        XCTAssertEqual(state.currentBrushRadius, 3)
        F.press(Array(repeating: .character("}"), count: 30), on: &state)
        XCTAssertEqual(state.currentBrushRadius, 40, "at most half the long side")
        XCTAssertEqual(state.message?.text, "The brush is at its largest")
        F.press(Array(repeating: .character("{"), count: 40), on: &state)
        XCTAssertEqual(state.currentBrushRadius, 1)
        F.press([.character("}"), .character("}"), .character("}"), .character("p"), .character(" ")], on: &state)
        guard case .stroke(let stroke)? = state.currentObject?.edits.last else { return XCTFail("a stroke") }
        XCTAssertEqual(stroke.radius, state.currentBrushRadius)
    }

    func testAClickAfterStrokesKeepsThemAndUndoInterleaves() throws {
        var state = try stateWithObject()
        F.press(Array(repeating: .right, count: 10), on: &state)
        let painted = at(state)
        F.press([.character("p"), .character(" "), .character("p")], on: &state)
        // A second point: predicted again, and the stroke applies over the new candidates.
        F.press(Array(repeating: .down, count: 2), on: &state)
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(count: 1, best: 0) { x, _ in x < 20 }))
        XCTAssertTrue(try mask(state)[painted.x, painted.y], "the stroke stays on the new prediction")
        XCTAssertFalse(try mask(state)[30, 20], "which is the new candidate's")

        F.press([.character("u")], on: &state)  // the point
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1)
        XCTAssertEqual(state.currentObject?.edits.count, 1)
        XCTAssertTrue(try mask(state)[30, 20])
        F.press([.character("u")], on: &state)  // the stroke
        XCTAssertEqual(state.currentObject?.edits.count, 0)
        XCTAssertFalse(try mask(state)[painted.x, painted.y])
        F.press([.control("r"), .control("r")], on: &state)
        XCTAssertEqual(state.currentObject?.edits.count, 1)
        XCTAssertEqual(state.currentObject?.prompting.points.count, 2)
        XCTAssertTrue(try mask(state)[painted.x, painted.y])
    }

    func testFillHolesAndRemoveIslandsWithTheirAreas() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        // The left half with a 3x3 hole, and a 2x2 island on the right.
        let result = F.result { x, y in
            (x < 40 && !((10..<13).contains(x) && (10..<13).contains(y))) || ((60..<62).contains(x) && (5..<7).contains(y))
        }
        _ = state.apply(.prediction(requestID: request.id, result: result))
        XCTAssertFalse(try mask(state)[11, 11])
        XCTAssertTrue(try mask(state)[60, 5])

        F.press([.character("F"), .backspace, .backspace, .backspace, .character("5"), .enter], on: &state)
        XCTAssertEqual(state.holeArea, 5)
        F.press([.character("f")], on: &state)
        XCTAssertTrue(state.message?.text.hasPrefix("No holes under 5 px") == true, state.message?.text ?? "")
        XCTAssertEqual(state.currentObject?.edits.count, 0, "nothing to clean is no step")
        F.press([.character("F"), .character("0"), .enter, .character("f")], on: &state)  // 50
        XCTAssertEqual(state.holeArea, 50)
        XCTAssertTrue(try mask(state)[11, 11])
        F.press([.character("i")], on: &state)
        XCTAssertFalse(try mask(state)[60, 5])
        XCTAssertEqual(state.currentObject?.edits, [.fillHoles(area: 50), .removeIslands(area: 100)])
        F.press([.character("u")], on: &state)
        XCTAssertTrue(try mask(state)[60, 5])
        XCTAssertTrue(state.message?.text.contains("remove islands") == true, state.message?.text ?? "")
        // The exact official rule, at the image's size.
        let expected = result.candidates[1].mask.removingSmallRegions(below: 50, mode: .holes)
        XCTAssertEqual(try mask(state), expected)
    }

    func testNoOverlapsLetsTheFirstObjectWinAndIsSaved() throws {
        var state = try stateWithObject()  // object 1: x < 40
        F.press([.character("n")], on: &state)
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result { x, _ in x >= 20 && x < 60 }))
        XCTAssertTrue(try mask(state)[30, 5], "overlapping while allowed")
        let effects = F.press([.character("v")], on: &state)
        XCTAssertEqual(F.saves(effects).last?.noOverlaps, true)
        XCTAssertFalse(try mask(state)[30, 5], "object 2 leaves out object 1's pixels")
        XCTAssertTrue(try mask(state)[50, 5])
        XCTAssertTrue(state.document.objects[0].mask?[30, 5] == true, "the first keeps its own")
        XCTAssertTrue(StatusLine.line(state, width: 200).plainText.contains("no overlaps"))
        // Saved masks stay whole: exports and replays apply no-overlaps themselves.
        XCTAssertEqual(F.saves(effects).last?.objects.last?.mask?[30, 5], true)
        F.press([.character("v")], on: &state)
        XCTAssertTrue(try mask(state)[30, 5])
    }

    func testRefineAsksWithTheEditedMaskAndRecordsTheEditsItHeld() throws {
        var state = try stateWithObject()
        XCTAssertTrue(F.predictRequests(F.press([.character("r")], on: &state)).isEmpty)
        XCTAssertTrue(state.message?.text.hasPrefix("Nothing to refine from") == true)
        F.press(Array(repeating: .right, count: 10), on: &state)
        F.press([.character("p"), .character(" ")], on: &state)
        let edited = try mask(state)
        let request = try XCTUnwrap(F.predictRequests(F.press([.character("r")], on: &state)).first)
        XCTAssertEqual(request.editedMask, edited)
        XCTAssertNil(request.prompting.maskInput, "the worker makes it from the mask")
        XCTAssertFalse(request.prompting.multimask)
        let logits = [Float](repeating: 7, count: 16)
        _ = state.apply(.replayed(requestID: request.id, result: F.result(count: 1, best: 0), maskInput: logits))
        let object = try XCTUnwrap(state.currentObject)
        XCTAssertEqual(object.prompting.maskInput, logits)
        XCTAssertEqual(object.steps.count, 2)
        XCTAssertEqual(object.steps.last?.maskInput, true)
        XCTAssertEqual(object.steps.last?.maskInputEdits, 1)
        XCTAssertEqual(object.steps.first?.maskInputEdits, nil)
        XCTAssertTrue(try mask(state)[Int(state.cursor.x), Int(state.cursor.y)], "the stroke stays on top")
        // A click after it refines from the candidate's logits, as always.
        let click = try XCTUnwrap(F.predictRequests(F.press([.character("p"), .down, .character(" ")], on: &state)).first)
        XCTAssertNil(click.editedMask)
        XCTAssertEqual(click.prompting.maskInput, F.result(count: 1, best: 0).candidates[0].lowResLogits)
    }

    func testStrokesOnNothingMakeAnObjectThatIsSavedWithoutSteps() throws {
        var state = F.loadedState()
        let effects = F.press([.character("p"), .character(" ")], on: &state)
        XCTAssertTrue(F.predictRequests(effects).isEmpty)
        let object = try XCTUnwrap(state.currentObject)
        XCTAssertTrue(object.hasMask)
        XCTAssertTrue(try mask(state)[Int(state.cursor.x), Int(state.cursor.y)])
        let saved = try XCTUnwrap(F.saves(effects).last?.objects.first)
        XCTAssertEqual(saved.steps, [])
        XCTAssertEqual(saved.edits.count, 1)
    }

    func testSessionsKeepEditsAndRestoreThem() throws {
        var state = try stateWithObject()
        F.press(Array(repeating: .right, count: 10), on: &state)
        let effects = F.press([.character("p"), .character(" "), .character("v")], on: &state)
        let snapshot = try XCTUnwrap(F.saves(effects).last)
        let session = snapshot.session(imageReferencePath: "cat.png")
        XCTAssertEqual(session.noOverlaps, true)
        XCTAssertEqual(session.objects.first?.edits, state.currentObject?.edits)
        XCTAssertEqual(try session.objects.first?.mask?.decode(width: 80, height: 40), try mask(state))

        // Reopened: the edits and the flag come back, and the replay is asked with them.
        var restored = EditorState(imagePaths: ["/images/cat.png"], terminal: F.terminal, setup: F.setup)
        _ = restored.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = restored.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        _ = restored.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .found(session)))
        let replay = try XCTUnwrap(F.replayRequests(restored.apply(.imageEncoded(index: 0, seconds: 0.5, fromCache: false))).first)
        XCTAssertEqual(replay.edits, session.objects[0].edits)
        XCTAssertEqual(replay.imageWidth, 80)
        XCTAssertTrue(restored.document.noOverlaps)
        _ = restored.apply(.replayed(requestID: replay.id, result: F.result(), maskInput: nil))
        XCTAssertEqual(restored.document.objects.first?.mask, try mask(state), "the same mask, pixel for pixel")
    }

    func testInPaintModeALeftDragPaintsAndARightDragErasesOneStrokeEach() throws {
        var state = try stateWithObject()
        F.press([.character("p")], on: &state)
        let area = state.layout.imageArea
        func mouse(_ column: Int, _ button: MouseButton, _ kind: MouseInput.Kind) -> [EditorEffect] {
            state.apply(.mouse(MouseInput(position: CellPosition(column: area.column + column, row: area.row + 5),
                                          button: button, kind: kind)))
        }
        // Left: from cell 25 to 35 (image x 50 to 70), outside the mask.
        _ = mouse(25, .left, .press)
        XCTAssertNotNil(state.pen)
        XCTAssertTrue(state.isDragging, "motion reports matter while the pen is down")
        _ = mouse(30, .left, .motion)
        let saved = F.saves(mouse(35, .left, .release))
        XCTAssertNil(state.pen)
        XCTAssertEqual(saved.last?.objects.first?.edits.count, 1, "the stroke is saved when the button comes up")
        guard case .stroke(let painted)? = state.currentObject?.edits.last else { return XCTFail("a stroke") }
        XCTAssertEqual(painted.path.count, 3)
        XCTAssertFalse(painted.erases)
        let y = Int(painted.path[0].y)
        for x in stride(from: Int(painted.path[0].x), through: Int(painted.path[2].x), by: 1) {
            XCTAssertTrue(try mask(state)[x, y], "painted at \(x)")
        }
        // Right: from cell 5 to 10, inside the mask.
        _ = mouse(5, .right, .press)
        _ = mouse(10, .right, .motion)
        _ = mouse(10, .right, .release)
        guard case .stroke(let erased)? = state.currentObject?.edits.last else { return XCTFail("a stroke") }
        XCTAssertTrue(erased.erases)
        XCTAssertEqual(state.currentObject?.edits.count, 2)
        XCTAssertFalse(try mask(state)[Int(erased.path[0].x), Int(erased.path[0].y)])
        XCTAssertTrue(F.predictRequests(mouse(20, .left, .click)).isEmpty, "a click paints a disc, not a point")
        XCTAssertEqual(state.currentObject?.edits.count, 3)
    }
}
