// Classes in the real editor under tmux: an imported object (a session `samterm import` would
// write: a base mask, no model) opens as it was, `L` gives it a class, and the session keeps it.
import XCTest
import Foundation
import Segmentation

final class ClassPickerEndToEndTests: EditorTmuxTestCase {
    private var store: SessionStore { SessionStore(path: folder.appendingPathComponent("wide.png.samterm.json").path) }

    func testAnImportedObjectGetsItsClassFromThePicker() throws {
        let image = folder.appendingPathComponent("wide.png").path
        var base = BinaryMask(width: 64, height: 48)
        for y in 10..<30 { for x in 20..<45 { base[x, y] = true } }
        let object = Session.Object(id: 1, category: "fruit", color: ObjectPalette.color(at: 0), base: Session.BaseMask(mask: base),
                                    mask: Session.StoredMask(mask: base, score: 1))
        try store.save(Session(image: .init(path: "wide.png", sha256: try SHA256.hexDigest(ofFileAt: image), width: 64, height: 48),
                               model: Session.noModel, objects: [object]))

        let session = try startEditor()
        try session.waitFor("the imported object") { $0.contains("Restored 1 object") && $0.contains("1 fruit") }
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) }
        try session.send(",", "L")
        try session.waitFor("the class picker") { $0.contains("Class: _") && $0.contains("[fruit]") }
        for key in ["p", "e", "a", "r"] { try session.send(key) }
        try session.waitFor("the typed class offered") { $0.contains("Class: pear_") && $0.contains("new: pear") }
        try session.send("Enter")
        try session.waitFor("the object's new class") { $0.contains("1 pear") }
        let deadline = Date(timeIntervalSinceNow: 30)
        var saved: Session?
        while Date() < deadline {
            saved = try? store.load()
            if saved?.objects.first?.category == "pear" { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(saved?.objects.first?.category, "pear")
        XCTAssertEqual(saved?.objects.first?.base?.counts, RLE(mask: base).compressedString, "the imported mask stays")
        XCTAssertEqual(saved?.model, "sam2.1_test_tiny", "a session without predictions is taken for the model in use")
    }
}
