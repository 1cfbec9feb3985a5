// A video session's masks exported (`samterm export CLIP`) are the files `samterm track` writes
// for the same frames: byte for byte what TrackOutputWriter makes of the equivalent frames (whose
// formats TrackOutputWriterTests reads back with their consumers), objects in the session's order.

import Foundation
import Segmentation
import XCTest

final class VideoSessionExportTests: XCTestCase {
    private typealias Support = ExportTestSupport
    private let width = 24, height = 16

    /// Objects 5 and 2 (listed in that order), masks on frames 1...4 of 6; object 2 has none on
    /// frame 1 and is stale on frames 3 and 4.
    private func session() -> (VideoSession, [TrackedFrame]) {
        var generator = SplitMix64(seed: 12)
        var session = VideoSession(source: "clip.mp4", frames: 6, width: width, height: height, model: "sam2.1_hiera_tiny",
                                   objects: [.init(id: 5, name: nil, color: RGBColor(red: 1, green: 2, blue: 3)),
                                             .init(id: 2, name: "dog", color: RGBColor(red: 4, green: 5, blue: 6))])
        var frames: [TrackedFrame] = []
        for frame in 1...4 {
            var objects: [TrackedObject] = []
            for id in frame == 1 ? [5] : [5, 2] {
                let mask = Support.blobMask(width: width, height: height, shapes: 2, generator: &generator)
                let score = Float.random(in: -3...3, using: &generator)
                objects.append(TrackedObject(id: id, mask: mask, score: score))
                session.masks.append(.init(frame: frame, object: id, counts: RLE(mask: mask).compressedString, score: score,
                                           stale: id == 2 && frame >= 3))
            }
            frames.append(TrackedFrame(index: frame, objects: objects))
        }
        session.masks.reverse()  // the order saved does not matter
        return (session, frames)
    }

    private var video: TrackVideoInfo { TrackVideoInfo(width: width, height: height, frameCount: 6) { "clip.mp4 frame \($0)" } }

    private func files(under root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: root))
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            let path = root + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            result[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return result
    }

    func testTheFilesAreThoseTrackWritesForTheSameFrames() throws {
        let root = try Support.makeScratchFolder(self)
        let (session, frames) = session()
        let formats = TrackOutputFormat.allCases
        let run = VideoSessionExport.fingerprint(session)

        let exported = try TrackOutputWriter(folder: root + "/exported", video: video, options: TrackOutputOptions(formats: formats, run: run))
        let summary = try VideoSessionExport.write(session, path: "clip.mp4.samterm-video.json", to: exported)
        XCTAssertEqual(summary, VideoSessionExport.Summary(frames: 4, staleFrames: 2))

        let tracked = try TrackOutputWriter(folder: root + "/tracked", video: video, options: TrackOutputOptions(formats: formats, run: run))
        for frame in frames { try tracked.write(frame) }
        try tracked.finish()

        let expected = try files(under: root + "/tracked"), got = try files(under: root + "/exported")
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        XCTAssertTrue(got.keys.contains("5/4.png") && got.keys.contains("labelmap/1.png") && !got.keys.contains("2/1.png"),
                      got.keys.sorted().joined(separator: " "))
        for (name, bytes) in expected where got[name] != bytes { XCTFail("\(name) differs from track's") }
    }

    func testAnotherSessionsExportAndABadMaskAreRefusedByName() throws {
        let root = try Support.makeScratchFolder(self)
        var (session, _) = session()
        let options = TrackOutputOptions(formats: [.png, .coco], run: VideoSessionExport.fingerprint(session))
        _ = try VideoSessionExport.write(session, path: "s.json", to: try TrackOutputWriter(folder: root, video: video, options: options))
        // The same masks again: the files are written again, the same.
        _ = try VideoSessionExport.write(session, path: "s.json", to: try TrackOutputWriter(folder: root, video: video, options: options))

        session.masks[0].score += 1
        let changed = TrackOutputOptions(formats: [.png, .coco], run: VideoSessionExport.fingerprint(session))
        XCTAssertThrowsError(try TrackOutputWriter(folder: root, video: video, options: changed)) { error in
            XCTAssertTrue("\(error)".contains("the folder holds another run"), "\(error)")
        }

        session.masks[0].counts = "not RLE!"
        let writer = try TrackOutputWriter(folder: root + "/bad", video: video,
                                           options: TrackOutputOptions(formats: [.png], run: VideoSessionExport.fingerprint(session)))
        XCTAssertThrowsError(try VideoSessionExport.write(session, path: "s.json", to: writer)) { error in
            XCTAssertTrue("\(error)".hasPrefix("s.json: frame 4, object 2: the mask cannot be read"), "\(error)")
        }
        XCTAssertEqual(try files(under: root + "/bad").keys.filter { $0.hasSuffix(".png") }, [], "nothing written before the check")
    }
}
