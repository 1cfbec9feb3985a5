// A video file's frames, decoded with FFmpeg's libraries (CVideoDecoder) one at a time when
// asked for: reading frame i after i - 1 decodes on; reading behind, or far ahead, seeks to the
// keyframe before i and decodes from there. Frames are numbered from 0 in presentation order.

import CVideoDecoder
import Foundation

public final class VideoFile: FrameSource, @unchecked Sendable {
    /// Names that samterm takes for video files without being told (`edit`, `export`); anything
    /// else FFmpeg reads opens with --video.
    public static let fileExtensions: Set<String> = ["mp4", "mkv", "mov", "avi", "webm", "m4v", "mpg", "mpeg", "ts"]

    /// Whether `path` ends in one of fileExtensions.
    public static func hasVideoExtension(_ path: String) -> Bool {
        fileExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    public let path: String
    public let width: Int
    public let height: Int
    public let frameCount: Int
    /// Frames per second, 0 when the file does not say.
    public let frameRate: Double
    /// True when the container did not give the frame count and it was counted by demuxing.
    public let frameCountWasCounted: Bool

    /// Work the decoder has done, for tests and benchmarks.
    public struct Statistics: Equatable, Sendable {
        public var framesDecoded: Int
        public var seeks: Int
        public var reopens: Int
        public var indexBuilt: Bool
    }

    // The decoder is not safe for concurrent use: every call goes through the lock.
    private let lock = NSLock()
    private let decoder: OpaquePointer

    public init(path: String, maxPixels: Int = 100_000_000) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard let decoder = video_decoder_open(path, Int64(maxPixels), &message, message.count) else {
            throw FrameSourceError(path: path, reason: Self.reason(message, path: path))
        }
        var info = video_decoder_info()
        video_decoder_get_info(decoder, &info)
        self.decoder = decoder
        self.path = path
        width = Int(info.width)
        height = Int(info.height)
        frameCount = Int(info.frame_count)
        frameRate = info.frame_rate
        frameCountWasCounted = info.frame_count_was_counted != 0
    }

    deinit { video_decoder_close(decoder) }

    public func name(of index: Int) -> String { "\((path as NSString).lastPathComponent) frame \(index)" }

    public var contentIdentity: String? { "video\n" + EmbeddingCache.fileStamp(path: path) }

    public func frame(at index: Int) throws -> RGBImage {
        let byteCount = width * height * 3
        var message = [CChar](repeating: 0, count: 512)
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            status = lock.withLock {
                video_decoder_read_rgb(decoder, Int64(index), buffer.baseAddress, byteCount, &message, message.count)
            }
            if status != 0 { buffer.initialize(repeating: 0) }
            initialized = byteCount
        }
        guard status == 0 else { throw FrameSourceError(path: path, reason: Self.reason(message, path: path)) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    public var statistics: Statistics {
        var raw = video_decoder_statistics()
        lock.withLock { video_decoder_get_statistics(decoder, &raw) }
        return Statistics(framesDecoded: Int(raw.frames_decoded), seeks: Int(raw.seeks), reopens: Int(raw.reopens),
                          indexBuilt: raw.index_built != 0)
    }

    /// The decoder's message without the "PATH: " it starts with (FrameSourceError adds it).
    private static func reason(_ message: [CChar], path: String) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        let prefix = path + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }
}
