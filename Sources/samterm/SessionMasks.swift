import Foundation
import Segmentation

/// An image's session opened for export: the session, where it lives, and the image it was
/// checked against (same content, same size).
struct OpenedSession {
    let store: SessionStore
    let session: Session
    let imagePath: String
    let image: RGBImage

    /// Opens `store`'s session (or `loaded`, read from it already) and its image; nil when the
    /// image has no session.
    static func open(_ store: SessionStore, loaded: Session? = nil) throws -> OpenedSession? {
        guard let session = try loaded ?? store.load() else { return nil }
        let imagePath = store.resolvedImagePath(of: session)
        let image = try RGBImage.load(path: imagePath)
        let imageHash = try SHA256.hexDigest(ofFileAt: imagePath)
        guard imageHash == session.image.sha256 else {
            throw SessionError.imageMismatch(path: store.path, sessionSHA256: session.image.sha256, imageSHA256: imageHash)
        }
        guard image.width == session.image.width && image.height == session.image.height else {
            throw ExportFailure("\(store.path): the session says the image is \(session.image.width)x\(session.image.height), "
                                + "\(imagePath) decodes to \(image.width)x\(image.height)")
        }
        return OpenedSession(store: store, session: session, imagePath: imagePath, image: image)
    }

    /// The objects that have a mask to export.
    var objects: [Session.Object] { session.objects.filter { !$0.isEmpty } }

    /// Where object `number` (IMAGE#N's N) is in `objects`; a usage error naming `argument` and
    /// the numbers the session has when it is not there.
    func position(ofObject number: Int, argument: String) throws -> Int {
        guard let position = objects.firstIndex(where: { $0.id == number }) else {
            let numbers = objects.map { String($0.id) }.joined(separator: ", ")
            throw UsageError("\(argument): the session has no object \(number) (it has \(numbers.isEmpty ? "none" : numbers))")
        }
        return position
    }
}

/// Objects' final masks for export: those saved in the session (unless `replay`), the rest
/// (or all) replayed through the model, loaded once on first need and kept for later images.
final class SessionMasks {
    struct ObjectMask {
        let mask: BinaryMask
        let score: Double?
    }

    private let modelOptions: ModelOptions
    private let replay: Bool
    private var predictor: Predictor?

    init(modelOptions: ModelOptions, replay: Bool) {
        self.modelOptions = modelOptions
        self.replay = replay
    }

    func masks(of opened: OpenedSession) throws -> [ObjectMask] {
        try Self.masks(of: opened, replay: replay) { needing in
            let predictor = try self.predictor(for: opened, needing: needing)
            try predictor.setImage(opened.image)
            return predictor
        }
    }

    /// The masks of `opened`'s objects; `predictor` is asked only when some must be replayed,
    /// for a predictor holding the image.
    static func masks(of opened: OpenedSession, replay: Bool,
                      predictor makePredictor: (_ needing: [Session.Object]) throws -> Predictor) throws -> [ObjectMask] {
        let objects = opened.objects, image = opened.image, store = opened.store
        var results: [ObjectMask?] = try objects.map { object in
            guard !replay, let stored = object.mask else { return nil }
            return ObjectMask(mask: try stored.decode(width: image.width, height: image.height), score: stored.score)
        }
        // An object painted from nothing, or imported, needs no model.
        for index in results.indices where results[index] == nil && objects[index].steps.isEmpty {
            let start = try objects[index].base?.decode(width: image.width, height: image.height)
                ?? BinaryMask(width: image.width, height: image.height)
            results[index] = ObjectMask(mask: MaskSculpting.apply(objects[index].edits, to: start, imageWidth: image.width,
                                                                  imageHeight: image.height), score: nil)
        }
        let missing = results.indices.filter { results[$0] == nil }
        guard !missing.isEmpty else { return results.map { $0! } }

        let predictor = try makePredictor(missing.map { objects[$0] })
        for index in missing {
            let replayed = try SessionReplay.finalMask(of: objects[index], with: predictor, imageWidth: image.width,
                                                       imageHeight: image.height)
            if let stored = objects[index].mask, let saved = try? stored.decode(width: image.width, height: image.height),
               saved != replayed.mask {
                warn("\(store.path): \(objects[index].displayName): the replayed mask differs from the saved one "
                     + "(IoU \(String(format: "%.4f", saved.iou(replayed.mask)))); exporting the replayed one")
            }
            results[index] = ObjectMask(mask: replayed.mask, score: replayed.score.map(Double.init))
        }
        return results.map { $0! }
    }

    /// The model, which must be the one the session was made with.
    private func predictor(for opened: OpenedSession, needing objects: [Session.Object]) throws -> Predictor {
        if predictor == nil {
            do {
                predictor = try Predictor(model: try modelOptions.loadModel())
            } catch let error as UsageError {
                let names = objects.prefix(3).map(\.displayName).joined(separator: ", ")
                let why = replay ? "--replay needs the model"
                    : "\(names) \(objects.count == 1 ? "has" : "have") no saved mask and need the model"
                throw UsageError("\(opened.store.path): \(why); \(error)")
            }
        }
        let predictor = predictor!
        guard predictor.model.name == opened.session.model else {
            throw SessionError.modelMismatch(path: opened.store.path, sessionModel: opened.session.model,
                                             currentModel: predictor.model.name)
        }
        return predictor
    }
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
