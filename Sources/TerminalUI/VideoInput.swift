// The video `edit --video` opens: its frames and the work its session holds.
import Segmentation

/// A video to edit: its frames, and the timeline its session holds (or a new one).
public struct VideoInput: Sendable {
    public var frames: any FrameSource
    public var timeline: VideoTimeline

    /// Opens the frames at `source` and its session (VideoSession.path) if there is one.
    public init(source: String) throws {
        frames = try openFrameSource(path: source)
        let path = VideoSession.path(forSource: source)
        if let session = try VideoSession.load(path: path, frames: frames.frameCount, width: frames.width, height: frames.height) {
            do {
                timeline = try VideoTimeline(session: session)
            } catch {
                throw FrameSourceError(path: path, reason: "a mask in it cannot be read (\(error))")
            }
        } else {
            timeline = VideoTimeline(source: source, frameCount: frames.frameCount, width: frames.width, height: frames.height)
        }
    }

    /// The editor's names of the frames: `SOURCE#INDEX`, which the live image loader reads from `frames`.
    public var frameNames: [String] { (0..<frames.frameCount).map { "\(timeline.source)#\($0)" } }
}
