// `samterm export` of a video edited in samterm: its session's masks written as `track` writes.
import ArgumentParser
import Foundation
import Segmentation

extension Export {
    /// The video file or frames folder when the input is a video (a video file, a folder with
    /// --video, or a video session file); nil for images.
    func videoSource() throws -> String? {
        guard let first = inputs.first else { return nil }
        let source: String
        if first.hasSuffix(VideoSession.fileSuffix) {
            source = String(first.dropLast(VideoSession.fileSuffix.count))
        } else if video || VideoFile.hasVideoExtension(first) {
            source = first
        } else {
            return nil
        }
        guard inputs.count == 1 else {
            throw ValidationError("\(first): a video is exported alone (got \(inputs.count) inputs)")
        }
        return source
    }

    /// --format for a video; png as `track` writes by default.
    var videoFormats: String { format ?? "png" }

    func validateVideo(_ source: String) throws {
        do { _ = try TrackOutputFormat.parseList(videoFormats) } catch { throw ValidationError("\(error)") }
        if out == nil { throw ValidationError("\(inputs[0]): a video's masks go into a folder: give --out DIR") }
        let imageOnly: [(Bool, String)] = [(replay, "--replay"), (sessionDir != nil, "--session-dir"), (classes != nil, "--classes"),
                                           (polygons, "--polygons"), (copyImages, "--copy-images"),
                                           (vocVoidBorder != 0, "--voc-void-border"), (polygonTolerance != nil, "--polygon-tolerance")]
        for (given, name) in imageOnly where given {
            throw ValidationError("\(name) applies to images, not to a video (\(inputs[0]))")
        }
        if force {
            throw ValidationError("--force: a video's export never replaces another's files; give a new --out folder")
        }
    }

    func exportVideo(_ source: String) throws {
        let formats: [TrackOutputFormat]
        do { formats = try TrackOutputFormat.parseList(videoFormats) } catch { throw UsageError("\(error)") }
        guard FileManager.default.fileExists(atPath: source) else {
            throw ExportFailure("\(source): no such video file or frames folder (the session's frames)")
        }
        let frames = try openFrameSource(path: source)
        let path = VideoSession.path(forSource: source)
        guard let session = try VideoSession.load(path: path, frames: frames.frameCount, width: frames.width,
                                                  height: frames.height) else {
            throw ExportFailure("\(path): no video session; track the video in `samterm edit \(source)` first")
        }
        guard !session.masks.isEmpty else { throw ExportFailure("\(path): no frame has a mask yet; nothing to export") }
        let writer = try TrackOutputWriter(folder: out!, video: TrackVideoInfo(frames),
                                           options: TrackOutputOptions(formats: formats,
                                                                       run: VideoSessionExport.fingerprint(session)))
        let summary = try VideoSessionExport.write(session, path: path, to: writer)
        if summary.staleFrames > 0 {
            warn("\(path): \(summary.staleFrames) frame\(summary.staleFrames == 1 ? "'s masks were" : "s' masks were") made before "
                 + "a correction of an earlier frame and not tracked again (exported as they are; press t in the editor to track again)")
        }
        print("Wrote \(summary.frames) frame\(summary.frames == 1 ? "" : "s") of \(session.objects.count) object"
              + "\(session.objects.count == 1 ? "" : "s") (\(formats.map(\.rawValue).joined(separator: ", "))) to \(out!)")
    }
}
