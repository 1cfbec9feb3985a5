// The export dialog (`e`), the record of what an export wrote, and the quit question, through
// the pure update.
import XCTest
import Segmentation
@testable import TerminalUI

final class ExportDialogTests: XCTestCase {
    typealias F = EditorFixtures

    /// Two images, each with one object whose prediction came back; image 0 on screen.
    private func twoImagesWithObjects() throws -> EditorState {
        var state = F.loadedState(paths: ["/images/cat.png", "/images/dog.png"])
        var request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        _ = F.press([.character("]")], on: &state)
        _ = state.apply(.imageLoaded(index: 1, image: F.gradient(width: 80, height: 40)))
        _ = state.apply(.imageEncoded(index: 1, seconds: 0.5, fromCache: false))
        _ = state.apply(.sessionLoaded(index: 1, sha256: F.imageSHA256, outcome: .fresh))
        request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        _ = F.press([.character("[")], on: &state)
        XCTAssertEqual(state.currentImage, 0)
        return state
    }

    private func exports(_ effects: [EditorEffect]) -> [ExportRequest] {
        effects.compactMap { if case .export(let request) = $0 { return request } else { return nil } }
    }

    private func dialog(_ state: EditorState) -> ExportDialog? {
        if case .exporting(let dialog) = state.mode { return dialog }
        return nil
    }

    func testEOpensTheDialogWithTheConfiguredFormatsAndThisImage() throws {
        var state = try twoImagesWithObjects()
        XCTAssertTrue(F.press([.character("e")], on: &state).isEmpty, "nothing exported before Enter")
        XCTAssertEqual(dialog(state), ExportDialog(formats: [.png, .coco], scope: .thisImage))
        let lines = ExportDialogView.lines(state, try XCTUnwrap(dialog(state)))
        XCTAssertTrue(lines.contains(" [x] 1 png       one 0/255 mask per object"), "\(lines)")
        XCTAssertTrue(lines.contains(" [ ] 2 labelmap  one picture, object i = value i"), "\(lines)")
        XCTAssertTrue(lines.contains(" (•) this image: cat.png, 1 mask"), "\(lines)")
        XCTAssertTrue(lines.contains(" ( ) every image with objects opened in this run: 2 images, 2 masks"), "\(lines)")
        XCTAssertTrue(lines.contains("To: /images/samterm-export  (d: another folder)"), "\(lines)")
        XCTAssertTrue(ImageLayer.showsImage(F.loadedState()), "the picture shows without the dialog")
        XCTAssertFalse(ImageLayer.showsImage(state), "the dialog covers the picture")
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.contains("Enter export  Esc cancel"))
    }

    func testDTypesAnotherFolderThatTheExportAndTheNextDialogUse() throws {
        var state = try twoImagesWithObjects()
        _ = F.press([.character("e"), .character("d")], on: &state)
        XCTAssertEqual(dialog(state)?.typing, "", "no --out: an empty folder to type")
        _ = F.press("/data/set1x".map { Key.character($0) } + [.backspace], on: &state)
        XCTAssertTrue(ExportDialogView.lines(state, try XCTUnwrap(dialog(state))).contains("To: /data/set1█"))
        XCTAssertTrue(F.press([.character("q")], on: &state).isEmpty, "q is typed, not a cancel, while typing")
        _ = F.press([.backspace, .enter], on: &state)
        XCTAssertEqual(dialog(state)?.destination, "/data/set1")
        XCTAssertNil(dialog(state)?.typing)
        XCTAssertTrue(ExportDialogView.lines(state, try XCTUnwrap(dialog(state))).contains("To: /data/set1  (d: another folder)"))
        let requests = exports(F.press([.enter], on: &state))
        XCTAssertEqual(requests.map(\.directory), ["/data/set1"])
        _ = F.press([.character("e")], on: &state)
        XCTAssertEqual(dialog(state)?.destination, "/data/set1", "the choice stays for the next export")
        _ = F.press([.character("d"), .escape], on: &state)
        XCTAssertEqual(dialog(state)?.destination, "/data/set1", "Esc leaves the folder as it was")
        _ = F.press([.character("d")] + Array(repeating: Key.backspace, count: 10) + [.enter], on: &state)
        XCTAssertNil(dialog(state)?.destination, "an empty folder: the default again")
    }

    func testTogglingFormatsAndScopeThenEnterExportsEveryImageWithObjects() throws {
        var state = try twoImagesWithObjects()
        _ = F.press([.character("e"), .character("1"), .character("5"), .tab], on: &state)
        XCTAssertEqual(dialog(state), ExportDialog(formats: [.coco, .overlay], scope: .allImages))
        let lines = ExportDialogView.lines(state, try XCTUnwrap(dialog(state)))
        XCTAssertTrue(lines.contains(" (•) every image with objects opened in this run: 2 images, 2 masks"), "\(lines)")
        XCTAssertTrue(lines.contains("To: samterm-export/ beside each image  (d: another folder)"), "\(lines)")
        let requests = exports(F.press([.enter], on: &state))
        XCTAssertEqual(requests.map(\.imageIndex), [0, 1])
        XCTAssertEqual(requests.map(\.imagePath), ["/images/cat.png", "/images/dog.png"])
        XCTAssertEqual(requests.map(\.formats), [[.coco, .overlay], [.coco, .overlay]])
        XCTAssertEqual(requests.map(\.directory), [nil, nil], "samterm-export beside each image (the worker's default)")
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.text, "Exporting 2 masks of 2 images…")
        _ = state.apply(.exportFinished(imageIndex: 1, files: ["/images/samterm-export/dog_coco.json"]))
        XCTAssertEqual(state.message?.text, "Exporting… 1 of 2 images done")
        _ = state.apply(.exportFinished(imageIndex: 0, files: ["/images/samterm-export/cat_coco.json", "/images/samterm-export/cat_overlay.png"],
                                        removed: ["/images/samterm-export/cat_mask_01.png"]))
        XCTAssertEqual(state.message?.text,
                       "Exported 3 files of 2 images to samterm-export/ beside each image; removed 1 file of the previous export")
        XCTAssertFalse(state.hasUnsavedChanges)
        // The next `e` starts from these choices.
        _ = F.press([.character("e")], on: &state)
        XCTAssertEqual(dialog(state), ExportDialog(formats: [.coco, .overlay], scope: .allImages))
    }

    func testAFailureInAnExportOfSeveralImagesIsInItsSummary() throws {
        var state = try twoImagesWithObjects()
        _ = F.press([.character("e"), .tab, .enter], on: &state)
        _ = state.apply(.exportFailed(imageIndex: 0, message: "disk full"))
        XCTAssertEqual(state.message?.text, "Exporting… 1 of 2 images done")
        _ = state.apply(.exportFinished(imageIndex: 1, files: ["/images/samterm-export/dog_coco.json"]))
        XCTAssertEqual(state.message, StatusMessage("Exported 1 file of 1 image to samterm-export/ beside each image; "
                                                    + "not exported: cat.png (disk full)", isError: true))
        XCTAssertTrue(state.images[0].hasUnsavedChanges, "the failed image is still not exported")
        // Files from elsewhere in the way of one image: said in the summary too, nothing asked.
        _ = F.press([.character("e"), .enter], on: &state)
        _ = state.apply(.exportNeedsOverwrite(imageIndex: 1, existing: ["/images/samterm-export/dog_coco.json"]))
        _ = state.apply(.exportFinished(imageIndex: 0, files: ["/images/samterm-export/cat_coco.json"]))
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.text, "Exported 1 file of 1 image to samterm-export/ beside each image; "
                       + "not exported: dog.png (1 file from elsewhere in the way: export it alone to replace them)")
    }

    func testThisImageExportsOnlyTheImageOnScreen() throws {
        var state = try twoImagesWithObjects()
        let requests = exports(F.press([.character("e"), .character("e")], on: &state))
        XCTAssertEqual(requests.map(\.imageIndex), [0], "`e` twice: the quick way")
        XCTAssertEqual(requests.first?.formats, [.png, .coco])
    }

    func testEscapeCancelsAndAnEmptyChoiceDoesNotExport() throws {
        var state = try twoImagesWithObjects()
        XCTAssertTrue(F.press([.character("e"), .escape], on: &state).isEmpty)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.text, "Export cancelled")
        XCTAssertTrue(F.press([.character("e"), .character("1"), .character("4"), .enter], on: &state).isEmpty)
        XCTAssertEqual(state.message, StatusMessage("Choose a format first (1-6)", isError: true))
        XCTAssertNotNil(dialog(state), "still open to choose one")
        XCTAssertEqual(exports(F.press([.character("6"), .enter], on: &state)).first?.formats, [.polygons])
    }

    func testNothingToExportOpensNoDialog() {
        var state = F.loadedState()
        XCTAssertTrue(F.press([.character("e")], on: &state).isEmpty)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.text, "Nothing to export: no object has a mask yet")
    }

    func testTheRecordOfAnExportIsSavedAndHandedToTheNextExport() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        let first = try XCTUnwrap(exports(F.press([.character("e"), .enter], on: &state)).first)
        XCTAssertEqual(first.earlier, [])
        let written = ["/images/samterm-export/cat_mask_01.png", "/images/samterm-export/cat_coco.json"]
        let effects = state.apply(.exportFinished(imageIndex: 0, files: written))
        XCTAssertEqual(F.saves(effects).last?.exports, written, "the session records what the export wrote")
        XCTAssertEqual(state.message?.text, "Exported 2 files to /images/samterm-export")
        let second = try XCTUnwrap(exports(F.press([.character("e"), .enter], on: &state)).first)
        XCTAssertEqual(second.earlier, written, "the next export knows what to replace")
        XCTAssertEqual(second.replaceable, Set(written))
        let renamed = ["/images/samterm-export/cat_mask_01_tripod.png", "/images/samterm-export/cat_coco.json"]
        _ = state.apply(.exportFinished(imageIndex: 0, files: renamed, removed: ["/images/samterm-export/cat_mask_01.png"]))
        XCTAssertEqual(state.document.exports, renamed)
        XCTAssertEqual(state.message?.text, "Exported 2 files to /images/samterm-export; removed 1 file of the previous export")
    }

    func testARestoredSessionBringsItsRecordBack() throws {
        let steps = [Session.Step(points: [Session.Point(x: 2.5, y: 2.5, label: 1)], multimask: true, maskInput: false, candidate: 1)]
        let session = Session(image: Session.ImageReference(path: "cat.png", sha256: F.imageSHA256, width: 80, height: 40),
                              model: "sam2.1_hiera_t",
                              objects: [Session.Object(id: 1, color: ObjectPalette.color(at: 0), steps: steps)],
                              exports: ["/images/samterm-export/cat_mask_01.png"])
        var state = F.loadedState(session: nil)
        let replays = F.replayRequests(state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .found(session))))
        XCTAssertEqual(state.document.exports, ["/images/samterm-export/cat_mask_01.png"])
        for replay in replays { _ = state.apply(.replayed(requestID: replay.id, result: F.result(), maskInput: nil)) }
        let request = try XCTUnwrap(exports(F.press([.character("e"), .enter], on: &state)).first)
        XCTAssertEqual(request.earlier, ["/images/samterm-export/cat_mask_01.png"])
        XCTAssertTrue(request.replaceable.contains("/images/samterm-export/cat_mask_01.png"),
                      "a restart does not ask about files its own earlier export wrote")
    }

    func testTheQuitQuestionNamesTheImagesNotExported() throws {
        var state = try twoImagesWithObjects()
        _ = F.press([.character("q")], on: &state)
        XCTAssertEqual(state.mode, .confirmQuit)
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.hasPrefix(" Not exported: cat.png, dog.png — quit? (y/n)"),
                      Chrome.messageLine(state, width: 120).plainText)
        XCTAssertEqual(Chrome.quitQuestion(state, width: 44), "Not exported: cat.png, dog.png — quit? (y/n)")
        XCTAssertEqual(Chrome.quitQuestion(state, width: 43), "2 images not exported — quit? (y/n)", "no room for the names")
        _ = F.press([.character("n")], on: &state)
        _ = state.apply(.exportFinished(imageIndex: 1, files: ["/images/samterm-export/dog_mask_01.png"]))
        _ = F.press([.character("q")], on: &state)
        XCTAssertEqual(Chrome.quitQuestion(state, width: 120), "Not exported: cat.png — quit? (y/n)")
    }
}
