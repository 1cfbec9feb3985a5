// Listing a folder leaves out the files samterm exported from its images, by the record in the
// images' sessions, so that exports never become input.
import XCTest
import Segmentation
@testable import samterm

final class ImageInputsTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-listing-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/samterm-export", withIntermediateDirectories: true)
        for name in ["camera.jpg", "dog.png", "camera_mask_01.png", "dog_mask_01_person.png",
                     "samterm-export/camera_mask_02.png", "samterm-export/camera_overlay.png"] {
            FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([0]))
        }
        let session = Session(image: Session.ImageReference(path: "camera.jpg", sha256: String(repeating: "ab", count: 32),
                                                            width: 8, height: 6),
                              model: "sam2.1_hiera_t", objects: [],
                              exports: ["camera_mask_01.png", "samterm-export/camera_mask_02.png", "samterm-export/camera_overlay.png"])
        try SessionStore(imagePath: folder + "/camera.jpg").save(session)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testRecordedExportsAreNotListedAndOthersAre() throws {
        XCTAssertEqual(try ImageInputs.paths(named: folder),
                       ["\(folder)/camera.jpg", "\(folder)/dog.png", "\(folder)/dog_mask_01_person.png"],
                       "by the record, not by the name: dog's mask is not recorded anywhere")
        XCTAssertEqual(try BatchInputs.expand([folder]), try ImageInputs.paths(named: folder), "the batch commands list alike")
        XCTAssertEqual(try ImageInputs.paths(named: folder + "/camera_mask_01.png"), [folder + "/camera_mask_01.png"],
                       "a file named on its own is taken as given")
    }

    func testSessionsKeptElsewhereCountWhenNamed() throws {
        let sessions = folder + "/sessions"
        try FileManager.default.createDirectory(atPath: sessions, withIntermediateDirectories: true)
        let store = SessionStore(imagePath: folder + "/dog.png", folder: sessions)
        try store.save(Session(image: Session.ImageReference(path: folder + "/dog.png", sha256: String(repeating: "ab", count: 32),
                                                             width: 8, height: 6),
                               model: "sam2.1_hiera_t", objects: [],
                               exports: [store.recordedPath(ofExport: folder + "/dog_mask_01_person.png")]))
        XCTAssertEqual(try Edit.expand([folder], sessionFolder: sessions), ["\(folder)/camera.jpg", "\(folder)/dog.png"])
        XCTAssertEqual(try Edit.expand([folder]).count, 3, "without --session-dir those sessions are not read")
    }

    func testACorruptSessionDoesNotBreakTheListing() throws {
        let corrupt = folder + "/dog.png.samterm.json"
        try Data("{ \"format\": \"samterm-session\", \"exports\": [1, 2".utf8).write(to: URL(fileURLWithPath: corrupt))
        XCTAssertEqual(try ImageInputs.paths(named: folder).count, 3)
        XCTAssertEqual(try String(contentsOfFile: corrupt, encoding: .utf8), "{ \"format\": \"samterm-session\", \"exports\": [1, 2",
                       "never modified")
    }

    func testTheExportFolderItselfListsNoExports() throws {
        XCTAssertThrowsError(try ImageInputs.paths(named: folder + "/samterm-export")) { error in
            XCTAssertTrue("\(error)".contains("are all samterm's exports"), "\(error)")
        }
        FileManager.default.createFile(atPath: folder + "/samterm-export/mine.png", contents: Data([0]))
        XCTAssertEqual(try ImageInputs.paths(named: folder + "/samterm-export"), [folder + "/samterm-export/mine.png"])
    }
}
