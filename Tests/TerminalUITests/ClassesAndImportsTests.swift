// Classes in the editor (`L`, `n` keeping the class, the object list, a fixed list) and
// imported objects (a base mask shown, saved and refined by the first click).
import Segmentation
import XCTest
@testable import TerminalUI

private typealias F = EditorFixtures

final class ClassesAndImportsTests: XCTestCase {
    private func type(_ text: String) -> [Key] { text.map { .character($0) } }

    /// An 80 x 40 image whose session holds one imported object (a box-shaped base mask) and a
    /// predicted one of class "pear".
    private func importedState(classes: [String]? = nil) throws -> (EditorState, BinaryMask) {
        var base = BinaryMask(width: 80, height: 40)
        for y in 5..<20 { for x in 10..<30 { base[x, y] = true } }
        var session = Session(image: .init(path: "cat.png", sha256: F.imageSHA256, width: 80, height: 40), model: Session.noModel,
                              objects: [Session.Object(id: 1, category: "apple", color: ObjectPalette.color(at: 0),
                                                       base: Session.BaseMask(mask: base, source: "a.json, annotation 3"),
                                                       confidence: 0.8, mask: Session.StoredMask(mask: base, score: 1))])
        session.classes = classes
        let state = F.loadedState(session: .found(session))
        return (state, base)
    }

    func testAnImportedObjectShowsItsMaskAndIsSavedAsItCame() throws {
        var (state, base) = try importedState()
        let object = try XCTUnwrap(state.document.objects.first)
        XCTAssertEqual(object.category, "apple")
        XCTAssertEqual(object.mask, base)
        XCTAssertTrue(object.hasMask)
        XCTAssertEqual(state.message?.text, "Restored 1 object from the session")
        let saved = try XCTUnwrap(state.sessionSnapshot(ofImage: 0)?.session(imageReferencePath: "cat.png"))
        XCTAssertEqual(saved.objects.first?.base?.counts, RLE(mask: base).compressedString)
        XCTAssertEqual(saved.objects.first?.category, "apple")
        XCTAssertEqual(saved.objects.first?.confidence, 0.8)
        XCTAssertEqual(saved.objects.first?.steps, [])
        // Moving away and back keeps it: an imported object is never dropped as empty.
        F.press([.character(","), .character(".")], on: &state)
        XCTAssertEqual(state.document.objects.map(\.id), [1])
        XCTAssertTrue(ObjectPanel.lines(state, width: 30, height: 12).map { $0.plainText }.contains { $0.contains("1 apple") })
    }

    func testTheFirstClickRefinesTheImportedMaskAndUndoBringsItBack() throws {
        var (state, base) = try importedState()
        F.press([.character(","), .character(".")], on: &state)  // back on the imported object
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertEqual(request.objectID, 1)
        XCTAssertEqual(request.editedMask, base, "the mask input is made from the imported mask")
        XCTAssertFalse(request.prompting.multimask, "refining a mask asks for one candidate")
        XCTAssertEqual(state.currentObject?.mask, base, "the imported mask stays while the prediction runs")
        _ = state.apply(.replayed(requestID: request.id, result: F.result(count: 1, best: 0), maskInput: [Float](repeating: 4, count: 16)))
        let steps = try XCTUnwrap(state.sessionSnapshot(ofImage: 0)?.objects.first?.steps)
        XCTAssertEqual(steps.count, 1)
        XCTAssertEqual(steps[0].maskInput, true)
        XCTAssertEqual(steps[0].maskInputEdits, 0)
        XCTAssertNotEqual(state.currentObject?.mask, base)
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.currentObject?.mask, base)
        XCTAssertEqual(state.sessionSnapshot(ofImage: 0)?.objects.first?.steps, [])
    }

    func testThePickerFiltersAddsNewClassesAndIsUndone() throws {
        var (state, _) = try importedState()
        F.press([.character(","), .character(".")], on: &state)
        F.press([.character("L")], on: &state)
        XCTAssertEqual(state.mode, .pickingClass(ClassPicker(filter: "", selection: 0)), "the object's class is highlighted")
        F.press(type("pe"), on: &state)
        XCTAssertEqual(state.classChoices(filter: "pe"), [.new("pe")])
        F.press(type("ar") + [.enter], on: &state)
        XCTAssertEqual(state.currentObject?.category, "pear")
        XCTAssertEqual(state.message?.text, "object 1: pear")
        XCTAssertEqual(state.knownClasses, ["pear"])
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.currentObject?.category, "apple")
        // Typing filters the known ones, case aside, and offers the typed name; Down and Enter pick.
        XCTAssertEqual(state.classChoices(filter: "P"), [.known("apple"), .new("P")])
        var shown = state
        shown.mode = .pickingClass(ClassPicker(filter: "P"))
        XCTAssertEqual(Chrome.messageLine(shown, width: 100).plainText.trimmingCharacters(in: .whitespaces),
                       "Class: P_  [apple] new: P    ↑↓ Enter, Esc cancels")
        F.press([.character("L")] + type("P") + [.down, .enter], on: &state)
        XCTAssertEqual(state.currentObject?.category, "P")
        F.press([.character("L"), .escape], on: &state)
        XCTAssertEqual(state.message?.text, "Class unchanged")
    }

    func testAFixedListRefusesNewNamesAndTheNextObjectKeepsTheClass() throws {
        var (state, _) = try importedState(classes: ["apple", "pear", "plum"])
        XCTAssertEqual(state.fixedClasses, ["apple", "pear", "plum"])
        F.press([.character(","), .character(".")], on: &state)
        F.press([.character("L")] + type("kiwi") + [.enter], on: &state)
        XCTAssertEqual(state.currentObject?.category, "apple")
        XCTAssertEqual(state.message?.text, "\"kiwi\" is not in the class list (apple, pear, plum)")
        F.press([.character("L")] + type("plu") + [.enter], on: &state)
        XCTAssertEqual(state.currentObject?.category, "plum")
        // `n`: the next object is a plum too, and so is its saved form.
        F.press([.character("n")], on: &state)
        XCTAssertEqual(state.currentObject?.category, "plum")
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        let saved = try XCTUnwrap(state.sessionSnapshot(ofImage: 0))
        XCTAssertEqual(saved.objects.map(\.category), ["plum", "plum"])
        XCTAssertEqual(saved.classes, ["apple", "pear", "plum"], "the list stays in the session")
    }

    func testEditClassesFixesTheListAndGoesIntoTheSession() throws {
        var state = EditorState(imagePaths: ["/images/cat.png"], terminal: F.terminal,
                                setup: EditorSetup(modelName: "sam2.1_hiera_t", device: "cpu", renderer: "truecolor",
                                                   classes: ["car", "bus"]))
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        _ = state.apply(.imageEncoded(index: 0, seconds: 0.5, fromCache: false))
        _ = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh))
        F.press([.character("L"), .down, .enter], on: &state)
        XCTAssertEqual(state.currentObject?.category, "bus")
        XCTAssertEqual(state.sessionSnapshot(ofImage: 0)?.classes, ["car", "bus"])
        XCTAssertEqual(EditorAction.named("pick-class"), .pickClass)
    }
}
