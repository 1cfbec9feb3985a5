// keys.conf: the parser (a good file, each kind of mistake), the keys it makes active, and the
// help showing them.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class KeymapFileTests: XCTestCase {
    typealias F = EditorFixtures

    func testAGoodFileRebindsActionsAndTakesTheirKeysFromOthers() throws {
        let text = """
            # labelme habits
            next-image = D
              previous-image = A   
            find-objects = ctrl-a

            zoom-in = + f5
            delete-object = del\r
            """
        let overrides = try KeymapFile.parse(text, path: "/cfg/keys.conf")
        XCTAssertEqual(overrides.map(\.action), [.nextImage, .previousImage, .findObjects, .zoomIn, .deleteObject])
        XCTAssertEqual(overrides.map(\.keys), [[.character("D")], [.character("A")], [.control("a")],
                                              [.character("+"), .function(5)], [.delete]])
        XCTAssertEqual(overrides.map(\.line), [2, 3, 4, 6, 7])

        let keymap = ActiveKeymap.standard.applying(overrides)
        XCTAssertEqual(keymap.action(for: .character("D")), .nextImage)
        XCTAssertNil(keymap.action(for: .character("]")), "the file's keys replace the defaults")
        XCTAssertEqual(keymap.action(for: .character("A")), .previousImage, "A went to previous-image")
        XCTAssertEqual(keymap.action(for: .control("a")), .findObjects)
        XCTAssertEqual(keymap.action(for: .function(5)), .zoomIn)
        XCTAssertNil(keymap.action(for: .character("=")))
        XCTAssertEqual(keymap.action(for: .character("q")), .quit, "the rest as they were")
        XCTAssertEqual(keymap.keys(for: .findObjects), [.control("a")])
    }

    func testEachMistakeNamesTheFileTheLineAndTheReason() {
        let cases: [(String, String)] = [
            ("next-image = D\nnxt-image = ]", "/k.conf:2: unknown action \"nxt-image\"; the actions are: move-left, "),
            ("# fine\nnext-image = ctl-d", "/k.conf:2: unknown key \"ctl-d\" for next-image; a key is a single character, ctrl-a"),
            ("next-image = D\nprevious-image = D", "/k.conf:2: key \"D\" is bound twice (to next-image on line 1, and to previous-image)"),
            ("zoom-in = + +", "/k.conf:1: key \"+\" is bound twice (to zoom-in on this line, and to zoom-in)"),
            ("next-image = D\nnext-image = E", "/k.conf:2: next-image is set twice (first on line 1)"),
            ("next-image D", "/k.conf:1: expected `action = key`, found \"next-image D\""),
            ("next-image =", "/k.conf:1: no key given for next-image"),
            ("quit = f13", "/k.conf:1: unknown key \"f13\""),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try KeymapFile.parse(text, path: "/k.conf"), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)\nexpected: \(expected)")
            }
        }
    }

    func testLoadingReadsTheFileOnlyWhenThereIsOne() throws {
        let folder = NSTemporaryDirectory() + "samterm-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertEqual(KeymapFile.defaultPath(environment: ["XDG_CONFIG_HOME": folder, "HOME": "/home/u"]),
                       folder + "/samterm/keys.conf")
        XCTAssertEqual(KeymapFile.defaultPath(environment: ["HOME": "/home/u"]), "/home/u/.config/samterm/keys.conf")
        let path = folder + "/keys.conf"
        XCTAssertEqual(try KeymapFile.load(path: path, required: false).action(for: .character("A")), .findObjects)
        XCTAssertThrowsError(try KeymapFile.load(path: path, required: true)) { error in
            XCTAssertEqual("\(error)", "\(path): no such file")
        }
        try "find-objects = F\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try KeymapFile.load(path: path, required: false).action(for: .character("F")), .findObjects)
    }

    func testEveryActionHasItsOwnName() {
        let names = EditorAction.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "\(names)")
        for action in EditorAction.all { XCTAssertEqual(EditorAction.named(action.name), action) }
        XCTAssertTrue(names.contains("next-image") && names.contains("find-objects") && names.contains("move-left-far"))
    }

    func testAReboundKeyPerformsItsActionAndTheHelpShowsIt() throws {
        var state = F.loadedState(paths: ["/images/a.png", "/images/b.png"])
        state.keymap = ActiveKeymap.standard.applying(try KeymapFile.parse("next-image = D\nfind-objects = ctrl-a",
                                                                           path: "keys.conf"))
        F.press([.character("A")], on: &state)
        XCTAssertEqual(state.mode, .normal, "A does nothing now")
        F.press([.control("a")], on: &state)
        XCTAssertEqual(state.mode, .confirmFindObjects, "Ctrl-A finds objects (asking first on the CPU)")
        F.press([.character("n")], on: &state)
        let effects = F.press([.character("D")], on: &state)
        XCTAssertEqual(state.currentImage, 1, "\(effects)")
        F.press([.character("]")], on: &state)
        XCTAssertEqual(state.currentImage, 1, "] does nothing now")

        let help = state.keymap.helpLines
        XCTAssertTrue(help.contains { $0.hasPrefix("D [ ") && $0.hasSuffix("  next / previous image") }, help.joined(separator: "\n"))
        XCTAssertTrue(help.contains { $0.hasPrefix("Ctrl-A ") && $0.contains("find every object") }, help.joined(separator: "\n"))
        XCTAssertTrue(help.contains { $0.hasPrefix("] [") } == false)
        XCTAssertTrue(help.contains { $0.hasPrefix("t ") && $0.contains("thresholds") })
        // Unchanged groups keep their hand-written labels.
        XCTAssertTrue(help.contains { $0.hasPrefix("←↓↑→ hjkl") })
        XCTAssertEqual(ActiveKeymap.standard.helpLines, Keymap.helpLines)
        XCTAssertEqual(HelpOverlay.layout(in: CellRect(column: 0, row: 0, width: 120, height: 60), keys: help).lines.dropFirst(2).first,
                       help.first)
    }
}
