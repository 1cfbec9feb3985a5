// How `samterm segment` reads its prompt arguments: values that start with a minus, decimal
// numbers only, and the word every SAM user knows for three candidates.
import ArgumentParser
import XCTest
@testable import samterm

final class SegmentArgumentTests: XCTestCase {
    func testNegativeCoordinatesAreValuesNotOptions() throws {
        let command = try Segment.parse(["image.png", "--point", "-5,-5", "--box", "-10,-2,40,30", "--point", "3,4,0"])
        XCTAssertEqual(command.points.map(\.point.x), [-5, 3])
        XCTAssertEqual(command.points.map(\.point.y), [-5, 4])
        XCTAssertEqual(command.points.map(\.point.label), [.foreground, .background])
        XCTAssertEqual(command.box?.box.x0, -10)
        XCTAssertEqual(command.box?.box.y0, -2)
    }

    func testOnlyDecimalNumbersAreCoordinates() {
        for text in ["0x10,0x10", "inf,1", "nan,2", "1,2,", "1e3,5", "1,,2", "", "1.5,2.25"] {
            let parsed = PointArgument(argument: text)
            let decimal = ["1e3,5", "1.5,2.25"].contains(text)
            XCTAssertEqual(parsed != nil, decimal, text)
        }
        XCTAssertNil(BoxArgument(argument: "0x1,0,10,10"))
        XCTAssertNotNil(BoxArgument(argument: "0,0,10.5,1e1"))
    }

    func testHexadecimalIsRefusedNamingTheArgument() {
        XCTAssertThrowsError(try Segment.parse(["image.png", "--point", "0x10,0x10"])) { error in
            XCTAssertTrue(Segment.message(for: error).contains("--point"), Segment.message(for: error))
        }
    }

    func testMultimaskIsAcceptedAsTheDefault() throws {
        let command = try Segment.parse(["image.png", "--point", "1,1", "--multimask"])
        XCTAssertTrue(command.multimask)
        XCTAssertFalse(command.single)
    }
}
