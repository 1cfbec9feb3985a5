// The worker's decoded images: each image file is decoded once while it stays in use.
import Segmentation

/// Decoded images by their index in the editor's list, with their content keys. Two at most:
/// the one on screen and the next; the one used least recently goes.
struct DecodedImages {
    private struct Entry {
        var image: RGBImage
        var key: String
        var used: Int
    }

    static let capacity = 2

    private let load: PredictorWorker.ImageSource
    private var entries: [Int: Entry] = [:]
    private var useCounter = 0

    init(load: @escaping PredictorWorker.ImageSource) {
        self.load = load
    }

    /// Image `index`'s pixels and content key, read from `path` unless they are kept.
    mutating func image(index: Int, path: String) throws -> (image: RGBImage, key: String) {
        useCounter += 1
        if let entry = entries[index] {
            entries[index]?.used = useCounter
            return (entry.image, entry.key)
        }
        let loaded = try load(path)
        entries[index] = Entry(image: loaded.image, key: loaded.contentKey, used: useCounter)
        while entries.count > Self.capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries.removeValue(forKey: oldest)
        }
        return (loaded.image, loaded.contentKey)
    }

    /// Image `index`'s pixels if they are kept.
    func kept(_ index: Int) -> RGBImage? {
        entries[index]?.image
    }
}
