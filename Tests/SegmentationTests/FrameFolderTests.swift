// FrameFolder: which files are frames, their order (numeric as the official SAM 2 loader's
// int(stem), else lexicographic), and the errors, each naming the file or folder.

import Foundation
import Segmentation
import XCTest

final class FrameFolderTests: XCTestCase {
    /// A 4x3 PNG whose every pixel is (value, 255 - value, 7): frames tell themselves apart.
    private func writeFrame(_ folder: String, _ name: String, value: UInt8, width: Int = 4, height: Int = 3) throws {
        let pixels = [UInt8]((0..<width * height).flatMap { _ in [value, 255 - value, 7] })
        try PNGWriter(rgb: pixels, width: width, height: height).write(to: (folder as NSString).appendingPathComponent(name))
    }

    private func folder(with names: [String]) throws -> String {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        for (index, name) in names.enumerated() { try writeFrame(folder, name, value: UInt8(index * 10)) }
        return folder
    }

    func testNumericStemsAreOrderedByValue() throws {
        let folder = try folder(with: ["10.png", "9.png", "100.png", "002.png", "1.png", "0.png"])
        let frames = try FrameFolder(path: folder)
        XCTAssertEqual(frames.ordering, .numeric)
        XCTAssertEqual(frames.fileNames, ["0.png", "1.png", "002.png", "9.png", "10.png", "100.png"])
        XCTAssertEqual(frames.frameCount, 6)
        XCTAssertEqual(frames.name(of: 4), "10.png")
        // Frame 4 is the file 10.png, written with value 0 (first in the list above).
        XCTAssertEqual(try frames.frame(at: 4).pixels.prefix(3), [0, 255, 7])
        XCTAssertEqual(try frames.frame(at: 0).pixels.prefix(3), [50, 205, 7])
    }

    func testNamesThatAreNotAllNumbersAreOrderedLexicographically() throws {
        XCTAssertEqual(FrameFolder.order(["frame_10.jpg", "frame_9.jpg", "frame_100.jpg"]).names,
                       ["frame_10.jpg", "frame_100.jpg", "frame_9.jpg"])
        // One stem that is not a number makes the whole folder lexicographic, as in Python's
        // fallback: 10 before 9.
        let mixed = FrameFolder.order(["9.jpg", "10.jpg", "cover.jpg"])
        XCTAssertEqual(mixed.ordering, .lexicographic)
        XCTAssertEqual(mixed.names, ["10.jpg", "9.jpg", "cover.jpg"])
        // By code point, as Python's sorted: upper case before lower case, "é" after "z".
        XCTAssertEqual(FrameFolder.order(["b.png", "B.png", "é.png", "z.png"]).names, ["B.png", "b.png", "z.png", "é.png"])
    }

    func testNumericOrderEdgeCases() {
        // Signs as int() reads them, numbers longer than any Int, equal values ordered by name.
        let order = FrameFolder.order(["+3.png", "-2.png", "-10.png", "123456789012345678901234567890.png", "03.png", "0.png"])
        XCTAssertEqual(order.ordering, .numeric)
        XCTAssertEqual(order.names, ["-10.png", "-2.png", "0.png", "+3.png", "03.png", "123456789012345678901234567890.png"])
        // Not whole numbers: "1.5" (the stem of 1.5.png), "1e3", " 7", "" — lexicographic.
        XCTAssertEqual(FrameFolder.order(["2.png", "1.5.png"]).ordering, .lexicographic)
        XCTAssertEqual(FrameFolder.order(["2.png", "1e3.png"]).ordering, .lexicographic)
        XCTAssertEqual(FrameFolder.order(["2.png", "-.png"]).ordering, .lexicographic)
    }

    func testOnlyJPEGAndPNGFilesDirectlyInTheFolderAreFrames() throws {
        let folder = try folder(with: ["2.png", "1.PNG", "3.jpeg"])
        // 3.jpeg is a PNG named .jpeg: files are recognised by content when decoded.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        try writeFrame(folder, ".hidden.png", value: 1)
        try FileManager.default.createDirectory(atPath: folder + "/4.png", withIntermediateDirectories: false)
        try writeFrame(folder + "/4.png", "5.png", value: 1)
        let frames = try FrameFolder(path: folder)
        XCTAssertEqual(frames.fileNames, ["1.PNG", "2.png", "3.jpeg"])
        XCTAssertEqual(frames.width, 4)
        XCTAssertEqual(frames.height, 3)
    }

    func testAnEmptyFolderIsAnErrorNamingIt() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        XCTAssertThrowsError(try FrameFolder(path: folder)) { error in
            XCTAssertEqual("\(error)", "\(folder): no frames in this folder (frames are .jpg, .jpeg or .png files)")
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/readme.txt"))
        XCTAssertThrowsError(try FrameFolder(path: folder)) { error in
            XCTAssertTrue("\(error)".contains("no frames in this folder"), "\(error)")
        }
        XCTAssertThrowsError(try FrameFolder(path: folder + "/missing")) { error in
            XCTAssertEqual("\(error)", "\(folder)/missing: no such folder")
        }
        XCTAssertThrowsError(try FrameFolder(path: folder + "/readme.txt")) { error in
            XCTAssertEqual("\(error)", "\(folder)/readme.txt: not a folder of frames")
        }
    }

    func testAFrameOfAnotherSizeIsAnErrorNamingItsFile() throws {
        let folder = try folder(with: ["0.png", "1.png"])
        try writeFrame(folder, "2.png", value: 9, width: 5, height: 3)
        let frames = try FrameFolder(path: folder)
        XCTAssertNoThrow(try frames.frame(at: 1))
        XCTAssertThrowsError(try frames.frame(at: 2)) { error in
            XCTAssertEqual("\(error)", "\(folder)/2.png: the frame is 5x3; the first frame (0.png) is 4x3, and every frame must have its size")
        }
        XCTAssertThrowsError(try frames.frame(at: 3)) { error in
            XCTAssertTrue("\(error)".contains("frame 3 is outside the folder's 3 frames (0...2)"), "\(error)")
        }
    }

    func testAnUnreadableFrameIsAnErrorNamingItsFile() throws {
        let folder = try folder(with: ["0.png", "1.png"])
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: folder + "/2.png"))
        // A dangling link is listed, and fails when read, as the official loader's open would.
        try FileManager.default.createSymbolicLink(atPath: folder + "/3.jpg", withDestinationPath: folder + "/gone.jpg")
        let frames = try FrameFolder(path: folder)
        XCTAssertEqual(frames.frameCount, 4)
        XCTAssertThrowsError(try frames.frame(at: 2)) { error in
            XCTAssertEqual("\(error)", "\(folder)/2.png: not a PNG or JPEG file")
        }
        XCTAssertThrowsError(try frames.frame(at: 3)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(folder)/3.jpg: cannot read the file"), "\(error)")
        }
        // A broken first frame stops the folder from opening, naming that file.
        let broken = try ExportTestSupport.makeScratchFolder(self)
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]).write(to: URL(fileURLWithPath: broken + "/0.png"))
        try writeFrame(broken, "1.png", value: 1)
        XCTAssertThrowsError(try FrameFolder(path: broken)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(broken)/0.png: "), "\(error)")
        }
    }

    func testOpenFrameSourceTellsFoldersFromVideos() throws {
        let folder = try folder(with: ["0.png"])
        XCTAssertTrue(try openFrameSource(path: folder) is FrameFolder)
        XCTAssertTrue(try openFrameSource(path: VideoFileTests.fixture("sample.mp4")) is VideoFile)
    }
}

final class FrameSelectionTests: XCTestCase {
    func testTheRangeThenEveryNthFrame() throws {
        let all = FrameSelection(frameCount: 10)
        XCTAssertEqual(all.sourceIndices, Array(0..<10))

        let selection = try FrameSelection(range: "3:10", every: "3", frameCount: 12)
        XCTAssertEqual(selection.count, 3)
        XCTAssertEqual(selection.sourceIndices, [3, 6, 9])
        XCTAssertEqual((0..<selection.count).map(selection.sourceIndex), [3, 6, 9])
        XCTAssertEqual(selection.selectedIndex(ofSource: 6), 1)
        XCTAssertNil(selection.selectedIndex(ofSource: 7))
        XCTAssertNil(selection.selectedIndex(ofSource: 12))
        XCTAssertNil(selection.selectedIndex(ofSource: 0))

        XCTAssertEqual(try FrameSelection(range: ":4", every: nil, frameCount: 12).sourceIndices, [0, 1, 2, 3])
        XCTAssertEqual(try FrameSelection(range: "9:", every: nil, frameCount: 12).sourceIndices, [9, 10, 11])
        XCTAssertEqual(try FrameSelection(range: nil, every: "5", frameCount: 12).sourceIndices, [0, 5, 10])
        XCTAssertEqual(try FrameSelection(range: ":", every: "1", frameCount: 3).sourceIndices, [0, 1, 2])
        // An end past the last frame stops at the last frame, as Python's slices do.
        XCTAssertEqual(try FrameSelection(range: "10:500", every: nil, frameCount: 12).sourceIndices, [10, 11])
        XCTAssertEqual(try FrameSelection(range: "0:1", every: "7", frameCount: 12).sourceIndices, [0])
    }

    func testMistakesNameTheArgument() {
        func message(_ range: String?, _ every: String?, frames: Int = 12) -> String {
            do {
                _ = try FrameSelection(range: range, every: every, frameCount: frames)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message("5:3", nil), "--range 5:3: the start must be below the end (the end frame is not included)")
        XCTAssertEqual(message("4:4", nil), "--range 4:4: the start must be below the end (the end frame is not included)")
        XCTAssertEqual(message("5", nil), "--range 5: expected START:END, START: or :END (frame numbers from 0, END excluded)")
        XCTAssertEqual(message("1:2:3", nil), "--range 1:2:3: expected START:END, START: or :END (frame numbers from 0, END excluded)")
        XCTAssertEqual(message("-2:5", nil), "--range -2:5: the start '-2' is not a frame number (a whole number from 0)")
        XCTAssertEqual(message("a:5", nil), "--range a:5: the start 'a' is not a frame number (a whole number from 0)")
        XCTAssertEqual(message("0:x", nil), "--range 0:x: the end 'x' is not a frame number (a whole number from 0)")
        XCTAssertEqual(message("12:", nil), "--range 12:: starts after the last frame: the source has 12 frames (0...11)")
        XCTAssertEqual(message("3:", nil, frames: 1), "--range 3:: starts after the last frame: the source has 1 frame (0)")
        XCTAssertEqual(message(":0", nil), "--range 0:0: selects no frame")
        XCTAssertEqual(message(nil, "0"), "--every 0: must be a whole number of at least 1")
        XCTAssertEqual(message(nil, "-1"), "--every -1: must be a whole number of at least 1")
        XCTAssertEqual(message(nil, "two"), "--every two: must be a whole number of at least 1")
        XCTAssertEqual(message(nil, "1.5"), "--every 1.5: must be a whole number of at least 1")
        XCTAssertEqual(message("2:9", "2"), "no error")
    }
}
