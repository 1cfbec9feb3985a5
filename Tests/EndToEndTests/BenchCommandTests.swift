// `samterm bench` on the tiny fixture model: every figure the docs quote comes out, the
// editor's frame path included, and bad options are usage errors.
import Foundation
import XCTest

final class BenchCommandTests: XCTestCase {
    private static let fixtures = EditorEndToEndTests.fixtures
    private static let image = fixtures.appendingPathComponent("image_wide.png").path
    private static let checkpoint = fixtures.appendingPathComponent("tiny_sam2.1.pt").path

    func testJSONCarriesEveryFigureWithTheEditorFrames() throws {
        let run = try SamtermRun.run(["bench", "--checkpoint", Self.checkpoint, "--image", Self.image, "--size", "64x48",
                                      "--runs", "1", "--clicks", "2", "--editor", "--json"])
        XCTAssertEqual(run.status, 0, run.errors)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], run.output)
        XCTAssertEqual(report["device"] as? String, "cpu")
        XCTAssertEqual(report["image"] as? String, "64x48")
        for key in ["set_image_ms", "predict_ms", "predict_display_ms", "point_to_frame_ms", "refine_to_frame_ms", "sixel_frame_ms"] {
            let summary = try XCTUnwrap(report[key] as? [String: Double], "\(key) in \(run.output)")
            XCTAssertGreaterThan(summary["median"] ?? 0, 0, key)
            XCTAssertGreaterThanOrEqual(summary["p90"] ?? 0, summary["median"] ?? 0, key)
        }
        XCTAssertGreaterThan(report["sixel_frame_bytes"] as? Int ?? 0, 10_000, "a whole 1024x768 sixel frame")
        XCTAssertGreaterThan(report["peak_rss_mb"] as? Double ?? 0, 0)
        let frameBytes = try XCTUnwrap(report["frame_bytes"] as? [String: [String: Int]], run.output)
        XCTAssertEqual(Set(frameBytes.keys), ["kitty", "sixel", "truecolor", "256"])
        for (renderer, bytes) in frameBytes {
            let first = bytes["first_frame"] ?? 0
            XCTAssertGreaterThan(first, 0, renderer)
            XCTAssertGreaterThan(bytes["cursor_move"] ?? 0, 0, renderer)
            XCTAssertLessThan(bytes["cursor_move"] ?? .max, first / 10, "\(renderer): a cursor move redraws the crosshair only")
            XCTAssertGreaterThan(bytes["click"] ?? 0, 0, renderer)
            XCTAssertGreaterThan(bytes["refining_click"] ?? 0, 0, renderer)
            XCTAssertNotNil(bytes["candidate_switch"], renderer)
        }
    }

    func testBadOptionsAreUsageErrors() throws {
        let zero = try SamtermRun.run(["bench", "--checkpoint", Self.checkpoint, "--clicks", "0"])
        XCTAssertEqual(zero.status, 2)
        XCTAssertTrue(zero.errors.contains("--clicks"), zero.errors)
        let size = try SamtermRun.run(["bench", "--checkpoint", Self.checkpoint, "--size", "big"])
        XCTAssertEqual(size.status, 2)
        XCTAssertTrue(size.errors.contains("--size big"), size.errors)
        let oneFrame = try SamtermRun.run(["bench", "--checkpoint", Self.checkpoint, "--video", "1"])
        XCTAssertEqual(oneFrame.status, 2)
        XCTAssertTrue(oneFrame.errors.contains("--video 1: at least 2 frames"), oneFrame.errors)
    }

    /// The video figures on the video fixture's model, at a small size.
    func testVideoFiguresForOneAndThreeObjects() throws {
        let model = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/video/tiny_video_sam2.1.pt").path
        let run = try SamtermRun.run(["bench", "--checkpoint", model, "--image", Self.image, "--size", "1000x720",
                                      "--video", "2", "--json"])
        XCTAssertEqual(run.status, 0, run.errors)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], run.output)
        XCTAssertEqual(report["frames"] as? Int, 2)
        for key in ["video_fps_1", "video_fps_3", "peak_rss_mb"] {
            XCTAssertGreaterThan(report[key] as? Double ?? 0, 0, "\(key) in \(run.output)")
        }
    }
}
