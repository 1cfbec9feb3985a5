// "More like this" in the real editor under tmux with the tiny fixture model: `s` finds the
// image's automatic masks, ranks them by likeness to an object and adopts one as an object of its
// class; `S` asks the index `samterm index` made and opens the other image's object.
// (The random-weight model's masks have stability scores of 0: --auto-thresholds lets them through.)
import XCTest
import Foundation
import Segmentation

final class MoreLikeThisEndToEndTests: EditorTmuxTestCase {
    /// An imported object of class `className` on `image` (a base mask, no model), as `samterm import` writes it.
    private func writeSession(image name: String, className: String, width: Int, height: Int,
                              region: (x: Range<Int>, y: Range<Int>)) throws -> SessionStore {
        let image = folder.appendingPathComponent(name).path
        var mask = BinaryMask(width: width, height: height)
        for y in region.y { for x in region.x { mask[x, y] = true } }
        let object = Session.Object(id: 1, category: className, color: ObjectPalette.color(at: 0), base: Session.BaseMask(mask: mask),
                                    mask: Session.StoredMask(mask: mask, score: 1))
        let store = SessionStore(imagePath: image)
        try store.save(Session(image: .init(path: name, sha256: try SHA256.hexDigest(ofFileAt: image), width: width, height: height),
                               model: Session.noModel, objects: [object]))
        return store
    }

    /// Sends `key` until `opened` shows: a key the editor refuses while a cached encoding loads
    /// ("still being encoded", at once replaced by "Ready") is sent again.
    private func pressUntil(_ session: TmuxSession, _ key: String, shows opened: String) throws {
        let deadline = Date(timeIntervalSinceNow: 120)
        while Date() < deadline {
            try session.send(key)
            let tried = Date(timeIntervalSinceNow: 2)
            while Date() < tried {
                if session.capture().contains(opened) { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    private func waitForSession(_ store: SessionStore, _ done: (Session) -> Bool) -> Session? {
        let deadline = Date(timeIntervalSinceNow: 30)
        var saved: Session?
        while Date() < deadline {
            saved = try? store.load()
            if let saved, done(saved) { return saved }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return saved
    }

    func testSAdoptsAMaskLikeTheObjectAsAnObjectOfItsClass() throws {
        // A corner object: neither automatic mask's grid point lies in it.
        let store = try writeSession(image: "wide.png", className: "apple", width: 64, height: 48, region: (0..<8, 40..<48))
        let session = try startEditor(arguments: "--auto-thresholds 0.6,0")
        try session.waitFor("the imported object") { $0.contains("Restored 1 object") && $0.contains("1 apple") }
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) }
        try session.send(",", "s")
        // After "finding the image's objects" and "comparing": the ranking's line.
        let ranked = try session.waitFor("the ranking", seconds: 240) { $0.contains(" at ≥ ") || $0.contains("no mask at") }
        XCTAssertTrue(ranked.range(of: #"More like this: [1-9][0-9]* at ≥ 0\.50 \(best 0\.[0-9]{2}\)"#, options: .regularExpression) != nil, ranked)
        XCTAssertTrue(ranked.range(of: #">? ?1  0\.[0-9]{3}"#, options: .regularExpression) != nil, ranked)
        try session.send("Enter")
        try session.waitFor("the adopted mask") { $0.contains("Adopted a mask") && $0.contains("(apple)") }
        try session.send("Escape")
        try session.waitFor("the object list again") { $0.contains("Objects") && $0.contains("2 apple") }
        let saved = waitForSession(store) { $0.objects.count == 2 }
        XCTAssertEqual(saved?.objects.map(\.category), ["apple", "apple"])
        XCTAssertEqual(saved?.objects.last?.steps.count, 1, "adopted as a prompt at the mask's grid point")
    }

    func testCapitalSOpensTheMostSimilarObjectOfAnotherImage() throws {
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_tall.png"),
                                         to: folder.appendingPathComponent("tall.png"))
        _ = try writeSession(image: "wide.png", className: "apple", width: 64, height: 48, region: (10..<30, 10..<30))
        _ = try writeSession(image: "tall.png", className: "pear", width: 40, height: 56, region: (5..<25, 20..<40))
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt").path
        let indexed = try SamtermRun.run(["index", folder.path, "--checkpoint", checkpoint],
                                         environment: ["XDG_CACHE_HOME": folder.appendingPathComponent("cache").path])
        XCTAssertEqual(indexed.status, 0, indexed.errors)

        let session = try startEditor()
        try session.waitFor("the imported object") { $0.contains("1 apple") }
        try session.send(",")
        try pressUntil(session, "S", shows: "in other images")
        let list = try session.waitFor("the list", seconds: 120) { $0.contains("in other images") && $0.contains("tall.png #1") }
        XCTAssertTrue(list.range(of: #"> 0\.[0-9]{3}  tall\.png #1  pear"#, options: .regularExpression) != nil, list)
        XCTAssertFalse(list.contains("wide.png #1"), "the image's own objects are not listed")
        try session.send("Enter")
        // Added to the editor's list, its session restored, the object selected.
        try session.waitFor("the other image with its object selected", seconds: 120) {
            $0.contains("tall.png 40x56 (2/2)") && $0.contains(">█ 1 pear") && $0.contains("object 1 (1 of 1)")
        }
    }
}
