// Decisions the editor makes about exports and sessions, as values in its effects.
import XCTest
import Segmentation
@testable import TerminalUI

final class EditorExportTests: XCTestCase {
    typealias F = EditorFixtures

    func testExportingAgainMayReplaceTheFilesThisEditorWrote() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        guard case .export(let first)? = F.press([.character("e")], on: &state).first else { return XCTFail("no export") }
        XCTAssertEqual(first.replaceable, [], "nothing exported yet: existing files are someone else's")
        _ = state.apply(.exportFinished(imageIndex: 0, files: ["/images/cat_mask_01.png", "/images/cat_coco.json"]))
        guard case .export(let second)? = F.press([.character("e")], on: &state).first else { return XCTFail("no export") }
        XCTAssertFalse(second.overwrite)
        XCTAssertEqual(second.replaceable, ["/images/cat_mask_01.png", "/images/cat_coco.json"])
    }

    func testEachImageAsksForItsSessionUntilItCame() {
        var state = EditorState(imagePaths: ["/a.png", "/b.png"], terminal: F.terminal, setup: F.setup)
        guard case .openImage(0, "/a.png", true, true)? = state.startEffects.first else { return XCTFail("\(state.startEffects)") }
        // Leaving before the session came: the image asks again when it is opened again.
        guard case .openImage(1, "/b.png", true, true)? = F.press([.character("]")], on: &state).first else { return XCTFail("no open") }
        guard case .openImage(0, "/a.png", true, true)? = F.press([.character("[")], on: &state).first else { return XCTFail("no open") }
        _ = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh))
        _ = F.press([.character("]")], on: &state)
        guard case .openImage(0, "/a.png", true, false)? = F.press([.character("[")], on: &state).first else { return XCTFail("no open") }
    }
}
