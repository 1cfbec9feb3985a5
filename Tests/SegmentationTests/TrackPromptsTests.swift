// The --prompts file of samterm track: what it accepts, and each mistake named with the file,
// the entry and the reason.

import Foundation
import Segmentation
import XCTest

final class TrackPromptsTests: XCTestCase {
    private let path = "prompts.json"

    private func parse(_ text: String) throws -> [TrackPrompt] {
        try TrackPrompts.parse(Data(text.utf8), path: path)
    }

    private func message(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testEntriesWithPointsBoxesOrBoth() throws {
        let prompts = try parse("""
        [ {"frame": 0, "object": 1, "points": [[210, 350], [250.5, 220]], "labels": [1, 0]},
          {"frame": 0, "object": 2, "box": [300, 0, 500, 400.25]},
          {"object": 1, "frame": 40, "points": [[460, 60]], "labels": [1], "box": [400, 10, 520, 130]} ]
        """)
        XCTAssertEqual(prompts, [
            TrackPrompt(frame: 0, object: 1, points: [PromptPoint(x: 210, y: 350, label: .foreground),
                                                      PromptPoint(x: 250.5, y: 220, label: .background)], entry: 1),
            TrackPrompt(frame: 0, object: 2, box: PromptBox(x0: 300, y0: 0, x1: 500, y1: 400.25), entry: 2),
            TrackPrompt(frame: 40, object: 1, points: [PromptPoint(x: 460, y: 60, label: .foreground)],
                        box: PromptBox(x0: 400, y0: 10, x1: 520, y1: 130), entry: 3),
        ])
        // Whole numbers written as 2.0 are whole numbers.
        XCTAssertEqual(try parse(#"[{"frame": 2.0, "object": 3.0, "box": [0, 0, 1, 1]}]"#).first?.frame, 2)
    }

    func testTheFileAsAWhole() throws {
        XCTAssertEqual(message("{\"frame\": 0}"),
                       "prompts.json: expected a JSON array of {\"frame\", \"object\", \"points\", \"labels\", \"box\"} entries")
        XCTAssertEqual(message("[]"), "prompts.json: the array holds no prompts")
        XCTAssertTrue(message("[{\"frame\": 0,").hasPrefix("prompts.json: not valid JSON ("), message("[{\"frame\": 0,"))
        XCTAssertTrue(message("").hasPrefix("prompts.json: not valid JSON ("), message(""))

        let folder = try ExportTestSupport.makeScratchFolder(self)
        XCTAssertThrowsError(try TrackPrompts.read(path: folder + "/none.json")) { error in
            XCTAssertEqual("\(error)", "\(folder)/none.json: no such file")
        }
        XCTAssertThrowsError(try TrackPrompts.read(path: folder)) { error in
            XCTAssertEqual("\(error)", "\(folder): a folder, not a prompts file")
        }
        try Data(#"[{"frame": 1, "object": 1, "box": [1, 2, 3, 4]}]"#.utf8).write(to: URL(fileURLWithPath: folder + "/p.json"))
        XCTAssertEqual(try TrackPrompts.read(path: folder + "/p.json").count, 1)
    }

    func testEachMistakeNamesTheEntry() {
        let good = #"{"frame": 0, "object": 1, "box": [0, 0, 4, 4]}"#
        func entry2(_ text: String) -> String { message("[\(good), \(text)]") }
        XCTAssertEqual(entry2("7"), "prompts.json, entry 2: not an object")
        XCTAssertEqual(entry2(#"{"object": 1, "box": [0, 0, 4, 4]}"#), "prompts.json, entry 2: no \"frame\"")
        XCTAssertEqual(entry2(#"{"frame": 0, "box": [0, 0, 4, 4]}"#), "prompts.json, entry 2: no \"object\"")
        XCTAssertEqual(entry2(#"{"frame": -1, "object": 1, "box": [0, 0, 4, 4]}"#),
                       "prompts.json, entry 2: \"frame\" must be a frame number (a whole number from 0), not -1")
        XCTAssertEqual(entry2(#"{"frame": 1.5, "object": 1, "box": [0, 0, 4, 4]}"#),
                       "prompts.json, entry 2: \"frame\" must be a frame number (a whole number from 0), not 1.5")
        XCTAssertEqual(entry2(#"{"frame": "3", "object": 1, "box": [0, 0, 4, 4]}"#),
                       "prompts.json, entry 2: \"frame\" must be a frame number (a whole number from 0), not \"3\"")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 0, "box": [0, 0, 4, 4]}"#),
                       "prompts.json, entry 2: \"object\" must be a positive whole number, not 0")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": true, "box": [0, 0, 4, 4]}"#),
                       "prompts.json, entry 2: \"object\" must be a positive whole number, not true")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2}"#),
                       "prompts.json, entry 2: no prompt: give \"points\" with \"labels\", a \"box\", or both")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [], "labels": []}"#),
                       "prompts.json, entry 2: no prompt: give \"points\" with \"labels\", a \"box\", or both")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2]]}"#),
                       "prompts.json, entry 2: \"points\" needs \"labels\" (1 foreground, 0 background), one per point")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "labels": [1]}"#), "prompts.json, entry 2: \"labels\" without \"points\"")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2], [3, 4]], "labels": [1]}"#),
                       "prompts.json, entry 2: \"labels\" has 1 value for 2 points: one label per point")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2, 3]], "labels": [1]}"#),
                       "prompts.json, entry 2: point 1 must be [x, y] (two numbers), not [1,2,3]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2], [3, "4"]], "labels": [1, 1]}"#),
                       "prompts.json, entry 2: point 2 must be [x, y] (two numbers), not [3,\"4\"]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2]], "labels": [2]}"#),
                       "prompts.json, entry 2: label 1 must be 1 (foreground) or 0 (background), not 2")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": [[1, 2]], "labels": [true]}"#),
                       "prompts.json, entry 2: label 1 must be 1 (foreground) or 0 (background), not true")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "points": {"x": 1}, "labels": [1]}"#),
                       "prompts.json, entry 2: \"points\" must be a list of [x, y]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "box": [1, 2, 3]}"#),
                       "prompts.json, entry 2: \"box\" must be [x0, y0, x1, y1], not [1,2,3]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "box": [1, 2, null, 4]}"#),
                       "prompts.json, entry 2: \"box\" must be four numbers [x0, y0, x1, y1], not [1,2,null,4]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "box": [5, 2, 3, 4]}"#),
                       "prompts.json, entry 2: \"box\" [x0, y0, x1, y1] needs x1 > x0 and y1 > y0, not [5,2,3,4]")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "point": [[1, 2]], "labels": [1]}"#),
                       "prompts.json, entry 2: unknown key \"point\" (an entry has frame, object, points, labels and box)")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 1, "points": [[1, 2]], "labels": [1]}"#),
                       "prompts.json, entry 2: frame 0 already has a prompt for object 1 (entry 1): give its points and box in one entry")
        // The same object on another frame, or another object on the same frame, is fine.
        XCTAssertEqual(entry2(#"{"frame": 3, "object": 1, "box": [0, 0, 4, 4]}"#), "no error")
        XCTAssertEqual(entry2(#"{"frame": 0, "object": 2, "box": [0, 0, 4, 4]}"#), "no error")
    }

    func testCheckingAgainstTheFrames() throws {
        let prompts = try parse("""
        [ {"frame": 0, "object": 1, "points": [[0, 0], [64, 48]], "labels": [1, 0]},
          {"frame": 11, "object": 2, "box": [0, 0, 64, 48]},
          {"frame": 12, "object": 2, "box": [0, 0, 4, 4]},
          {"frame": 3, "object": 3, "points": [[10, 10], [64.5, 3]], "labels": [1, 1]},
          {"frame": 3, "object": 4, "box": [-1, 0, 4, 4]} ]
        """)
        func check(_ selected: [TrackPrompt]) -> String {
            do {
                try TrackPrompts.check(selected, path: path, frameCount: 12, width: 64, height: 48)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(check(Array(prompts[0...1])), "no error")
        XCTAssertEqual(check([prompts[2]]), "prompts.json, entry 3: frame 12 is past the last frame (the source has 12 frames, 0...11)")
        XCTAssertEqual(check([prompts[3]]), "prompts.json, entry 4: point 2 (64.5, 3) is off the 64x48 frame")
        XCTAssertEqual(check([prompts[4]]), "prompts.json, entry 5: the box [-1, 0, 4, 4] reaches outside the 64x48 frame")
    }
}
