import ArgumentParser
import Foundation
import Segmentation

/// `samterm index`: every object of the images' sessions into an object index (SQLite), with its
/// embedding, for `samterm similar` and the editor's `S`.
struct IndexObjects: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Put the objects of images' sessions into an index for `samterm similar`.",
        discussion: """
            INPUTS as for `samterm export`: images with sessions, folders, session files, @LIST files. \
            The index is --db, or FOLDER/\(ObjectIndex.fileName) when INPUTS is one folder.

            Each object is stored with its class, name, box, area, score, mask (COCO RLE) and \
            embedding (the image embedding averaged over its mask), made by the model the session \
            was made with (--checkpoint). Encodings come from the editor's cache when it has them. \
            Incremental: an image whose session is unchanged is skipped, a changed one replaced, one \
            whose session or file is gone taken out. Each image is one transaction: a killed run \
            leaves a consistent index, and running again completes it.
            """)

    @Argument(help: ArgumentHelp("Images with sessions, folders, session files or @LIST files.", valueName: "inputs"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("The index file (default: FOLDER/\(ObjectIndex.fileName) for one folder).", valueName: "file"))
    var db: String?

    @Option(help: ArgumentHelp("Folder holding sessions, when they are not beside their images.", valueName: "dir"))
    var sessionDir: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("<inputs>: give at least one image, folder or session to index.") }
        var isFolder: ObjCBool = false
        if let sessionDir, !FileManager.default.fileExists(atPath: sessionDir, isDirectory: &isFolder) || !isFolder.boolValue {
            throw ValidationError("--session-dir \(sessionDir): no such folder")
        }
    }

    func run() throws {
        let path = try Self.indexPath(db: db, inputs: inputs)
        let stores = try ExportInputs(sessionDir: sessionDir).stores(for: inputs)
        let index = try ObjectIndex(path: path, create: true)
        let indexer = ObjectIndexer(index: index, modelOptions: modelOptions)
        var failures = 0
        var counts = (indexed: 0, objects: 0, unchanged: 0, removed: 0)
        for image in stores.withoutSession where try index.image(at: image) != nil {
            try index.remove(imagePath: image)
            counts.removed += 1
        }
        for (position, store) in stores.sessions.enumerated() {
            let tag = "[\(position + 1)/\(stores.sessions.count)] \(store.path)"
            do {
                switch try indexer.index(store) {
                case .unchanged: counts.unchanged += 1
                case .indexed(let objects):
                    counts.indexed += 1
                    counts.objects += objects
                    FileHandle.standardError.write(Data("\(tag): \(objects) object\(objects == 1 ? "" : "s")\n".utf8))
                }
            } catch let error as UsageError {
                throw error
            } catch {
                FileHandle.standardError.write(Data("\(tag): \(error)\n".utf8))
                failures += 1
            }
        }
        for image in try index.imagePaths() where !FileManager.default.fileExists(atPath: image) {
            try index.remove(imagePath: image)
            counts.removed += 1
        }
        print("\(path): \(counts.indexed) image\(counts.indexed == 1 ? "" : "s") indexed "
              + "(\(counts.objects) object\(counts.objects == 1 ? "" : "s")), "
              + "\(counts.unchanged) unchanged, \(counts.removed) removed; \(try index.objectCount) objects in all")
        if failures > 0 { throw ExitCode.failure }
    }

    /// --db, or the index file of the one folder given.
    static func indexPath(db: String?, inputs: [String]) throws -> String {
        if let db { return db }
        var isFolder: ObjCBool = false
        guard inputs.count == 1, FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isFolder), isFolder.boolValue else {
            throw UsageError("--db: give the index file (only one folder as INPUTS has a default, FOLDER/\(ObjectIndex.fileName))")
        }
        return (inputs[0] as NSString).appendingPathComponent(ObjectIndex.fileName)
    }
}

/// One image's session into the index: its masks (saved, or replayed), the image's encoding
/// (from the editor's cache, else computed and cached), each object's embedding.
final class ObjectIndexer {
    enum Outcome { case unchanged, indexed(objects: Int) }

    private let index: ObjectIndex
    private let modelOptions: ModelOptions
    private var loaded: (predictor: Predictor, encodings: CachedEncodings)?
    private var checkedName: String?

    init(index: ObjectIndex, modelOptions: ModelOptions) {
        self.index = index
        self.modelOptions = modelOptions
    }

    func index(_ store: SessionStore) throws -> Outcome {
        let sessionHash = try SHA256.hexDigest(ofFileAt: store.path)
        guard let session = try store.load() else { throw ExportFailure("\(store.path): no session") }
        let imagePath = store.resolvedImagePath(of: session)
        // A session of no model (imported) is unchanged only if this run's model embedded it:
        // another model's rows are replaced, as `similar`'s refusal tells the user to do.
        if let indexed = try index.image(at: imagePath), indexed.sessionSHA256 == sessionHash,
           try indexed.model == (session.model.isEmpty ? modelName() : session.model) {
            return .unchanged
        }
        guard let opened = try OpenedSession.open(store, loaded: session) else { throw ExportFailure("\(store.path): no session") }
        let (predictor, encodings) = try prepared()
        guard session.isModelIndependent || predictor.model.name == session.model else {
            throw SessionError.modelMismatch(path: store.path, sessionModel: session.model, currentModel: predictor.model.name)
        }
        try encodings.setImage(opened.image, sha256: session.image.sha256, on: predictor)
        let masks = try SessionMasks.masks(of: opened, replay: false) { _ in predictor }
        var objects: [ObjectIndex.Object] = []
        for (object, mask) in zip(opened.objects, masks) {
            guard let box = mask.mask.boundingBox else {
                warn("\(store.path): \(object.displayName) has an empty mask; not indexed")
                continue
            }
            objects.append(ObjectIndex.Object(
                number: object.id, className: object.category, name: object.name, box: box, area: mask.mask.area,
                score: mask.score ?? object.confidence, counts: RLE(mask: mask.mask).compressedString,
                embedding: try predictor.objectEmbedding(of: mask.mask)))
        }
        try index.replace(ObjectIndex.Image(path: imagePath, sha256: session.image.sha256, width: opened.image.width,
                                            height: opened.image.height, model: predictor.model.name,
                                            sessionSHA256: sessionHash),
                          objects: objects)
        return .indexed(objects: objects.count)
    }

    /// The model this run embeds with: the loaded one's name, else the preset the checkpoint's
    /// tensors name (read without loading the weights, so an unchanged library loads nothing).
    private func modelName() throws -> String {
        if let loaded { return loaded.predictor.model.name }
        if let checkedName { return checkedName }
        let detected = modelOptions.model == nil ? try? Checkpoint(path: modelOptions.checkpointPath()).modelName : nil
        let name = try detected.flatMap { $0 == "unknown" ? nil : $0 } ?? prepared().0.model.name
        checkedName = name
        return name
    }

    private func prepared() throws -> (Predictor, CachedEncodings) {
        if let loaded { return loaded }
        let model = try modelOptions.loadModel()
        let encodings = CachedEncodings(modelKey: EmbeddingCache.modelKey(modelName: model.name,
                                                                          checkpointPath: try modelOptions.checkpointPath()))
        loaded = (try Predictor(model: model), encodings)
        return loaded!
    }
}

/// Images' encodings through the editor's cache: read when there, else computed and written
/// for the editor (and the next run) to find.
struct CachedEncodings {
    let cache = EmbeddingCache(directory: EmbeddingCache.defaultDirectory())
    let modelKey: String

    func setImage(_ image: RGBImage, sha256: String, on predictor: Predictor) throws {
        let path = cache.path(modelKey: modelKey, imageKey: sha256)
        if cache.contains(modelKey: modelKey, imageKey: sha256), (try? predictor.loadEmbedding(path: path, imageKey: sha256)) != nil {
            cache.touch(modelKey: modelKey, imageKey: sha256)
            return
        }
        try predictor.setImage(image)
        if cache.prepareFolder(modelKey: modelKey) { try? predictor.saveEmbedding(path: path, imageKey: sha256) }
    }
}
