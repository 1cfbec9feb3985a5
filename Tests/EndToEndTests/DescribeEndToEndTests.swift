// The cut-out handed to a real command: `!` in the editor under tmux (file(1) names the PNG, its
// answer kept as the name; a command that hangs is cut at the timeout while the editor answers),
// and `samterm describe` from the shell.
import XCTest
import Foundation
import Segmentation

final class DescribeEndToEndTests: EditorTmuxTestCase {
    private var store: SessionStore { SessionStore(path: folder.appendingPathComponent("wide.png.samterm.json").path) }

    /// wide.png with one imported object of class "fruit".
    private func writeSession() throws {
        let image = folder.appendingPathComponent("wide.png").path
        var base = BinaryMask(width: 64, height: 48)
        for y in 10..<30 { for x in 20..<45 { base[x, y] = true } }
        let object = Session.Object(id: 1, category: "fruit", color: ObjectPalette.color(at: 0), base: Session.BaseMask(mask: base),
                                    mask: Session.StoredMask(mask: base, score: 1))
        try store.save(Session(image: .init(path: "wide.png", sha256: try SHA256.hexDigest(ofFileAt: image), width: 64, height: 48),
                               model: Session.noModel, objects: [object]))
    }

    func testTheCommandsAnswerBecomesTheNameAndAHangingCommandIsCut() throws {
        try writeSession()
        let session = try startEditor(arguments: "--describe-command 'file -b {}' --describe-timeout 2")
        try session.waitFor("the imported object") { $0.contains("Restored 1 object") && $0.contains("1 fruit") }
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) }
        try session.send(",", "!")
        try session.waitFor("the command offered") { $0.contains("Command ({} is the cut-out): file -b {}_") }
        try session.send("Enter")
        let answer = try session.waitFor("the answer", seconds: 120) { $0.contains("`file -b {}` on object 1: done") }
        // The cut-out is the object's box: 25 x 20 pixels, with transparency.
        XCTAssertTrue(answer.contains("PNG image data, 25 x 20, 8-bit/color RGBA"), answer)
        try session.send("Enter")
        try session.waitFor("the name kept") { $0.contains("Named PNG image data, 25 x 20") && $0.contains(">█ 1 PNG image") }
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline, (try? store.load())??.objects.first?.name == nil { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual((try store.load())?.objects.first?.name, "PNG image data, 25 x 20, 8-bit/color RGBA, non-interlaced")

        // A command that never ends: the editor answers keys meanwhile, and the command is cut at 2 s.
        try session.send("!")
        try session.waitFor("the last command offered") { $0.contains("file -b {}_") }
        for _ in 0..<"file -b {}".count { try session.send("BSpace") }
        for key in ["s", "l", "e", "e", "p", "Space", "6", "0", "0", "Space", "&", "&", "Space", ":"] { try session.send(key) }
        try session.send("Enter")
        try session.waitFor("the command running") { $0.contains("Running `sleep 600 && :`") }
        try session.send("o")
        try session.waitFor("a key answered while it runs") { $0.contains("Overlay off") }
        try session.waitFor("the timeout", seconds: 60) { $0.contains("`sleep 600 && :` on object 1: timed out after 2 s") }
        try session.send("Escape")
        try session.waitFor("the box closed") { !$0.contains("timed out") && $0.contains("Objects") }
    }

    func testDescribeFromTheShell() throws {
        try writeSession()
        let object = folder.appendingPathComponent("wide.png").path + "#1"
        let described = try SamtermRun.run(["describe", object, "--command", "file -b {}"])
        XCTAssertEqual(described.status, 0, described.errors)
        XCTAssertEqual(described.output, "PNG image data, 25 x 20, 8-bit/color RGBA, non-interlaced\n")
        XCTAssertNil(try store.load()?.objects.first?.name, "nothing kept without --keep-name")

        let kept = try SamtermRun.run(["describe", object, "--command", "echo '  a ripe pear'; echo second", "--keep-name"])
        XCTAssertEqual(kept.status, 0, kept.errors)
        XCTAssertEqual(try store.load()?.objects.first?.name, "a ripe pear")
        XCTAssertEqual(try store.load()?.objects.first?.category, "fruit")

        let failing = try SamtermRun.run(["describe", object, "--command", "exit 4"])
        XCTAssertEqual(failing.status, 1)
        XCTAssertEqual(failing.errors, "Error: --command exit 4: exited with status 4\n")
        let hanging = try SamtermRun.run(["describe", object, "--command", "sleep 600 && :", "--timeout", "1"])
        XCTAssertEqual(hanging.status, 1)
        XCTAssertTrue(hanging.errors.contains("--command sleep 600 && :: timed out after 1 s"), hanging.errors)

        let badReference = try SamtermRun.run(["describe", folder.appendingPathComponent("wide.png").path + "#one", "--command", "file"])
        XCTAssertEqual(badReference.status, 2)
        XCTAssertTrue(badReference.errors.contains("#one: expected IMAGE#N"), badReference.errors)
        let noObject = try SamtermRun.run(["describe", folder.appendingPathComponent("wide.png").path + "#7", "--command", "file"])
        XCTAssertEqual(noObject.status, 2)
        XCTAssertTrue(noObject.errors.contains("the session has no object 7 (it has 1)"), noObject.errors)
    }
}
