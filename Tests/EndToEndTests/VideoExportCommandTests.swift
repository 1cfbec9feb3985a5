// `samterm export` on a video edited in samterm (its CLIP.samterm-video.json, as the editor
// saves it), as a user runs it: the masks come out as `track` writes them, stale ones with a
// warning; mistakes are refused by name before anything is written.

import Foundation
import Segmentation
import XCTest

final class VideoExportCommandTests: XCTestCase {
    private static let frames = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/video/frames").path
    private var folder = ""
    private var clip: String { folder + "/clip" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-video-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Self.frames, toPath: clip)
    }

    /// Object 1 a box moving right over frames 0...9, object 2 a box on frames 4...9 (stale from 7).
    private func writeSession() throws -> VideoSession {
        var session = VideoSession(source: clip, frames: 10, width: 80, height: 60, model: "sam2.1_test_tiny",
                                   objects: [.init(id: 1, name: nil, color: RGBColor(red: 255, green: 0, blue: 0)),
                                             .init(id: 2, name: nil, color: RGBColor(red: 0, green: 255, blue: 0))])
        for frame in 0..<10 {
            for object in frame < 4 ? [1] : [1, 2] {
                var mask = BinaryMask(width: 80, height: 60)
                let left = object == 1 ? 2 + 3 * frame : 50
                for y in 10..<30 { for x in left..<(left + 12) { mask[x, y] = true } }
                session.masks.append(.init(frame: frame, object: object, counts: RLE(mask: mask).compressedString,
                                           score: Float(frame), stale: object == 2 && frame >= 7))
            }
        }
        try session.save(to: VideoSession.path(forSource: clip))
        return session
    }

    func testTheSessionsMasksComeOutAsTrackWritesThem() throws {
        let session = try writeSession()
        let out = folder + "/out"
        let run = try SamtermRun.run(["export", clip, "--video", "--format", "png,labelmap,coco,mots", "--out", out])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("Wrote 10 frames of 2 objects (png, labelmap, coco, mots) to \(out)"), run.output)
        XCTAssertTrue(run.errors.contains("3 frames' masks were made before a correction of an earlier frame"), run.errors)

        for mask in session.masks {
            let png = try RGBImage.load(path: "\(out)/\(mask.object)/\(mask.frame).png")
            let expected = try RLE(compressed: mask.counts, height: 60, width: 80).decode()
            XCTAssertEqual(png.pixels.enumerated().filter { $0.offset % 3 == 0 }.map { $0.element != 0 },
                           expected.bytes.map { $0 != 0 }, "object \(mask.object) frame \(mask.frame)")
        }
        let coco = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json"))) as? [String: Any])
        XCTAssertEqual((coco["images"] as? [Any])?.count, 10)
        XCTAssertEqual((coco["annotations"] as? [[String: Any]])?.compactMap { $0["track_id"] as? Int }.filter { $0 == 2 }.count, 6)
        let mots = try String(contentsOfFile: out + "/mots.txt", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(mots.count, 16)

        // The session file named instead of the frames: the same export, written again the same.
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json"))
        let again = try SamtermRun.run(["export", VideoSession.path(forSource: clip), "--format", "png,labelmap,coco,mots", "--out", out])
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json")), before)

        // Other masks into that folder: refused, the folder untouched.
        var changed = session
        changed.masks.removeLast()
        try changed.save(to: VideoSession.path(forSource: clip))
        let other = try SamtermRun.run(["export", clip, "--video", "--format", "png,labelmap,coco,mots", "--out", out])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.errors.contains("\(out)/progress.json: the folder holds another run"), other.errors)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/annotations.json")), before)
    }

    func testMistakesAreRefusedByName() throws {
        let out = folder + "/out"
        let missing = try SamtermRun.run(["export", clip, "--video", "--out", out])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.errors.contains("\(clip).samterm-video.json: no video session; track the video in `samterm edit \(clip)` first"),
                      missing.errors)
        _ = try writeSession()
        for (arguments, message) in [
            (["export", clip, "--video"], "\(clip): a video's masks go into a folder: give --out DIR"),
            (["export", clip, "--video", "--out", out, "--format", "cutout"], "unknown format 'cutout' (formats: png, labelmap, coco, mots)"),
            (["export", clip, clip, "--video", "--out", out], "\(clip): a video is exported alone (got 2 inputs)"),
            (["export", clip, "--video", "--out", out, "--force"], "--force: a video's export never replaces another's files"),
            (["export", clip, "--video", "--out", out, "--replay"], "--replay applies to images, not to a video"),
        ] {
            let run = try SamtermRun.run(arguments)
            XCTAssertEqual(run.status, 2, arguments.joined(separator: " "))
            XCTAssertTrue(run.errors.contains(message), run.errors)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
    }
}
