import Foundation
import Segmentation

/// `samterm segment --boxes` over many images: every detector box of an image becomes one
/// object (a box prompt, one mask, as the official predictor answers a box), all against one
/// encoding of the image. Each image's result is a session, OUT/sessions/NAME.samterm.json,
/// holding the objects with their classes, confidences and prompts: the dataset files are made
/// from the sessions (DatasetExportRun), and the editor opens them for correction
/// (`samterm edit IMAGES --session-dir OUT/sessions`). An image is complete exactly when its
/// session exists, written atomically; one made from other boxes or another model fails
/// rather than mixing two runs (--overwrite redoes it).
final class BoxesBatchJob: BatchJob {
    let model: Model
    let predictor: Predictor
    let detections: DetectionSet
    let minScore: Double?
    let sessionFolder: String
    /// Each input's name as the detections know it (relative to the inputs' common folder).
    let names: [String: DatasetImage.Name]
    /// Boxes left out (outside the image, empty): one line each; the run fails at the end.
    private(set) var problems: [String] = []

    init(model: Model, detections: DetectionSet, minScore: Double?, out: String, names: [String: DatasetImage.Name]) throws {
        self.model = model
        predictor = try Predictor(model: model)
        self.detections = detections
        self.minScore = minScore
        sessionFolder = Self.sessionFolder(in: out)
        self.names = names
    }

    static func sessionFolder(in out: String) -> String { (out as NSString).appendingPathComponent("sessions") }

    func store(for input: String) -> SessionStore { SessionStore(imagePath: input, folder: sessionFolder) }

    /// This run's detections of the image, weak ones dropped.
    private func kept(for input: String) -> [Detection] {
        let found = names[input].flatMap(detections.detections(for:)) ?? []
        guard let minScore else { return found }
        return found.filter { ($0.score ?? 1) >= minScore }
    }

    func isComplete(_ input: String) throws -> Bool {
        let store = store(for: input)
        guard store.exists else { return false }
        guard let session = try? store.load() else { return false }
        let expected = kept(for: input)
        // Boxes that were bad are not in the session: every object must be one of this run's boxes.
        let same = session.model == model.name && session.objects.count <= expected.count
            && session.objects.allSatisfy { object in
                expected.contains { $0.className == object.category && $0.score == object.confidence }
            }
        guard same else {
            throw UsageError("\(store.path) was made with another model or other boxes: pass --overwrite to replace it")
        }
        return true
    }

    func process(_ input: String) throws {
        let picture = try RGBImage.load(path: input)
        try predictor.setImage(picture)
        var objects: [Session.Object] = []
        for detection in kept(for: input) {
            let box: Session.Box
            switch detection.box(width: picture.width, height: picture.height) {
            case .success(let found): box = found
            case .failure(let problem):
                problems.append("\(input): \(problem)")
                FileHandle.standardError.write(Data("error: \(input): \(problem): left out\n".utf8))
                continue
            }
            let step = Session.Step(points: [], box: box, multimask: false, maskInput: false, candidate: 0)
            let candidates = try predictor.predict(SessionReplay.prompt(for: step, maskInput: nil))
            let mask = candidates.mask(at: 0) ?? BinaryMask(width: picture.width, height: picture.height)
            objects.append(Session.Object(id: objects.count + 1, category: detection.className,
                                          color: ObjectPalette.color(at: objects.count), confidence: detection.score,
                                          steps: [step], mask: Session.StoredMask(mask: mask, score: Double(candidates.scores[0]))))
        }
        let store = store(for: input)
        let reference = Session.ImageReference(path: store.imageReferencePath(for: input),
                                               sha256: try SHA256.hexDigest(ofFileAt: input),
                                               width: picture.width, height: picture.height)
        var session = Session(image: reference, model: model.name, objects: objects)
        session.classes = detections.classes?.names
        session.classIDs = detections.classes?.cocoIDs
        try AtomicFileWriter.createFolder(sessionFolder)
        try store.save(session)
    }
}
