// Encoded images on disk, so that reopening an image skips its encoding.
import Foundation

/// `$XDG_CACHE_HOME/samterm/embeddings/<model key>/<image key>.embedding` (or ~/.cache/...).
/// The model key names the model and identifies its checkpoint file; the image key is the
/// SHA-256 of the image file's bytes. The engine checks both again when reading a file back.
public struct EmbeddingCache: Sendable {
    public let directory: String
    /// Oldest files go once the cache holds more than this.
    public var byteBudget: Int64

    public init(directory: String, byteBudget: Int64 = EmbeddingCache.defaultByteBudget()) {
        self.directory = directory
        self.byteBudget = byteBudget
    }

    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return cache + "/samterm/embeddings"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/samterm/embeddings"
    }

    /// 2 GiB, or $SAMTERM_CACHE_MAX_GB gibibytes (fractions allowed) for whoever encodes a
    /// large collection ahead of time with `samterm embed`.
    public static func defaultByteBudget(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int64 {
        if let text = environment["SAMTERM_CACHE_MAX_GB"], let gibibytes = Double(text), gibibytes > 0,
           gibibytes * Double(1 << 30) < Double(Int64.max) {
            return Int64(gibibytes * Double(1 << 30))
        }
        return 2 << 30
    }

    /// Names the model and which checkpoint file it came from (path, size and modification
    /// time: hashing gigabytes of weights at every start would cost more than it saves).
    public static func modelKey(modelName: String, checkpointPath: String) -> String {
        var hasher = SHA256()
        hasher.update(Array(fileStamp(path: checkpointPath).utf8))
        let safeName = modelName.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "_" }
        return String(safeName) + "-" + hasher.hexDigest().prefix(12)
    }

    /// A file's absolute path, size and modification time: what identifies large files (weights,
    /// videos) cheaply.
    public static func fileStamp(path: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "\(absolute)\n\(size)\n\(modified)\n"
    }

    /// Where a video tracker keeps the features of frames it pushes out of memory, in this
    /// cache (pruned with the images' embeddings): the frames of `frames` from `start` every
    /// `step` (the tracker's frame i is the source's start + i * step). nil when the source
    /// cannot be identified or the folder cannot be made.
    public func videoFeatures(modelKey: String, frames: any FrameSource, start: Int = 0, step: Int = 1) -> VideoTracker.FeatureCache? {
        guard let identity = frames.contentIdentity, prepareFolder(modelKey: modelKey) else { return nil }
        let digest = SHA256.hexDigest(of: Data("\(identity)selection \(start) \(step)\n".utf8))
        return VideoTracker.FeatureCache(folder: "\(directory)/\(modelKey)", key: "video-" + digest.prefix(32),
                                         byteBudget: byteBudget)
    }

    public func path(modelKey: String, imageKey: String) -> String {
        "\(directory)/\(modelKey)/\(imageKey).embedding"
    }

    public func contains(modelKey: String, imageKey: String) -> Bool {
        FileManager.default.fileExists(atPath: path(modelKey: modelKey, imageKey: imageKey))
    }

    /// Makes the folder for a new file; false when it cannot be made (the cache is then skipped).
    public func prepareFolder(modelKey: String) -> Bool {
        (try? FileManager.default.createDirectory(atPath: "\(directory)/\(modelKey)", withIntermediateDirectories: true)) != nil
    }

    /// Marks a file as just used, so pruning keeps it.
    public func touch(modelKey: String, imageKey: String) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path(modelKey: modelKey, imageKey: imageKey))
    }

    /// Deletes the least recently used files until the cache fits its budget.
    public func prune() {
        let files = embeddingFiles()
        var total = files.reduce(Int64(0)) { $0 + $1.size }
        for file in files.sorted(by: { $0.modified < $1.modified }) where total > byteBudget {
            if (try? FileManager.default.removeItem(at: file.url)) != nil { total -= file.size }
        }
    }

    /// Bytes of all embedding files in the cache, every model's.
    public func totalBytes() -> Int64 {
        embeddingFiles().reduce(Int64(0)) { $0 + $1.size }
    }

    private func embeddingFiles() -> [(url: URL, size: Int64, modified: Date)] {
        guard let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: directory),
                                                              includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) else { return [] }
        var files: [(url: URL, size: Int64, modified: Date)] = []
        for case let url as URL in enumerator where url.pathExtension == "embedding" {
            let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
            files.append((url, Int64(values?.fileSize ?? 0), values?.contentModificationDate ?? .distantPast))
        }
        return files
    }
}
