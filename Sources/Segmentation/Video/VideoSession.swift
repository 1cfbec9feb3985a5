// The editor's work on a video, saved beside it (CLIP.samterm-video.json): the objects, every
// prompt and propagation in the order they were made, and every frame's masks as they were shown.
// The operations are what the tracker's memory is rebuilt from (its state depends on the order:
// a correction after a propagation is not the same prompt before it); the masks are what
// reopening shows, without propagating again.
import Foundation

/// One thing the user asked the tracker for.
public enum VideoOperation: Codable, Equatable, Sendable {
    /// The object's prompt on the frame, replacing its earlier one there (`add_new_points_or_box`
    /// with clear_old_points).
    case prompt(frame: Int, object: Int, points: [PromptPoint], box: PromptBox?)
    /// Propagation from `from` (`propagate_in_video`); `maxFrames` after it, nil: to the end.
    case propagate(from: Int, reverse: Bool, maxFrames: Int?)
}

public struct VideoSession: Codable, Equatable, Sendable {
    public static let currentVersion = 1

    public struct Object: Codable, Equatable, Sendable {
        public var id: Int
        public var name: String?
        public var color: RGBColor

        public init(id: Int, name: String?, color: RGBColor) {
            self.id = id
            self.name = name
            self.color = color
        }
    }

    /// An object's mask on a frame at the video's size (COCO compressed RLE), the tracker's
    /// object score logit, and whether a later prompt made it out of date.
    public struct FrameMask: Codable, Equatable, Sendable {
        public var frame: Int
        public var object: Int
        public var counts: String
        public var score: Float
        public var stale: Bool

        public init(frame: Int, object: Int, counts: String, score: Float, stale: Bool) {
            self.frame = frame
            self.object = object
            self.counts = counts
            self.score = score
            self.stale = stale
        }
    }

    public var version = Self.currentVersion
    /// The video file or frames folder, as given.
    public var source: String
    public var frames: Int
    public var width: Int
    public var height: Int
    public var model: String
    public var objects: [Object]
    public var operations: [VideoOperation]
    public var masks: [FrameMask]

    public init(source: String, frames: Int, width: Int, height: Int, model: String, objects: [Object] = [],
                operations: [VideoOperation] = [], masks: [FrameMask] = []) {
        self.source = source
        self.frames = frames
        self.width = width
        self.height = height
        self.model = model
        self.objects = objects
        self.operations = operations
        self.masks = masks
    }

    /// What path(forSource:) adds to the source's path.
    public static let fileSuffix = ".samterm-video.json"

    /// Where the session of a video file or frames folder lives.
    public static func path(forSource source: String) -> String {
        var trimmed = source
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed + fileSuffix
    }

    /// The session at `path`, nil when there is none. A file that is not a session of this
    /// video (its frame count or size differ), or of a newer format, is refused by name.
    public static func load(path: String, frames: Int, width: Int, height: Int) throws -> VideoSession? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FrameSourceError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        let session: VideoSession
        do {
            session = try JSONDecoder().decode(VideoSession.self, from: data)
        } catch {
            throw FrameSourceError(path: path, reason: "not a samterm video session (\(error))")
        }
        guard session.version <= currentVersion else {
            throw FrameSourceError(path: path, reason: "a session of a newer samterm (version \(session.version))")
        }
        guard session.frames == frames, session.width == width, session.height == height else {
            throw FrameSourceError(path: path, reason: "the session is of \(session.frames) frames of \(session.width)x\(session.height); "
                                   + "the video has \(frames) of \(width)x\(height)")
        }
        for mask in session.masks where !(0..<frames).contains(mask.frame) {
            throw FrameSourceError(path: path, reason: "a mask of frame \(mask.frame), outside the video's \(frames) frames")
        }
        return session
    }

    /// Writes the session atomically (the previous file stays whole until the new one is).
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFileWriter.write(try encoder.encode(self), to: path)
    }
}
