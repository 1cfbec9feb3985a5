// Refining from the edited mask (`r`) replays to the mask the editor showed, and exports to the
// mask `samterm export` writes: the real worker and engine on the tiny SAM 2.1 fixture model.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class SculptingReplayParityTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/sam2")
    private static let imagePath = fixtures.appendingPathComponent("image_wide.png").path

    func testARefineStepReplaysToTheLiveMask() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        let image = try RGBImage.load(path: Self.imagePath)
        let size = SessionReplay.editingSize(width: image.width, height: image.height)
        let point = Session.Point(x: 40, y: 25, foreground: true)
        let first = Session.Step(points: [point], multimask: false, maskInput: false, candidate: 0)
        let refine = Session.Step(points: [point], multimask: false, maskInput: true, maskInputEdits: 1, candidate: 0)
        let edits: [MaskEdit] = [.stroke(.init(path: [.init(x: 10, y: 10), .init(x: 30, y: 12)], radius: 6, erases: false)),
                                 .fillHoles(area: 100)]

        let (worker, recorder, jobs) = EditorFixtures.realWorker(model: model, imagePath: Self.imagePath)
        defer { worker.stop() }

        // Live, as the editor does it: predict, paint (one edit), `r` with the shown mask.
        let prompt = SessionReplay.prompt(for: first, maskInput: nil)
        worker.submit(.predict(PredictRequest(id: 1, imageIndex: 0, objectID: 1, prompting: prompt,
                                              maskWidth: size.width, maskHeight: size.height)))
        let kept = try XCTUnwrap(prediction(1, recorder)).candidates[0].mask
        let shown = MaskSculpting.apply(edits.prefix(1), to: kept, imageWidth: image.width, imageHeight: image.height)
        worker.submit(.predict(PredictRequest(id: 2, imageIndex: 0, objectID: 1, prompting: prompt,
                                              maskWidth: size.width, maskHeight: size.height, editedMask: shown)))
        let live = try XCTUnwrap(refined(2, recorder)).candidates[0].mask

        // Restoring the session: the steps replayed with the object's edits.
        worker.submit(.replay(ReplayRequest(id: 3, imageIndex: 0, objectID: 1, steps: [first, refine],
                                            maskWidth: size.width, maskHeight: size.height, edits: edits,
                                            imageWidth: image.width, imageHeight: image.height)))
        let events = recorder.wait { $0.contains { if case .replayed(3, _, _) = $0 { return true } else { return false } } }
        guard let (replayed, maskInput) = events.lazy.compactMap({ event -> (PredictionResult, [Float]?)? in
            if case .replayed(3, let result, let input) = event { return (result, input) } else { return nil }
        }).first else { return XCTFail("no replay") }
        XCTAssertEqual(replayed.candidates[0].mask, live, "the refine step replays to the mask the editor showed")
        let predictor = try Predictor(model: model)
        try predictor.setImage(image)
        XCTAssertEqual(maskInput, try predictor.maskInput(from: shown), "its mask input is the edited mask's logits")

        // Exporting: the same steps and edits at full size, as `samterm export` computes them.
        let record = ObjectRecord(id: 1, name: nil, color: ObjectPalette.color(at: 0), steps: [first, refine], edits: edits)
        worker.submit(.export(ExportRequest(imageIndex: 0, imagePath: Self.imagePath, imageWidth: image.width,
                                            imageHeight: image.height, objects: [record], directory: "/out")))
        recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        let object = Session.Object(id: 1, color: ObjectPalette.color(at: 0), steps: [first, refine], edits: edits)
        let expected = try SessionReplay.finalMask(of: object, with: predictor, imageWidth: image.width, imageHeight: image.height)
        XCTAssertEqual(try XCTUnwrap(jobs.first).objects.first?.mask, expected.mask)
    }

    /// A refine's answer comes as `.replayed`, with the mask input it was given.
    private func refined(_ id: Int, _ recorder: EventRecorder) -> PredictionResult? {
        let events = recorder.wait { $0.contains { if case .replayed(id, _, _) = $0 { return true } else { return false } } }
        return events.lazy.compactMap { event -> PredictionResult? in
            if case .replayed(id, let result, _) = event { return result } else { return nil }
        }.first
    }

    private func prediction(_ id: Int, _ recorder: EventRecorder) -> PredictionResult? {
        let events = recorder.wait { $0.contains { if case .prediction(id, _) = $0 { return true } else { return false } } }
        return events.lazy.compactMap { event -> PredictionResult? in
            if case .prediction(id, let result) = event { return result } else { return nil }
        }.first
    }
}
