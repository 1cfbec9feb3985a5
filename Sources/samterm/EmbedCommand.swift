import ArgumentParser
import Foundation
import Segmentation

/// `samterm embed`: encodes images ahead of time into the cache the editor reads, so that an
/// annotation session later opens every one of them without waiting for the encoder.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode images into the editor's cache ahead of time.",
        discussion: """
            The cache is $XDG_CACHE_HOME/samterm/embeddings (or ~/.cache/samterm/embeddings), one \
            file per model and image content. Images already in it are skipped, so a killed run \
            resumes where it stopped; --shard spreads a collection over several machines. The \
            editor keeps the cache within $SAMTERM_CACHE_MAX_GB gibibytes (default 2).
            """)

    @OptionGroup var batch: BatchOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let cache = EmbeddingCache(directory: EmbeddingCache.defaultDirectory())
        try batch.run(command: "embed", makeJob: { () throws -> EmbedJob in
            let checkpoint = try modelOptions.checkpointPath()
            let model = try modelOptions.loadModel()
            return try EmbedJob(model: model, cache: cache,
                                modelKey: EmbeddingCache.modelKey(modelName: model.name, checkpointPath: checkpoint))
        }, afterwards: { _ in
            if let warning = Self.budgetWarning(total: cache.totalBytes(), budget: cache.byteBudget) {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
        })
    }

    /// The editor prunes the cache to its budget whenever it encodes an image: embeddings made
    /// ahead beyond it would be lost before they are used, so say so.
    static func budgetWarning(total: Int64, budget: Int64) -> String? {
        guard total > budget else { return nil }
        func gibibytes(_ bytes: Int64) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
        let enough = Int((Double(total) / Double(1 << 30)).rounded(.up)) + 1
        return "warning: the cache holds \(gibibytes(total)), more than the editor keeps (\(gibibytes(budget))): "
            + "it deletes the least recently used files when it next encodes an image. "
            + "Set SAMTERM_CACHE_MAX_GB=\(enough) (for embed and the editor) to keep them all."
    }
}

/// One image into the cache. Complete: the cache file exists, its header names this model and
/// this image's content, and it holds every byte the header announces (the engine writes it
/// to a temporary name and renames it, so a killed run leaves no half file under the real name).
struct EmbedJob: BatchJob {
    let model: Model
    let predictor: Predictor
    let cache: EmbeddingCache
    let modelKey: String

    init(model: Model, cache: EmbeddingCache, modelKey: String) throws {
        self.model = model
        predictor = try Predictor(model: model)
        self.cache = cache
        self.modelKey = modelKey
    }

    func isComplete(_ input: String) throws -> Bool {
        let key = try SHA256.hexDigest(ofFileAt: input)
        return EmbeddingFileHeader.isComplete(path: cache.path(modelKey: modelKey, imageKey: key),
                                              modelName: model.name, imageKey: key)
    }

    func process(_ input: String) throws {
        let key = try SHA256.hexDigest(ofFileAt: input)
        let picture = try RGBImage.load(path: input)
        guard cache.prepareFolder(modelKey: modelKey) else {
            throw FileWriteError(path: "\(cache.directory)/\(modelKey)", reason: .system("cannot create the cache folder"))
        }
        try predictor.setImage(picture)
        try predictor.saveEmbedding(path: cache.path(modelKey: modelKey, imageKey: key), imageKey: key)
    }
}
