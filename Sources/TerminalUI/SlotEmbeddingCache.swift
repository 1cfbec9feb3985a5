// The engine slots' encodings kept on disk, so an image is encoded once across runs.
import Foundation
import Segmentation

/// An `EmbeddingCache` (or none) under the loaded model's key, read into and written from
/// engine slots.
struct SlotEmbeddingCache {
    let cache: EmbeddingCache?
    let modelKey: String

    func contains(imageKey: String) -> Bool {
        cache?.contains(modelKey: modelKey, imageKey: imageKey) ?? false
    }

    /// Loads image `key`'s embedding into `slot`; false on a miss or an unreadable file (which
    /// is then deleted, so it is written again).
    func load(key: String, into slot: Int, engine: PredictionEngine) -> Bool {
        guard let cache, cache.contains(modelKey: modelKey, imageKey: key) else { return false }
        let path = cache.path(modelKey: modelKey, imageKey: key)
        do {
            try engine.loadEmbedding(slot: slot, path: path, key: key)
            cache.touch(modelKey: modelKey, imageKey: key)
            return true
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            return false
        }
    }

    /// Best effort: a cache that cannot be written only costs time later.
    func store(key: String, from slot: Int, engine: PredictionEngine) {
        guard let cache, cache.prepareFolder(modelKey: modelKey) else { return }
        try? engine.saveEmbedding(slot: slot, path: cache.path(modelKey: modelKey, imageKey: key), key: key)
        cache.prune()
    }
}
