// The real engine, image files and exporter behind the editor.
import Foundation
import Segmentation

extension PredictorWorker.Dependencies {
    /// Segmentation's model on the checkpoint, images read from disk (keyed by the SHA-256 of
    /// their bytes), exports through Segmentation's Exporter, the XDG embedding cache.
    public static func live(_ configuration: EditorConfiguration,
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        let checkpoint = configuration.checkpointPath, device = configuration.device
        let preset = configuration.modelName, threads = configuration.threads
        let kernels = configuration.kernels, precision = configuration.precision
        let sessionDirectory = configuration.sessionDirectory, indexPath = configuration.indexPath
        let cache = configuration.useEmbeddingCache
            ? EmbeddingCache(directory: configuration.cacheDirectory ?? EmbeddingCache.defaultDirectory(environment: environment))
            : nil
        var dependencies = Self(
            loadEngine: { try SegmentationEngine(checkpointPath: checkpoint, modelName: preset, device: device, threads: threads,
                                                     kernels: kernels, precision: precision) },
            loadImage: { path in (try RGBImage.load(path: path), try SHA256.hexDigest(ofFileAt: path)) },
            export: { job in
                try Exporter(image: job.image, imagePath: job.imagePath, objects: job.objects, model: job.model,
                             noOverlaps: job.noOverlaps)
                    .write(formats: job.formats, to: job.folder, force: job.overwrite)
            },
            cache: cache,
            modelKey: { engine in EmbeddingCache.modelKey(modelName: engine.modelName, checkpointPath: checkpoint) },
            clock: { ProcessInfo.processInfo.systemUptime },
            loadSession: { imagePath, sha256, model in
                SessionOutcome.load(SessionStore(imagePath: imagePath, folder: sessionDirectory), sha256: sha256, model: model)
            },
            similarObjects: { embedding, model, imagePath, top in
                try SimilarObjectsSearch.run(embedding: embedding, model: model, imagePath: imagePath, top: top, indexPath: indexPath)
            })
        if let frames = configuration.video?.frames {
            // A video's frames are named SOURCE#INDEX (VideoInput.frameNames) and read from it.
            dependencies.frames = frames
            dependencies.loadImage = { name in
                guard let hash = name.lastIndex(of: "#"), let index = Int(name[name.index(after: hash)...]) else {
                    throw EditorError("\(name): not a frame of the video")
                }
                return (try frames.frame(at: index), name)
            }
        }
        return dependencies
    }
}

/// `S`: the index's objects of other images most like an object of this one.
enum SimilarObjectsSearch {
    static func run(embedding: [Float], model: String, imagePath: String, top: Int,
                    indexPath: String?) throws -> (matches: [SimilarObject], note: String?) {
        guard let path = indexPath ?? ObjectIndex.locate(near: imagePath) else {
            throw EditorError("no \(ObjectIndex.fileName) in the image's folder or above: run `samterm index` on the folder (or give edit --db)")
        }
        let index = try ObjectIndex(path: path, create: false)
        let ranking = try index.similar(to: embedding, model: model, top: top, excludingImage: imagePath)
        let others = ranking.otherModels.values.reduce(0, +)
        let note = others > 0 ? "\(others) objects of other models left out" : nil
        let matches = ranking.matches.map {
            SimilarObject(imagePath: SessionStore.absolutePath($0.imagePath), objectID: $0.number, className: $0.className,
                          name: $0.name, similarity: $0.similarity)
        }
        return (matches, note)
    }
}

extension SessionOutcome {
    /// Reads the session of an image, checked against its content and the model; its record of
    /// exports comes back as absolute paths.
    public static func load(_ store: SessionStore, sha256: String, model: String) -> SessionOutcome {
        do {
            guard var session = try store.load(imageSHA256: sha256, model: model) else { return .fresh }
            // The editor keeps its record of exports as absolute paths.
            if session.exports != nil { session.exports = store.exportedFiles(of: session) }
            return .found(session)
        } catch let error as SessionError {
            if case .corrupt = error { return .setAside(error.description) }
            return .refused(error.description)
        } catch {
            return .refused("\(store.path): \(error)")
        }
    }
}

extension EditorApp {
    /// Runs the editor with the real engine.
    public static func run(_ configuration: EditorConfiguration) throws -> Int32 {
        try run(configuration, dependencies: .live(configuration))
    }
}
