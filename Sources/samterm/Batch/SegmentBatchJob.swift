import Foundation
import Segmentation

/// `samterm segment` over many images: the command's prompt against each image, outputs in
/// OUT/NAME/ (NAME: the image file name without extension): mask-N.png, logits.npy,
/// best-logits.npy and result.json, the folder placed whole (OutputFolders.replaceFolder), so an
/// image is complete exactly when its result.json exists; its model, prompt and clean-up
/// (--fill-holes, --remove-islands: every mask cleaned as in a single run) must be this run's, or the image fails rather than mixing two runs' outputs (--overwrite redoes it).
struct SegmentBatchJob: BatchJob {
    let command: Segment
    let model: Model
    let predictor: Predictor
    let out: String
    /// This run's prompt as result.json records it (read back, so that it compares equal).
    private let expectedPrompt: NSDictionary

    init(command: Segment, model: Model, out: String) throws {
        self.command = command
        self.model = model
        predictor = try Predictor(model: model)
        self.out = out
        let prompt = Prompt(points: command.points.map(\.point), box: command.box?.box, maskInput: nil,
                            multimask: command.multimask && !command.single)
        let data = try JSONSerialization.data(withJSONObject: SegmentResult.promptObject(prompt))
        expectedPrompt = try JSONSerialization.jsonObject(with: data) as? NSDictionary ?? [:]
    }

    func folder(for input: String) -> String {
        OutputFolders.folder(for: input, in: out)
    }

    func isComplete(_ input: String) throws -> Bool {
        let resultPath = (folder(for: input) as NSString).appendingPathComponent("result.json")
        guard let data = FileManager.default.contents(atPath: resultPath) else { return false }
        // Atomic writes never leave a damaged result.json; one edited by hand is simply redone.
        guard let stored = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        let storedPrompt = stored["prompt"] as? NSDictionary
        let storedCleanUp = stored["clean_up"] as? [String: Int]
        guard stored["model"] as? String == model.name, storedPrompt?.isEqual(expectedPrompt) == true,
              storedCleanUp == command.cleanUp else {
            throw UsageError("\(resultPath) was made with another model, prompt or clean-up: pass --overwrite to replace it")
        }
        return true
    }

    func process(_ input: String) throws {
        let picture = try RGBImage.load(path: input)
        let prompt = try command.makePrompt(for: picture, imagePath: input)
        let (_, setImageMs) = try measure { try predictor.setImage(picture) }
        let (candidates, predictMs) = try measure { try predictor.predict(prompt) }
        var result = SegmentResult(model: model, image: picture, prompt: prompt, candidates: candidates,
                                   masks: command.cleanedMasks(of: candidates), cleanUp: command.cleanUp, timings: ["set_image": setImageMs, "predict": predictMs])
        result.source = input
        // The folder is written aside and takes its name whole: a run killed at any moment
        // leaves an image's outputs complete or absent, never a mix of two runs.
        try OutputFolders.replaceFolder(folder(for: input)) { staging in
            try command.writeOutputs(result, candidates: candidates, into: staging)
        }
    }
}
