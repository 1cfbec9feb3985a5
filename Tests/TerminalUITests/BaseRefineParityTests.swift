// An imported object's first click refines its base mask: live in the editor, replayed from the
// session, exported by the editor and by `samterm export`, all give one mask (the real worker
// and engine on the tiny SAM 2.1 fixture model).
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class BaseRefineParityTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/sam2")
    private static let imagePath = fixtures.appendingPathComponent("image_wide.png").path

    func testARefinedImportReplaysAndExportsToTheLiveMask() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        let image = try RGBImage.load(path: Self.imagePath)
        let size = SessionReplay.editingSize(width: image.width, height: image.height)
        var baseMask = BinaryMask(width: image.width, height: image.height)
        for y in 10..<30 { for x in 20..<50 { baseMask[x, y] = true } }
        let base = Session.BaseMask(mask: baseMask)
        let edits: [MaskEdit] = [.stroke(.init(path: [.init(x: 22, y: 12), .init(x: 40, y: 12)], radius: 3, erases: true))]
        let point = Session.Point(x: 35, y: 20, foreground: true)
        let step = Session.Step(points: [point], multimask: false, maskInput: true, maskInputEdits: 1, candidate: 0)

        let (worker, recorder, jobs) = EditorFixtures.realWorker(model: model, imagePath: Self.imagePath)
        defer { worker.stop() }
        // Live: the editor sends the base (display size: the image's here) with its edit.
        var prompt = SessionReplay.prompt(for: step, maskInput: nil)
        prompt.maskInput = nil
        let shown = MaskSculpting.apply(edits, to: baseMask, imageWidth: image.width, imageHeight: image.height)
        worker.submit(.predict(PredictRequest(id: 1, imageIndex: 0, objectID: 1, prompting: prompt,
                                              maskWidth: size.width, maskHeight: size.height, editedMask: shown)))
        let live = try XCTUnwrap(answer(1, recorder)).candidates[0].mask

        // Restored: the step replayed from the base.
        worker.submit(.replay(ReplayRequest(id: 2, imageIndex: 0, objectID: 1, steps: [step],
                                            maskWidth: size.width, maskHeight: size.height, edits: edits,
                                            imageWidth: image.width, imageHeight: image.height, base: baseMask)))
        XCTAssertEqual(try XCTUnwrap(answer(2, recorder)).candidates[0].mask, live)

        // Exported by the editor and computed as `samterm export` does.
        let record = ObjectRecord(id: 1, name: nil, color: ObjectPalette.color(at: 0), steps: [step], edits: edits, base: base)
        worker.submit(.export(ExportRequest(imageIndex: 0, imagePath: Self.imagePath, imageWidth: image.width,
                                            imageHeight: image.height, objects: [record], directory: "/out")))
        recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        let predictor = try Predictor(model: model)
        try predictor.setImage(image)
        let object = Session.Object(id: 1, color: ObjectPalette.color(at: 0), base: base, steps: [step], edits: edits)
        XCTAssertEqual(Session(image: .init(path: "x", sha256: String(repeating: "0", count: 64), width: image.width,
                                            height: image.height), model: model.name, objects: [object]).validationProblems(), [])
        let expected = try SessionReplay.finalMask(of: object, with: predictor, imageWidth: image.width, imageHeight: image.height)
        XCTAssertEqual(try XCTUnwrap(jobs.first).objects.first?.mask, expected.mask)
        XCTAssertEqual(expected.mask, MaskSculpting.apply(edits, to: live, imageWidth: image.width, imageHeight: image.height))
        XCTAssertNotEqual(live, baseMask, "the click changed the mask")

        // An imported object without steps exports its base with the edits, no model needed.
        let plain = Session.Object(id: 2, color: ObjectPalette.color(at: 1), base: base, edits: edits)
        XCTAssertEqual(try SessionReplay.finalMask(of: plain, with: predictor, imageWidth: image.width, imageHeight: image.height).mask, shown)
    }

    /// A refining prediction's answer comes as `.replayed`, as a replay's does.
    private func answer(_ id: Int, _ recorder: EventRecorder) -> PredictionResult? {
        let events = recorder.wait { $0.contains { if case .replayed(id, _, _) = $0 { return true } else { return false } } }
        return events.lazy.compactMap { event -> PredictionResult? in
            if case .replayed(id, let result, _) = event { return result } else { return nil }
        }.first
    }
}
