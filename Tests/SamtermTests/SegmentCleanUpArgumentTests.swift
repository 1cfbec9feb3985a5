// How `samterm segment` reads --fill-holes and --remove-islands: areas in pixels, 0 (none) by
// default, negative values refused naming the option, the clean-up applied holes first.
import ArgumentParser
import Segmentation
import XCTest
@testable import samterm

final class SegmentCleanUpArgumentTests: XCTestCase {
    func testAreasDefaultToNoCleanUp() throws {
        let command = try Segment.parse(["image.png", "--point", "1,1"])
        XCTAssertEqual(command.fillHoles, 0)
        XCTAssertEqual(command.removeIslands, 0)
        XCTAssertNil(command.cleanUp)
    }

    func testAreasAreRead() throws {
        let command = try Segment.parse(["image.png", "--point", "1,1", "--fill-holes", "100", "--remove-islands", "50"])
        XCTAssertEqual(command.fillHoles, 100)
        XCTAssertEqual(command.removeIslands, 50)
        XCTAssertEqual(command.cleanUp, ["fill_holes": 100, "remove_islands": 50])
    }

    func testNegativeOrNonNumericAreasAreUsageErrorsNamingTheOption() {
        for (arguments, option) in [(["--fill-holes", "-5"], "--fill-holes"), (["--remove-islands", "-1"], "--remove-islands"),
                                    (["--fill-holes", "ten"], "--fill-holes"), (["--remove-islands", "1.5"], "--remove-islands")] {
            XCTAssertThrowsError(try Segment.parse(["image.png", "--point", "1,1"] + arguments), "\(arguments)") { error in
                let message = Segment.message(for: error)
                XCTAssertTrue(message.contains(option), message)
                XCTAssertEqual(Segment.exitCode(for: error), .validationFailure, "\(arguments)")
            }
        }
    }

    /// Holes first, then islands: a hole that filling joins to a region is not an island after.
    func testEveryCandidateIsCleanedHolesFirst() throws {
        let command = try Segment.parse(["image.png", "--point", "1,1", "--fill-holes", "10", "--remove-islands", "10"])
        var mask = BinaryMask(width: 12, height: 10)
        for y in 1..<9 { for x in 1..<9 where !(x == 4 && y == 4) { mask[x, y] = true } }  // a square with a 1-pixel hole
        mask[10, 1] = true  // a 1-pixel island
        let cleaned = mask.cleaned(fillingHolesBelow: 10, removingIslandsBelow: 10)
        XCTAssertTrue(cleaned[4, 4])
        XCTAssertFalse(cleaned[10, 1])
        XCTAssertEqual(cleaned.area, 64)
        XCTAssertEqual(command.clean(mask), cleaned)
    }
}
