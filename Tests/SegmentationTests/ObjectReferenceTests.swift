// `IMAGE#N` arguments: the number after the last '#', a positive integer; errors name the argument.
import Segmentation
import XCTest

final class ObjectReferenceTests: XCTestCase {
    func testTheNumberFollowsTheLastHash() throws {
        XCTAssertEqual(try ObjectReference.parse("photos/apple.jpg#2"), ObjectReference(imagePath: "photos/apple.jpg", number: 2))
        XCTAssertEqual(try ObjectReference.parse("shots#3/a#b.png#12"), ObjectReference(imagePath: "shots#3/a#b.png", number: 12))
    }

    func testBadArgumentsAreNamed() {
        for argument in ["apple.jpg", "apple.jpg#", "apple.jpg#0", "apple.jpg#-1", "apple.jpg#2x", "#2", "a.jpg#٣", "a.jpg#+2"] {
            XCTAssertThrowsError(try ObjectReference.parse(argument), argument) { error in
                XCTAssertEqual("\(error)", "\(argument): expected IMAGE#N (N: the object's number in the editor, 1 or more)")
            }
        }
    }
}
