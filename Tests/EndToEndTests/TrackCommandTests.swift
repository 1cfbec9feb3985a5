// `samterm track` as a user runs it, on the video parity fixture (Tests/Fixtures/video: the tiny
// SAM 2.1 video model and its 10-frame clip): the masks it writes are the official
// SAM2VideoPredictor's, every format is written, a run killed part way resumes to the same
// files, and mistakes are refused before anything is written.

import Foundation
import Segmentation
import XCTest

final class TrackCommandTests: XCTestCase {
    private static let fixtures = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/video")
    private static let checkpoint = fixtures.appendingPathComponent("tiny_video_sam2.1.pt").path
    private static let frames = fixtures.appendingPathComponent("frames").path
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-track-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder) }
    }

    /// The parity fixture's first steps: object 1 a click on frame 0, object 2 a box on frame 0.
    private func writePrompts() throws -> String {
        let path = folder + "/prompts.json"
        try Data("""
            [{"frame": 0, "object": 1, "points": [[30, 24]], "labels": [1]},
             {"frame": 0, "object": 2, "box": [44, 6, 76, 40]}]
            """.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Frames' features go to the test's own cache, not the user's.
    private var cache: [String: String] { ["XDG_CACHE_HOME": folder + "/cache"] }

    private func trackArguments(out: String, prompts: String) -> [String] {
        ["track", Self.frames, "--checkpoint", Self.checkpoint, "--prompts", prompts, "--out", out,
         "--format", "png,labelmap,coco,mots"]
    }

    /// Every file under `root` (relative path -> bytes), the progress file left out.
    private func files(under root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: root))
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            let path = root + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                  relative != TrackOutputWriter.progressFileName else { continue }
            result[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return result
    }

    func testTheMasksAreTheReferencesAndAKilledRunResumesToTheSameFiles() throws {
        let prompts = try writePrompts()
        let whole = folder + "/whole"
        let run = try SamtermRun.run(trackArguments(out: whole, prompts: prompts), environment: cache)
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("Tracked 2 objects through 10 frames"), run.output)

        // The reference's masks after its propagation from frame 0 are the fixture's events e02...e11.
        for frame in 0..<10 {
            let expected = try NumpyArray.read(path: Self.fixtures.appendingPathComponent(String(format: "e%02d_video.npy", frame + 2)).path)
            let bits = try XCTUnwrap(expected.bytes)
            let pixels = 80 * 60
            for (n, object) in [1, 2].enumerated() {
                let png = try RGBImage.load(path: "\(whole)/\(object)/\(frame).png")
                var differing = 0
                for p in 0..<pixels where bits[n * pixels + p] & 2 == 0 && (png.pixels[p * 3] != 0) != (bits[n * pixels + p] & 1 != 0) {
                    differing += 1
                }
                XCTAssertEqual(differing, 0, "object \(object) frame \(frame): decided pixels unlike the reference's")
            }
        }
        let coco = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: whole + "/annotations.json"))) as? [String: Any])
        XCTAssertEqual((coco["images"] as? [Any])?.count, 10)
        let tracks = (coco["annotations"] as? [[String: Any]] ?? []).compactMap { $0["track_id"] as? Int }
        XCTAssertEqual(Set(tracks), [1, 2])
        let mots = try String(contentsOfFile: whole + "/mots.txt", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(Set(mots.map { $0.split(separator: " ")[1] }), ["1001", "1002"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: whole + "/labelmap").count, 10)

        // Killed after a few frames, then run again.
        let resumed = folder + "/resumed"
        let process = Process()
        process.executableURL = EditorEndToEndTests.binary
        process.arguments = trackArguments(out: resumed, prompts: prompts)
        process.environment = ProcessInfo.processInfo.environment.merging(cache) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let stateFolder = resumed + "/" + TrackOutputWriter.stateFolderName
        let deadline = Date().addingTimeInterval(300)
        while (try? FileManager.default.contentsOfDirectory(atPath: stateFolder).filter { $0.hasSuffix(".json") }.count) ?? 0 < 3,
              process.isRunning, Date() < deadline {
            usleep(20_000)
        }
        XCTAssertTrue(process.isRunning, "the run ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let written = try FileManager.default.contentsOfDirectory(atPath: stateFolder).filter { $0.hasSuffix(".json") }.count
        XCTAssertLessThan(written, 10, "killed part way")

        let again = try SamtermRun.run(trackArguments(out: resumed, prompts: prompts), environment: cache)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.errors.contains("resuming: \(written) frames were written by an earlier run"), again.errors)
        XCTAssertTrue(again.output.contains("wrote \(10 - written) frames"), again.output)
        let expected = try files(under: whole), got = try files(under: resumed)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (name, bytes) in expected where got[name] != bytes { XCTFail("\(name) differs from the uninterrupted run's") }
    }

    func testMistakesAreRefusedByNameBeforeAnythingIsWritten() throws {
        let out = folder + "/out"
        let base = ["track", Self.frames, "--checkpoint", Self.checkpoint, "--out", out]
        let usage: [([String], String)] = [
            (["--frame", "0", "--point", "300,24"], "Error: --frame 0: point 1 (300, 24) is off the 80x60 frame"),
            (["--frame", "12", "--point", "3,3"], "Error: --frame 12: frame 12 is past the last frame"),
            (["--frame", "0", "--point", "3,3", "--range", "2:"], "Error: --frame 0: frame 0 is not among the selected frames"),
            (["--frame", "0", "--point", "3,3", "--format", "png,gif"], "Error: --format: unknown format 'gif'"),
            (["--frame", "0", "--point", "3,3", "--range", "5:2"], "Error: --range 5:2:"),
            (["--frame", "0", "--point", "3,3", "--prompts", "p.json"], "Error: --prompts and --frame/--point/--box"),
            (["--point", "3,3"], "Error: --point/--box need --frame F"),
        ]
        for (extra, message) in usage {
            let run = try SamtermRun.run(base + extra)
            XCTAssertEqual(run.status, 2, "\(extra): \(run.errors)")
            XCTAssertTrue(run.errors.split(separator: "\n").contains { $0.hasPrefix(message) }, "\(extra): \(run.errors)")
        }
        let prompts = folder + "/prompts.json"
        try Data(#"[{"frame": 0, "object": 1, "points": [[3, 3]], "labels": [1]}, {"frame": 1, "object": 0, "box": [1, 1, 5, 5]}]"#.utf8)
            .write(to: URL(fileURLWithPath: prompts))
        let badEntry = try SamtermRun.run(base + ["--prompts", prompts])
        XCTAssertEqual(badEntry.status, 1, badEntry.errors)
        XCTAssertTrue(badEntry.errors.contains("Error: \(prompts), entry 2:"), badEntry.errors)

        let sam1 = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/sam1/tiny_sam1.pth").path
        let wrongModel = try SamtermRun.run(["track", Self.frames, "--checkpoint", sam1, "--out", out, "--frame", "0", "--point", "3,3"])
        XCTAssertEqual(wrongModel.status, 1, wrongModel.errors)
        XCTAssertTrue(wrongModel.errors.contains("Error: video tracking needs a SAM 2 model; sam_test_tiny is SAM 1"), wrongModel.errors)

        // The image fixtures' SAM 2.1 model has memory modules too small to run (see make_video_fixtures.py).
        let imageModel = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/sam2/tiny_sam2.1.pt").path
        let noMemory = try SamtermRun.run(["track", Self.frames, "--checkpoint", imageModel, "--out", out, "--frame", "0", "--point", "3,3"])
        XCTAssertEqual(noMemory.status, 1, noMemory.errors)
        XCTAssertTrue(noMemory.errors.contains("Error: \(imageModel): checkpoint does not match the sam2.1_test_tiny (video modules) preset"),
                      noMemory.errors)

        let damaged = folder + "/clip.mp4"
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: damaged))
        let notVideo = try SamtermRun.run(["track", damaged, "--checkpoint", Self.checkpoint, "--out", out, "--frame", "0", "--point", "3,3"])
        XCTAssertEqual(notVideo.status, 1, notVideo.errors)
        XCTAssertTrue(notVideo.errors.hasPrefix("Error: \(damaged): not a video FFmpeg can read"), notVideo.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "an output folder was made for a refused run")
    }
}
