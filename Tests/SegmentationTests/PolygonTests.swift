import Foundation
import Segmentation
import XCTest

final class PolygonTests: XCTestCase {
    private typealias Support = ExportTestSupport

    /// Pixels whose centres fall inside any of the polygons.
    private func rasterize(_ polygons: [Polygon], width: Int, height: Int) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width where polygons.contains(where: { $0.contains(x: Double(x) + 0.5, y: Double(y) + 0.5) }) {
                mask[x, y] = true
            }
        }
        return mask
    }

    private func mask(_ rows: [String]) -> BinaryMask {
        let bytes = rows.flatMap { row in row.map { $0 == "#" ? UInt8(1) : 0 } }
        return BinaryMask(width: rows[0].count, height: rows.count, bytes: bytes)
    }

    func testSinglePixelIsAUnitSquareClockwise() {
        let polygons = MaskContours.outerPolygons(of: mask(["...", ".#.", "..."]), tolerance: 0)
        XCTAssertEqual(polygons.count, 1)
        XCTAssertEqual(polygons[0].points, [PolygonPoint(x: 1, y: 1), PolygonPoint(x: 2, y: 1),
                                            PolygonPoint(x: 2, y: 2), PolygonPoint(x: 1, y: 2)])
        XCTAssertEqual(polygons[0].area, 1)
        XCTAssertEqual(polygons[0].flatCoordinates, [1, 1, 2, 1, 2, 2, 1, 2])
    }

    func testDiagonalNeighboursShareOneContourAndHolesAreLeftOut() {
        let diagonal = mask(["#..",
                             ".#.",
                             "..#"])
        let joined = MaskContours.outerPolygons(of: diagonal, tolerance: 0)
        XCTAssertEqual(joined.count, 1, "8-connected pixels form one contour")
        XCTAssertEqual(joined[0].area, 3)

        let ring = mask(["#####",
                         "#...#",
                         "#...#",
                         "#####"])
        let outer = MaskContours.outerPolygons(of: ring, tolerance: 0)
        XCTAssertEqual(outer.count, 1)
        XCTAssertEqual(outer[0].points.count, 4)
        XCTAssertEqual(outer[0].area, 20, "the outer contour encloses the hole too")

        let apart = mask(["##...",
                          "##...",
                          "...##"])
        XCTAssertEqual(MaskContours.outerPolygons(of: apart, tolerance: 0).count, 2)
        XCTAssertEqual(MaskContours.outerPolygons(of: BinaryMask(width: 4, height: 4), tolerance: 0), [])
    }

    /// Unsimplified contours of hole-free shapes give the mask back exactly when rasterised.
    func testExactContoursRasteriseToTheMask() {
        var generator = SplitMix64(seed: 11)
        for trial in 0..<20 {
            let shape = Support.blobMask(width: 40, height: 30, shapes: 1 + trial % 3, generator: &generator)
            let polygons = MaskContours.outerPolygons(of: shape, tolerance: 0)
            let filled = rasterize(polygons, width: 40, height: 30)
            // Blobs may enclose background; the outer contours fill those in, nothing else.
            XCTAssertEqual(shape.intersectionArea(with: filled), shape.area, "trial \(trial): a mask pixel is outside")
            XCTAssertEqual(polygons.reduce(0) { $0 + $1.area }, Double(filled.area), accuracy: 0.5, "trial \(trial)")
        }
    }

    func testSimplificationStaysWithinTolerance() {
        var generator = SplitMix64(seed: 5)
        let shape = Support.blobMask(width: 120, height: 90, shapes: 4, generator: &generator)
        let exact = MaskContours.outerPolygons(of: shape, tolerance: 0)
        for tolerance in [0.5, 1.0, 2.5] {
            let simplified = MaskContours.outerPolygons(of: shape, tolerance: tolerance)
            XCTAssertEqual(simplified.count, exact.count)
            for (coarse, fine) in zip(simplified, exact) {
                XCTAssertLessThanOrEqual(coarse.points.count, fine.points.count)
                XCTAssertGreaterThanOrEqual(coarse.points.count, 3)
                XCTAssertTrue(Set(coarse.points).isSubset(of: Set(fine.points)), "kept points are contour corners")
                // Every corner of the exact contour lies within the tolerance of the simplified one.
                for point in fine.points {
                    let distance = coarse.points.indices.map { index in
                        distanceToSegment(point, coarse.points[index], coarse.points[(index + 1) % coarse.points.count])
                    }.min()!
                    XCTAssertLessThanOrEqual(distance, tolerance + 1e-9)
                }
            }
            let exactMask = rasterize(exact, width: 120, height: 90)
            XCTAssertGreaterThan(rasterize(simplified, width: 120, height: 90).iou(exactMask), 0.95, "tolerance \(tolerance)")
        }
        let coarse = MaskContours.outerPolygons(of: shape, tolerance: 2.5).reduce(0) { $0 + $1.points.count }
        let fine = exact.reduce(0) { $0 + $1.points.count }
        XCTAssertLessThan(coarse, fine / 2, "simplification should drop most staircase corners")
    }

    func testTinyShapeKeepsThreePointsUnderLargeTolerance() {
        let polygons = MaskContours.outerPolygons(of: mask(["#"]), tolerance: 10)
        XCTAssertEqual(polygons.count, 1)
        XCTAssertEqual(polygons[0].points.count, 3)
    }

    private func distanceToSegment(_ p: PolygonPoint, _ a: PolygonPoint, _ b: PolygonPoint) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        let t = lengthSquared == 0 ? 0 : max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared))
        let x = a.x + t * dx - p.x, y = a.y + t * dy - p.y
        return (x * x + y * y).squareRoot()
    }
}
