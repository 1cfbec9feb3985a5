// A video session's masks (what the editor tracked and corrected) written as `samterm track`
// writes its results: the same files, through the same TrackOutputWriter, so whatever reads a
// tracking run's output reads an edited video's.
import Foundation

public enum VideoSessionExport {
    public struct Summary: Equatable, Sendable {
        /// Frames written (those where any object has a mask).
        public var frames = 0
        /// Of those, frames with a mask made before a correction of an earlier frame and not
        /// tracked again since: written as they are, the caller says so.
        public var staleFrames = 0

        public init(frames: Int = 0, staleFrames: Int = 0) {
            self.frames = frames
            self.staleFrames = staleFrames
        }
    }

    /// What decides the files (TrackOutputOptions.run): a folder holding an export of other
    /// masks, or a tracking run, is refused rather than mixed.
    public static func fingerprint(_ session: VideoSession) -> String {
        var text = "samterm-video-session-export 1\n\(session.frames) \(session.width)x\(session.height) \(session.model)\n"
        for mask in session.masks { text += "\(mask.frame) \(mask.object) \(mask.score) \(mask.counts)\n" }
        return SHA256.hexDigest(of: Data(text.utf8))
    }

    /// Writes every frame of `session` that has masks into `writer`, then its whole-video files.
    /// `path` names the session in errors.
    public static func write(_ session: VideoSession, path: String, to writer: TrackOutputWriter) throws -> Summary {
        let order = Dictionary(session.objects.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let byFrame = Dictionary(grouping: session.masks, by: \.frame)
        try writer.checkObjectIDs(session.objects.map(\.id))
        func decode(_ mask: VideoSession.FrameMask) throws -> BinaryMask {
            do {
                return try RLE(compressed: mask.counts, height: session.height, width: session.width).decode()
            } catch {
                throw TrackOutputError(path: path, reason: "frame \(mask.frame), object \(mask.object): the mask cannot be read (\(error))")
            }
        }
        // Every mask is checked before the first file is written; one frame's are decoded at a time.
        for mask in session.masks { _ = try decode(mask) }
        var summary = Summary()
        for frame in byFrame.keys.sorted() {
            let masks = byFrame[frame]!.sorted { (order[$0.object] ?? .max, $0.object) < (order[$1.object] ?? .max, $1.object) }
            let objects = try masks.map { TrackedObject(id: $0.object, mask: try decode($0), score: $0.score) }
            try writer.write(TrackedFrame(index: frame, objects: objects))
            summary.frames += 1
            if masks.contains(where: \.stale) { summary.staleFrames += 1 }
        }
        try writer.finish()
        return summary
    }
}
