// What the text renderers write after the first frame: only the cells that changed, so a click
// costs what its mask changed and a cursor move costs the crosshair.
import XCTest
import Segmentation
@testable import TerminalUI

final class FrameBytesTests: XCTestCase {
    typealias F = EditorFixtures
    let textRenderers: [RendererKind] = [.truecolor, .palette256, .mono]

    /// The cells of the image area that differ between two frames, in screen coordinates.
    func changedCells(_ before: CellGrid, _ after: CellGrid, origin: CellPosition) -> Set<CellPosition> {
        var changed = Set<CellPosition>()
        for row in 0..<after.height {
            for column in 0..<after.width where before[column, row] != after[column, row] {
                changed.insert(CellPosition(column: origin.column + column, row: origin.row + row))
            }
        }
        return changed
    }

    /// What sending just `cells` costs on its own: each cell's glyph and its whole rendition
    /// (from a reset), and one cursor placement per run of neighbouring cells in a row.
    func updateBytes(of cells: Set<CellPosition>, in grid: CellGrid, origin: CellPosition, depth: ColorDepth) -> Int {
        var total = 0
        for cell in cells {
            let shown = grid[cell.column - origin.column, cell.row - origin.row]
            var rendition: [UInt8] = []
            SGRState(cell: shown, depth: depth).appendTransition(from: nil, to: &rendition)
            total += rendition.count + String(shown.glyph).utf8.count
            if !cells.contains(CellPosition(column: cell.column - 1, row: cell.row)) {
                total += "\u{1b}[\(cell.row + 1);\(cell.column + 1)H".utf8.count
            }
        }
        return total
    }

    /// The grid a text renderer shows for the state (what the layer compares and writes).
    func grid(_ state: EditorState, renderer: RendererKind) throws -> CellGrid {
        let image = try XCTUnwrap(state.document.image), viewport = try XCTUnwrap(state.viewport)
        let scene = OverlayScene(state: state)
        return renderer == .mono ? MonoRenderer.render(image: image, viewport: viewport, scene: scene)
                                 : HalfBlockRenderer.render(image: image, viewport: viewport, scene: scene)
    }

    /// The screen shows exactly `grid` over the image area.
    func assertShows(_ terminal: VirtualTerminal, _ grid: CellGrid, depth: ColorDepth, file: StaticString = #filePath, line: UInt = #line) {
        var wrong = 0
        for row in 0..<grid.height {
            for column in 0..<grid.width
            where terminal.screen[CellPosition(column: column, row: row)] != VirtualTerminal.expected(grid[column, row], depth: depth) {
                wrong += 1
            }
        }
        XCTAssertEqual(wrong, 0, "cells that differ from the frame", file: file, line: line)
    }

    /// Clicks at the cursor and answers with a mask; returns the state before the answer.
    func click(_ state: inout EditorState, mask inside: @escaping (Int, Int) -> Bool) throws -> EditorState {
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        let before = state
        _ = state.apply(.prediction(requestID: request.id, result: F.result(inside: inside)))
        return before
    }

    struct ClickFrame {
        var bytes: [UInt8]
        var terminal: VirtualTerminal
        /// The cells that differ between the frame with the point's mark and the one with its mask.
        var changed: Set<CellPosition>
        /// What sending those cells on their own costs (`updateBytes`).
        var bound: Int
    }

    /// The frame that brings a click's mask, after the first frame and the one with its mark,
    /// checked to leave the screen showing the new grid.
    func clickFrame(_ renderer: RendererKind, mask inside: @escaping (Int, Int) -> Bool,
                    file: StaticString = #filePath, line: UInt = #line) throws -> ClickFrame {
        var state = F.loadedState()
        let layer = ImageLayer(renderer: renderer, cellPixelWidth: 8, cellPixelHeight: 16)
        var terminal = VirtualTerminal(columns: 40, rows: 10)
        terminal.feed(try layer.bytes(for: state))
        let pressed = try click(&state, mask: inside)
        terminal.feed(try layer.bytes(for: pressed))  // the point's mark, before the mask comes
        terminal.resetTouched()

        let bytes = try layer.bytes(for: state)
        terminal.feed(bytes)
        let after = try grid(state, renderer: renderer)
        assertShows(terminal, after, depth: renderer.colorDepth, file: file, line: line)
        let changed = changedCells(try grid(pressed, renderer: renderer), after, origin: CellPosition(column: 0, row: 0))
        return ClickFrame(bytes: bytes, terminal: terminal, changed: changed,
                          bound: updateBytes(of: changed, in: after, origin: CellPosition(column: 0, row: 0), depth: renderer.colorDepth))
    }

    func testAClickSendsOnlyTheCellsItsMaskChangedAndNoMoreThanTheirUpdates() throws {
        // 80 x 40 pixels in 40 x 10 cells: 2 x 4 pixels a cell. The mask covers cells 15..<25 x 3..<7,
        // around the cursor at the image's centre (cell 20, 5), whose crosshair lies inside it.
        let maskCells = Set((15..<25).flatMap { column in (3..<7).map { CellPosition(column: column, row: $0) } })
        // Without colour the crosshair's glyphs hide whatever the mask did under them.
        let crosshair = Set([(20, 5), (19, 5), (21, 5), (20, 4), (20, 6)].map { CellPosition(column: $0, row: $1) })
        for renderer in textRenderers {
            let frame = try clickFrame(renderer) { x, y in (30..<50).contains(x) && (12..<28).contains(y) }
            XCTAssertEqual(frame.changed, renderer == .mono ? maskCells.subtracting(crosshair) : maskCells,
                           "\(renderer): the mask's cells, and no others")
            XCTAssertEqual(frame.terminal.touched, frame.changed, "\(renderer): only the changed cells are written")
            XCTAssertLessThanOrEqual(Double(frame.bytes.count), Double(frame.bound) * 1.05,
                                     "\(renderer): \(frame.bytes.count) B for \(frame.changed.count) cells")
        }
    }

    func testASpeckledMaskIsSentWithinItsCellsUpdates() throws {
        // Every other cell column of the mask changes: gaps of one unchanged cell between changes.
        for renderer in textRenderers {
            let frame = try clickFrame(renderer) { x, y in (x / 2) % 2 == 0 && (8..<32).contains(y) }
            XCTAssertGreaterThan(frame.changed.count, 50)
            XCTAssertLessThanOrEqual(Double(frame.bytes.count), Double(frame.bound) * 1.05,
                                     "\(renderer): \(frame.bytes.count) B for \(frame.changed.count) cells")
        }
    }

    func testACursorMoveWritesNoImageCells() throws {
        for renderer in textRenderers {
            var state = F.loadedState()
            _ = try click(&state) { x, y in (30..<50).contains(x) && (12..<28).contains(y) }
            let layer = ImageLayer(renderer: renderer, cellPixelWidth: 8, cellPixelHeight: 16)
            var terminal = VirtualTerminal(columns: 40, rows: 10)
            terminal.feed(try layer.bytes(for: state))
            terminal.resetTouched()
            let viewport = try XCTUnwrap(state.viewport)
            func crosshair(_ state: EditorState) -> Set<CellPosition> {
                let centre = viewport.cell(containing: state.cursor)
                return Set([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)].map { CellPosition(column: centre.column + $0, row: centre.row + $1) })
            }
            let before = crosshair(state)
            for key in [Key.right, .right, .down, .left] { F.press([key], on: &state) }
            let bytes = try layer.bytes(for: state)
            terminal.feed(bytes)
            XCTAssertTrue(terminal.touched.isSubset(of: before.union(crosshair(state))),
                          "\(renderer): a cursor move redraws the old and new crosshair only: \(terminal.touched)")
            assertShows(terminal, try grid(state, renderer: renderer), depth: renderer.colorDepth)
            XCTAssertLessThan(bytes.count, 400, "\(renderer): \(bytes.count) B for a cursor move")
        }
    }

    func testTheFirstFrameAndAnInvalidatedOneAreWhole() throws {
        for renderer in textRenderers {
            let state = F.loadedState()
            let layer = ImageLayer(renderer: renderer, cellPixelWidth: 8, cellPixelHeight: 16)
            let first = try layer.bytes(for: state)
            var terminal = VirtualTerminal(columns: 40, rows: 10)
            terminal.feed(first)
            XCTAssertEqual(terminal.touched.count, 40 * 10, "\(renderer): the first frame writes every cell")
            XCTAssertEqual(try layer.bytes(for: state), [], "\(renderer): an unchanged frame writes nothing")
            layer.invalidate()  // a clear, a refresh, the help drawn over the image
            XCTAssertEqual(try layer.bytes(for: state), first, "\(renderer): after invalidate the whole frame again")

            var resized = state
            _ = resized.apply(.resize(TerminalSize(columns: 44, rows: 12)))
            terminal = VirtualTerminal(columns: 44, rows: 10)
            terminal.feed(try layer.bytes(for: resized))
            XCTAssertEqual(terminal.touched.count, 44 * 10, "\(renderer): a resize redraws every cell")
        }
    }
}
