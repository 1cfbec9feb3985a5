// `samterm auto` refuses work it could not finish or memory it could not have, in one line
// naming the option, before the model is loaded.
import ArgumentParser
import XCTest
@testable import samterm

final class AutoArgumentTests: XCTestCase {
    func assertRefused(_ arguments: [String], naming option: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Auto.parse(["image.png"] + arguments), file: file, line: line) { error in
            let message = Auto.message(for: error)
            XCTAssertTrue(message.contains(option), message, file: file, line: line)
            XCTAssertEqual(Auto.exitCode(for: error), .validationFailure, file: file, line: line)
        }
    }

    func testSizeLikeOptionsAreBounded() {
        assertRefused(["--points-per-side", "100000"], naming: "--points-per-side")
        assertRefused(["--points-per-batch", "5000"], naming: "--points-per-batch")
        assertRefused(["--size", "100000x100000"], naming: "--size")
        assertRefused(["--size", "20000x6000"], naming: "megapixels")
    }

    func testTheBoundsThemselvesAreAccepted() throws {
        XCTAssertNoThrow(try Auto.parse(["image.png", "--points-per-side", "1024", "--points-per-batch", "1024",
                                         "--size", "10000x10000"]))
    }

    func testSizesAreReadStrictly() {
        XCTAssertNil(Bench.dimensions("640x"))
        XCTAssertNil(Bench.dimensions("x480"))
        XCTAssertNil(Bench.dimensions("640x480x3"))
        XCTAssertEqual(Bench.dimensions("640X480")?.width, 640)
    }
}
