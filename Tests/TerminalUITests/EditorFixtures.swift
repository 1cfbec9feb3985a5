// Small states, images and predictions for the editor's tests.
import Foundation
import Segmentation
@testable import TerminalUI

enum EditorFixtures {
    /// 40 x 12 cells: a 40 x 10 image area, no objects panel, cells twice as tall as wide.
    static let terminal = TerminalSize(columns: 40, rows: 12)
    static let setup = EditorSetup(modelName: "sam2.1_hiera_t", device: "cpu", renderer: "truecolor")

    /// An image whose pixel (x, y) has red = x, green = y, blue = 0.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8]()
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x % 256), UInt8(y % 256), 0] }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func solid(width: Int, height: Int, _ color: RGBColor) -> RGBImage {
        RGBImage(width: width, height: height, pixels: Array((0..<(width * height)).map { _ in [color.red, color.green, color.blue] }.joined()))
    }

    /// A state with an 80 x 40 image loaded and encoded: each cell covers 2 x 4 image pixels.
    static func loadedState(paths: [String] = ["/images/cat.png"], terminal: TerminalSize = terminal,
                            width: Int = 80, height: Int = 40, session: SessionOutcome? = .fresh) -> EditorState {
        var state = EditorState(imagePaths: paths, terminal: terminal, setup: setup)
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: gradient(width: width, height: height)))
        _ = state.apply(.imageEncoded(index: 0, seconds: 0.5, fromCache: false))
        if let session { _ = state.apply(.sessionLoaded(index: 0, sha256: imageSHA256, outcome: session)) }
        return state
    }

    static let imageSHA256 = String(repeating: "ab", count: 32)

    /// `count` candidates of a mask size, scored so that `best` wins; candidate i's logits are
    /// all equal to Float(i) so tests can tell which one was fed back.
    static func result(count: Int = 3, best: Int = 1, maskWidth: Int = 80, maskHeight: Int = 40,
                       inside: (Int, Int) -> Bool = { x, _ in x < 40 }) -> PredictionResult {
        var bytes = [UInt8](repeating: 0, count: maskWidth * maskHeight)
        for y in 0..<maskHeight { for x in 0..<maskWidth where inside(x, y) { bytes[y * maskWidth + x] = 1 } }
        let candidates = (0..<count).map { index in
            PredictedMask(mask: BinaryMask(width: maskWidth, height: maskHeight, bytes: bytes),
                          score: index == best ? 0.95 : 0.5 + Float(index) / 10,
                          lowResLogits: [Float](repeating: Float(index), count: 16))
        }
        return PredictionResult(candidates: candidates, best: best)
    }

    static func saves(_ effects: [EditorEffect]) -> [ImageSessionSnapshot] {
        effects.compactMap { if case .save(let snapshot) = $0 { return snapshot } else { return nil } }
    }

    static func replayRequests(_ effects: [EditorEffect]) -> [ReplayRequest] {
        effects.compactMap { if case .replay(let request) = $0 { return request } else { return nil } }
    }

    static func predictRequests(_ effects: [EditorEffect]) -> [PredictRequest] {
        effects.compactMap { if case .predict(let request) = $0 { return request } else { return nil } }
    }

    /// The editor's worker on the real engine with `imagePath` open and encoded; exports are
    /// recorded in `jobs` instead of written.
    static func realWorker(model: Model, imagePath: String) -> (PredictorWorker, EventRecorder, JobBox) {
        let recorder = EventRecorder(), jobs = JobBox()
        let dependencies = PredictorWorker.Dependencies(
            loadEngine: { try SegmentationEngine(model: model) },
            loadImage: { path in (try RGBImage.load(path: path), "wide") },
            export: { job in
                jobs.append(job)
                return job.objects.map { "\(job.folder)/mask_\($0.id).png" }
            },
            cache: nil, modelKey: { _ in "tiny" }, clock: { ProcessInfo.processInfo.systemUptime })
        let worker = PredictorWorker(dependencies: dependencies, post: recorder.post)
        worker.submit(.openImage(index: 0, path: imagePath, needsPixels: false, lookForSession: false))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        return (worker, recorder, jobs)
    }

    /// Feeds keys one after another and returns every effect produced.
    @discardableResult
    static func press(_ keys: [Key], on state: inout EditorState) -> [EditorEffect] {
        keys.flatMap { state.apply(.key($0)) }
    }
}
