// Exports in the real editor (tmux, tiny fixture model): the export dialog, files going to
// samterm-export/, a renamed object's old file removed, and exports never listed as images.
import XCTest
import Foundation
import Segmentation

final class ExportEndToEndTests: XCTestCase {
    private var folder: URL!
    private var tmux: TmuxSession?

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-exports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (fixture, name) in [("image_wide.png", "a.png"), ("image_tall.png", "b.png")] {
            try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent(fixture),
                                             to: folder.appendingPathComponent(name))
        }
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts `samterm edit ARGUMENTS` in the test folder; its exit status goes to `exit-N`.
    private func startEditor(_ arguments: String, run: Int) throws -> (TmuxSession, URL) {
        tmux?.kill()
        let exitFile = folder.appendingPathComponent("exit-\(run)")
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let command = "cd '\(folder.path)' && env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' "
            + "'\(EditorEndToEndTests.binary.path)' edit \(arguments) --checkpoint '\(checkpoint.path)' --device cpu "
            + "--renderer truecolor; echo $? > '\(exitFile.path)'; sleep 60"
        let session = try TmuxSession(command: command, columns: 120, rows: 40)
        tmux = session
        return (session, exitFile)
    }

    private func waitForExit(_ file: URL) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8), text.hasSuffix("\n") {
                XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "0")
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("samterm did not exit; the screen:\n\(tmux?.capture() ?? "")")
    }

    private func waitForFile(_ path: String, exists: Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while FileManager.default.fileExists(atPath: path) != exists {
            guard Date() < deadline else {
                throw TmuxSession.Failure("\(path) \(exists ? "never appeared" : "stayed"); the screen:\n\(tmux?.capture() ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A foreground point on the image shown, its prediction in.
    private func makeObject(_ session: TmuxSession) throws {
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) && $0.contains("no objects") }
        try session.send("l", "l", "l", "Space")
        try session.waitFor("the candidates") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
    }

    func testExportsGoToTheirOwnFolderAndAreNeverListedAsImages() throws {
        guard FileManager.default.isExecutableFile(atPath: EditorEndToEndTests.binary.path) else {
            return XCTFail("\(EditorEndToEndTests.binary.path) is missing: build the samterm product first")
        }
        // A folder of two images: one object, exported with the dialog's defaults.
        var (session, exitFile) = try startEditor(".", run: 1)
        var screen = try session.waitFor("the first image") { $0.contains("a.png") }
        XCTAssertTrue(screen.contains("(1/2)"), screen)
        try makeObject(session)
        try session.send("e")
        try session.waitFor("the export dialog") { $0.contains("Formats (1-6") }
        try session.send("Enter")
        try session.waitFor("the export") { $0.contains("Exported 2 files") }
        try session.send("q")
        try waitForExit(exitFile)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("samterm-export/a_mask_01.png")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("samterm-export/a_coco.json")))
        let saved = try XCTUnwrap(try SessionStore(imagePath: path("a.png")).load())
        XCTAssertEqual(saved.exports, ["samterm-export/a_mask_01.png", "samterm-export/a_coco.json"], "recorded in the session")

        // Exported beside the images this time (--out): still two images when opened again,
        // and the restored object exports without asking about the files it wrote before.
        (session, exitFile) = try startEditor(". --out .", run: 2)
        screen = try session.waitFor("the restored object") { $0.contains("a.png") && $0.contains("object") && EditorEndToEndTests.isIdle($0) }
        XCTAssertTrue(screen.contains("(1/2)"), screen)
        try session.send("e", "Enter")
        try session.waitFor("the export") { $0.contains("Exported 2 files") }
        try session.send("q")
        try waitForExit(exitFile)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("a_mask_01.png")))

        // a_mask_01.png lies among the images now, and is not one of them.
        (session, exitFile) = try startEditor(".", run: 3)
        screen = try session.waitFor("the first image") { $0.contains("a.png") && EditorEndToEndTests.isIdle($0) }
        XCTAssertTrue(screen.contains("(1/2)"), "the export is not listed: \(screen)")
        try session.send("]")
        screen = try session.waitFor("the second image") { $0.contains("b.png") }
        XCTAssertTrue(screen.contains("(2/2)"), screen)
        try session.send("q")
        try waitForExit(exitFile)
    }

    func testTheDialogExportsAndARenameReplacesTheOldFile() throws {
        guard FileManager.default.isExecutableFile(atPath: EditorEndToEndTests.binary.path) else {
            return XCTFail("\(EditorEndToEndTests.binary.path) is missing: build the samterm product first")
        }
        let (session, exitFile) = try startEditor("a.png", run: 1)
        try makeObject(session)
        try session.send("e")
        let screen = try session.waitFor("the export dialog") { $0.contains("Formats (1-6") }
        XCTAssertTrue(screen.contains("[x] 1 png") && screen.contains("[x] 4 coco") && screen.contains("[ ] 5 overlay"), screen)
        XCTAssertTrue(screen.contains("(•) this image: a.png, 1 mask"), screen)
        XCTAssertTrue(screen.contains("samterm-export"), "the destination: \(screen)")
        try session.send("5", "Enter")
        try waitForFile(path("samterm-export/a_overlay.png"), exists: true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("samterm-export/a_mask_01.png")))

        // Renamed, exported again (the dialog keeps the choice): the old name goes.
        try session.send("N", "t", "r", "i", "p", "o", "d", "Enter")
        try session.waitFor("the name") { $0.contains("1 tripod") }
        try session.send("e")
        try session.waitFor("the export dialog") { $0.contains("[x] 5 overlay") }
        try session.send("Enter")
        try waitForFile(path("samterm-export/a_mask_01_tripod.png"), exists: true)
        try waitForFile(path("samterm-export/a_mask_01.png"), exists: false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("samterm-export/a_overlay.png")))
        try session.send("q")
        try waitForExit(exitFile)
        let names = try FileManager.default.contentsOfDirectory(atPath: path("samterm-export")).sorted()
        XCTAssertEqual(names, ["a_coco.json", "a_mask_01_tripod.png", "a_overlay.png"])
    }
}
