// The frames of a video, however they are stored: a folder of JPEG/PNG files (FrameFolder) or
// a video file decoded with FFmpeg (VideoFile). Frames are numbered from 0 in playing order and
// read one at a time, when asked for.

import Foundation

public protocol FrameSource: Sendable {
    var frameCount: Int { get }
    /// Every frame's size: a source whose frames differ in size is refused when one is read.
    var width: Int { get }
    var height: Int { get }
    /// Frame `index` (0 ..< frameCount) as RGB.
    func frame(at index: Int) throws -> RGBImage
    /// How messages and exports name frame `index`: a folder's file name ("00042.jpg"), or the
    /// video's name and the frame number ("clip.mp4 frame 42").
    func name(of index: Int) -> String
    /// What identifies the frames' content for caches (the files' paths, sizes and modification
    /// times); nil: none, nothing is cached for them.
    var contentIdentity: String? { get }
}

extension FrameSource {
    public var contentIdentity: String? { nil }
}

/// Why frames cannot be read; the description names the file or folder first, as ImageError
/// does: "frames/0007.jpg: the frame is 640x480; the first frame (0000.jpg) is 1280x720".
public struct FrameSourceError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The folder, frame file or video concerned.
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Opens `path` as frames: a folder as a FrameFolder, anything else as a VideoFile.
public func openFrameSource(path: String) throws -> any FrameSource {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        return try FrameFolder(path: path)
    }
    return try VideoFile(path: path)
}
