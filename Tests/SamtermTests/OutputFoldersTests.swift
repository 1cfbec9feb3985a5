// OUT/NAME/ per image: naming, clashes, and clearing what a killed run left behind.
import XCTest
@testable import samterm

final class OutputFoldersTests: XCTestCase {
    func testEachImageGetsAFolderNamedWithoutItsExtension() {
        XCTAssertEqual(OutputFolders.folder(for: "data/cats/tabby.01.jpg", in: "out"), "out/tabby.01")
        XCTAssertEqual(OutputFolders.name(for: "plain"), "plain")
    }

    func testImagesSharingANameAreRefusedBeforeAnythingRuns() {
        XCTAssertNoThrow(try OutputFolders.checkDistinct(["a/x.png", "a/y.png", "b/z.jpg"]))
        XCTAssertThrowsError(try OutputFolders.checkDistinct(["a/x.png", "a/y.png", "b/x.jpg"])) { error in
            XCTAssertEqual("\(error)", "a/x.png and b/x.jpg would both write their outputs into the folder x: rename one, or run them separately")
        }
    }

    func testLeftoversOfAKilledRunAndStaleFilesGoOthersStay() throws {
        let folder = NSTemporaryDirectory() + "samterm-leftovers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in [".mask-0.png.partial-a1B2c3", ".result.json.partial-zzzzzz", "mask-0.png", "mask-2.png", "notes.txt", ".hidden"] {
            FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1]))
        }
        try OutputFolders.removeLeftovers(in: folder) { $0 == "mask-2.png" }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), [".hidden", "mask-0.png", "notes.txt"])
        XCTAssertNoThrow(try OutputFolders.removeLeftovers(in: folder + "/missing"), "no folder yet: nothing to clear")
    }
}
