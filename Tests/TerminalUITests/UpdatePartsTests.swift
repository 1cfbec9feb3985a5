// How update routes events, and the decisions it hands the worker as values (which files an
// export may replace, when to look for a session).
import XCTest
import Segmentation
@testable import TerminalUI

final class UpdatePartsTests: XCTestCase {
    typealias F = EditorFixtures

    func testResultsForAnImageNotInTheListChangeNothing() {
        let events: [EditorEvent] = [
            .imageLoaded(index: 3, image: F.gradient(width: 4, height: 2)),
            .imageFailed(index: 3, message: "gone"),
            .encodingStarted(index: -1, at: 5),
            .imageEncoded(index: 3, seconds: 1, fromCache: false),
            .encodingFailed(index: 3, message: "gone"),
            .sessionLoaded(index: 3, sha256: F.imageSHA256, outcome: .fresh),
            .objectsFound(imageIndex: 3, suggestions: []),
            .findingObjectsFailed(imageIndex: 3, message: "gone"),
            .exportFinished(imageIndex: 3, files: ["/images/cat_mask_01.png"]),
        ]
        for event in events {
            var state = F.loadedState()
            state.message = nil
            XCTAssertTrue(state.apply(event).isEmpty, "\(event)")
            XCTAssertNil(state.message, "\(event)")
            XCTAssertEqual(state.images.count, 1)
            XCTAssertEqual(state.clock, 0, "\(event)")
            XCTAssertTrue(state.exportedFiles.isEmpty, "\(event)")
        }
    }

    func testExportFailuresAreShownWhicheverImageTheyConcern() {
        var state = F.loadedState()
        _ = state.apply(.exportFailed(imageIndex: 7, message: "disk full"))
        XCTAssertEqual(state.message, StatusMessage("Export failed: disk full", isError: true))
    }

    func testExportingAgainMayReplaceTheFilesThisEditorWrote() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        guard case .export(let first)? = F.press([.character("e"), .enter], on: &state).first else { return XCTFail("no export") }
        XCTAssertEqual(first.replaceable, [], "nothing exported yet: existing files are someone else's")
        _ = state.apply(.exportFinished(imageIndex: 0, files: ["/images/cat_mask_01.png", "/images/cat_coco.json"]))
        guard case .export(let second)? = F.press([.character("e"), .enter], on: &state).first else { return XCTFail("no export") }
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
