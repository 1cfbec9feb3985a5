// Zoom at the pointer, panning with keys and with a drag, the position indicator, and the rubber
// band of a box dragged with the mouse: pure updates on an 80 x 40 image in a 40 x 10 area.
import XCTest
import Segmentation
@testable import TerminalUI

final class ViewPanTests: XCTestCase {
    typealias F = EditorFixtures

    private func mouse(_ column: Int, _ row: Int, _ button: MouseButton, _ kind: MouseInput.Kind, shift: Bool = false) -> EditorEvent {
        .mouse(MouseInput(position: CellPosition(column: column, row: row), button: button, kind: kind, shift: shift))
    }

    func testTheWheelZoomsAtThePointerKeepingItsImagePointUnderIt() throws {
        var state = F.loadedState()
        let pointer = CellPosition(column: 8, row: 2)
        let before = try XCTUnwrap(state.viewport).imagePoint(atCell: pointer)
        _ = state.apply(mouse(8, 2, .wheelUp, .press))
        _ = state.apply(mouse(8, 2, .wheelUp, .press))
        let view = try XCTUnwrap(state.viewport)
        XCTAssertEqual(view.zoom, 2.25, accuracy: 1e-9)
        XCTAssertEqual(view.cell(containing: before), pointer, "the image point under the pointer stays under it")
        XCTAssertEqual(view.cell(containing: state.cursor), pointer, "the crosshair follows the pointer")
        XCTAssertNotEqual(view.cell(containing: PixelPoint(x: 41, y: 22)), CellPosition(column: 20, row: 5),
                          "not zoomed around the old crosshair")
    }

    func testPanKeysMoveTheViewAQuarterAndStopAtTheEdge() throws {
        var state = F.loadedState()
        F.press([.controlRight], on: &state)
        XCTAssertEqual(state.viewport?.originX, 0, "nothing to pan at the fit")
        XCTAssertTrue(state.message?.text.contains("zoom in") ?? false, "\(String(describing: state.message))")
        F.press([.character("+"), .character("+")], on: &state)
        let zoomed = try XCTUnwrap(state.viewport)
        F.press([.controlRight], on: &state)
        let panned = try XCTUnwrap(state.viewport)
        XCTAssertEqual(panned.originX - zoomed.originX, Double(40 / 4) * zoomed.scale, accuracy: 1e-9, "a quarter of 40 columns")
        XCTAssertEqual(panned.originY, zoomed.originY)
        F.press(Array(repeating: .controlRight, count: 20), on: &state)
        let edge = try XCTUnwrap(state.viewport)
        XCTAssertEqual(edge.originX + Double(edge.columns) * edge.scale, 80, accuracy: 1e-9, "clamped at the right edge")
        XCTAssertTrue(state.message?.text.contains("edge") ?? false)
        F.press([.controlDown, .controlLeft], on: &state)
        XCTAssertGreaterThan(state.viewport!.originY, edge.originY)
        XCTAssertLessThan(state.viewport!.originX, edge.originX)
        let cursorCell = state.viewport!.cell(containing: state.cursor)
        XCTAssertTrue(CellRect(column: 0, row: 0, width: 40, height: 10).contains(cursorCell), "the crosshair stays in view")
    }

    func testAMiddleDragPansWithThePointer() throws {
        var state = F.loadedState()
        F.press([.character("+"), .character("+"), .character("+")], on: &state)
        let start = try XCTUnwrap(state.viewport)
        _ = state.apply(mouse(20, 5, .middle, .press))
        XCTAssertEqual(state.panGrabCell, CellPosition(column: 20, row: 5))
        _ = state.apply(mouse(17, 4, .none, .motion))
        let moved = try XCTUnwrap(state.viewport)
        XCTAssertEqual(moved.originX - start.originX, 3 * start.scale, accuracy: 1e-9, "dragging left shows more of the right")
        XCTAssertEqual(moved.originY - start.originY, 1 * start.scale * start.cellAspect, accuracy: 1e-9)
        _ = state.apply(mouse(19, 4, .middle, .release))
        XCTAssertEqual(state.viewport!.originX - start.originX, 1 * start.scale, accuracy: 1e-9, "the release pans the rest")
        XCTAssertNil(state.panGrabCell)
        XCTAssertTrue(state.document.objects.isEmpty, "a pan places no point")
    }

    func testAShiftLeftDragPansTooAndPlacesNoPoint() throws {
        var state = F.loadedState()
        F.press([.character("+"), .character("+")], on: &state)
        let start = try XCTUnwrap(state.viewport)
        _ = state.apply(mouse(10, 5, .left, .press, shift: true))
        _ = state.apply(mouse(14, 5, .none, .motion, shift: true))
        let effects = state.apply(mouse(14, 5, .left, .release, shift: true))
        XCTAssertTrue(F.predictRequests(effects).isEmpty)
        XCTAssertEqual(state.viewport!.originX - start.originX, -4 * start.scale, accuracy: 1e-9)
    }

    func testALeftDragShowsARubberBandUntilReleased() throws {
        var state = F.loadedState()
        _ = state.apply(mouse(1, 1, .left, .press))
        XCTAssertNil(state.rubberBand, "a press alone draws nothing")
        _ = state.apply(mouse(3, 2, .none, .motion))
        let band = try XCTUnwrap(state.rubberBand)
        XCTAssertEqual([band.x0, band.y0, band.x1, band.y1], [3, 6, 7, 10])
        XCTAssertEqual(OverlayScene(state: state).pendingBox, band, "drawn as the keyboard box preview is")
        _ = state.apply(mouse(4, 3, .none, .motion))
        XCTAssertEqual(state.rubberBand?.x1, 9)
        let drag = F.predictRequests(state.apply(mouse(4, 3, .left, .release)))
        XCTAssertNil(state.rubberBand)
        let box = try XCTUnwrap(drag.first?.prompting.box)
        XCTAssertEqual([box.x0, box.y0, box.x1, box.y1], [3, 6, 9, 14])
    }

    func testTheStatusLineSaysWhichPartOfTheImageShows() throws {
        var state = F.loadedState(terminal: TerminalSize(columns: 120, rows: 30))
        XCTAssertFalse(Chrome.statusLine(state, width: 120).plainText.contains("view "), "nothing at the fit")
        F.press([.character("+"), .character("+")], on: &state)
        let shown = try XCTUnwrap(state.viewport).visibleFraction
        XCTAssertEqual(shown.x.upperBound - shown.x.lowerBound, 1 / 2.25, accuracy: 0.01)
        let line = Chrome.statusLine(state, width: 120).plainText
        XCTAssertTrue(line.contains("zoom 2.2x view ") || line.contains("zoom 2.3x view "), line)
        XCTAssertTrue(line.contains(#/view \d+–\d+% x, \d+–\d+% y/#) , line)
    }

    func testShowOnlySelectedHidesTheOtherObjects() throws {
        var state = F.loadedState()
        for _ in 0..<2 {
            let request = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
            _ = state.apply(.prediction(requestID: request.id, result: F.result()))
            F.press([.character("n")], on: &state)
        }
        F.press([.character(",")], on: &state)
        XCTAssertEqual(OverlayScene(state: state).masks.count, 2)
        F.press([.character("w")], on: &state)
        XCTAssertEqual(OverlayScene(state: state).masks.map(\.identity.objectID), [state.currentObject!.id])
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("only selected"))
        F.press([.character("w")], on: &state)
        XCTAssertEqual(OverlayScene(state: state).masks.count, 2)
    }
}
