// Fitting, zooming and panning the image in the image area.
import XCTest
@testable import TerminalUI

final class ViewportTests: XCTestCase {
    func testFitKeepsTheAspectRatioAndCentres() {
        // 100 x 50 pixels in 40 x 20 cells of aspect 2: width limits, 2.5 pixels per column.
        let view = Viewport(imageWidth: 100, imageHeight: 50, columns: 40, rows: 20, cellAspect: 2)
        XCTAssertEqual(view.scale, 2.5)
        XCTAssertEqual(view.originX, 0)
        XCTAssertEqual(view.originY, (50 - 20 * 5) / 2, "centred vertically: 25 pixels of margin above")
        XCTAssertEqual(view.visibleImageCells, CellRect(column: 0, row: 5, width: 40, height: 10))
        XCTAssertEqual(view.imagePoint(atCell: CellPosition(column: 0, row: 5)), PixelPoint(x: 1.25, y: 2.5))
        XCTAssertEqual(view.cell(containing: PixelPoint(x: 99.9, y: 49.9)), CellPosition(column: 39, row: 14))
    }

    func testMeasuredCellAspectChangesTheFit() {
        // Cells 10 x 25 pixels (aspect 2.5): a square image needs fewer rows.
        let view = Viewport(imageWidth: 100, imageHeight: 100, columns: 50, rows: 20, cellAspect: 2.5)
        XCTAssertEqual(view.scale, 2, "the 20 rows hold 100 pixels at 5 pixels a row")
        XCTAssertEqual(view.visibleImageCells.width, 50)
    }

    func testZoomAroundAPointKeepsItUnderTheSameCell() {
        var view = Viewport(imageWidth: 200, imageHeight: 100, columns: 50, rows: 25, cellAspect: 2)
        let point = PixelPoint(x: 150, y: 30)
        let before = view.cell(containing: point)
        view.zoom(by: 4, around: point)
        XCTAssertEqual(view.zoom, 4)
        XCTAssertEqual(view.cell(containing: point), before)
        XCTAssertEqual(view.imagePoint(atCell: before).x, 150, "one pixel per column now (cell 37 spans 149.5..150.5): finer steps")
        view.zoom(by: 1000, around: point)
        XCTAssertEqual(view.scale, 1 / Viewport.maximumCellsPerPixel, "zoom stops at 16 cells per pixel")
    }

    func testPanStopsAtTheImageEdges() {
        var view = Viewport(imageWidth: 200, imageHeight: 100, columns: 50, rows: 25, cellAspect: 2)
        view.zoom(by: 4, around: PixelPoint(x: 100, y: 50))
        view.pan(columns: -1000, rows: -1000)
        XCTAssertEqual(view.originX, 0)
        XCTAssertEqual(view.originY, 0)
        view.pan(columns: 1000, rows: 1000)
        XCTAssertEqual(view.originX, 200 - 50 * view.scale, accuracy: 1e-9)
        XCTAssertEqual(view.originY, 100 - 25 * view.scale * 2, accuracy: 1e-9)
    }

    func testResizeKeepsZoomAndCentre() {
        var view = Viewport(imageWidth: 200, imageHeight: 100, columns: 50, rows: 25, cellAspect: 2)
        view.zoom(by: 2, around: PixelPoint(x: 60, y: 40))
        let centre = view.imagePoint(atCell: CellPosition(column: 25, row: 12))
        view.resize(columns: 100, rows: 50, cellAspect: 2)
        XCTAssertEqual(view.zoom, 2, accuracy: 1e-9)
        let after = view.imagePoint(atCell: CellPosition(column: 50, row: 25))
        XCTAssertEqual(after.x, centre.x, accuracy: view.scale)
        XCTAssertEqual(after.y, centre.y, accuracy: view.scale * 2)
    }
}
