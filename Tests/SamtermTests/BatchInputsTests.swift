// How files, folders and @LIST files become the sorted list of images a batch works on, and the
// list `samterm edit` opens (the same folder listing, in the arguments' order).
import XCTest
@testable import samterm

final class BatchInputsTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/photos/nested", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
        for name in ["photos/b.png", "photos/a.JPG", "photos/c.jpeg", "photos/notes.txt", "photos/.hidden.png",
                     "photos/nested/deep.png", "loose.png"] {
            FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([0]))
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testFolderGivesItsImagesSortedWithoutSubfoldersOrHiddenFiles() throws {
        XCTAssertEqual(try BatchInputs.expand([folder + "/photos"]),
                       ["\(folder)/photos/a.JPG", "\(folder)/photos/b.png", "\(folder)/photos/c.jpeg"])
    }

    func testFilesFoldersAndListsMergeIntoOneSortedListWithoutDuplicates() throws {
        let list = folder + "/list.txt"
        try "# images to do\n\n\(folder)/loose.png\r\n  \(folder)/photos/b.png  \n\(folder)/missing.png\n"
            .write(toFile: list, atomically: true, encoding: .utf8)
        let expanded = try BatchInputs.expand(["@" + list, folder + "/photos", folder + "/loose.png"])
        XCTAssertEqual(expanded, ["\(folder)/loose.png", "\(folder)/missing.png", "\(folder)/photos/a.JPG",
                                  "\(folder)/photos/b.png", "\(folder)/photos/c.jpeg"],
                       "a listed file that is missing stays in, to fail as that one image")
        XCTAssertEqual(try BatchInputs.expand([folder + "/photos", "@" + list]), expanded, "argument order does not matter")
    }

    func testMistakesNameTheArgument() {
        for (arguments, expected) in [([folder + "/nope.png"], "nope.png: no such file or folder"),
                                      ([folder + "/empty"], "empty: no PNG or JPEG files in this folder"),
                                      (["@" + folder + "/nolist.txt"], "nolist.txt: cannot read the list file"),
                                      (["@"], "name the list file")] {
            XCTAssertThrowsError(try BatchInputs.expand(arguments)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testAnEmptyListIsNoImages() throws {
        try "# nothing yet\n".write(toFile: folder + "/empty.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BatchInputs.expand(["@" + folder + "/empty.txt"])) { error in
            XCTAssertEqual("\(error)", "no images given")
        }
    }

    func testOnlyOneFileNamedDirectlyIsASingleImage() {
        XCTAssertTrue(BatchInputs.isSingleFile([folder + "/loose.png"]))
        XCTAssertTrue(BatchInputs.isSingleFile([folder + "/missing.png"]), "its error comes from reading it")
        XCTAssertFalse(BatchInputs.isSingleFile([folder + "/photos"]))
        XCTAssertFalse(BatchInputs.isSingleFile(["@" + folder + "/list.txt"]))
        XCTAssertFalse(BatchInputs.isSingleFile([folder + "/loose.png", folder + "/photos/b.png"]))
    }

    func testTheEditorKeepsTheArgumentsOrderWithTheSameFolderListing() throws {
        XCTAssertEqual(try Edit.expand([folder + "/photos", folder + "/loose.png", folder + "/loose.png"]),
                       ["\(folder)/photos/a.JPG", "\(folder)/photos/b.png", "\(folder)/photos/c.jpeg",
                        "\(folder)/loose.png", "\(folder)/loose.png"],
                       "each folder sorted, without subfolders or hidden files; the arguments as they came")
        for (arguments, expected) in [([folder + "/loose.png", folder + "/nope.png"], "nope.png: no such file or folder"),
                                      ([folder + "/empty"], "empty: no PNG or JPEG files in this folder"),
                                      ([], "no images given")] {
            XCTAssertThrowsError(try Edit.expand(arguments)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }
}
