// The real engine, image files and exporter behind the editor.
import Foundation
import Segmentation

extension PredictorWorker.Dependencies {
    /// Segmentation's model on the checkpoint, images read from disk (keyed by the SHA-256 of
    /// their bytes), exports through Segmentation's Exporter, the XDG embedding cache.
    public static func live(_ configuration: EditorConfiguration,
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        let checkpoint = configuration.checkpointPath, device = configuration.device
        let preset = configuration.modelName, threads = configuration.threads, formats = configuration.exportFormats
        let cache = configuration.useEmbeddingCache
            ? EmbeddingCache(directory: configuration.cacheDirectory ?? EmbeddingCache.defaultDirectory(environment: environment))
            : nil
        return Self(
            loadEngine: { try SegmentationEngine(checkpointPath: checkpoint, modelName: preset, device: device, threads: threads) },
            loadImage: { path in (try RGBImage.load(path: path), try SHA256.hexDigest(ofFileAt: path)) },
            export: { job in
                // The editor exports again after every refinement: replacing earlier files is the point.
                try Exporter(image: job.image, imagePath: job.imagePath, objects: job.objects, model: job.model)
                    .write(formats: formats, to: job.folder, force: true)
            },
            cache: cache,
            modelKey: { engine in EmbeddingCache.modelKey(modelName: engine.modelName, checkpointPath: checkpoint) },
            clock: { ProcessInfo.processInfo.systemUptime })
    }
}

extension EditorApp {
    /// Runs the editor with the real engine.
    public static func run(_ configuration: EditorConfiguration) throws -> Int32 {
        try run(configuration, dependencies: .live(configuration))
    }
}
