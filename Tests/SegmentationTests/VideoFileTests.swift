// VideoFile over FFmpeg: Tests/Fixtures/video/sample.mp4 and sample.mkv (tools/make_video_samples.py),
// 12 frames of 64x48 in H.264 with a keyframe every 4 frames and B-frames; frame n is
// Tests/Fixtures/sam2/image_wide.png rolled 2n rows down and 5n columns right.

import Foundation
import Segmentation
import XCTest

final class VideoFileTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        ExportTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/video/\(name)").path
    }

    /// The frames the samples were encoded from.
    static func encodedFrames() throws -> [RGBImage] {
        let image = try RGBImage.load(path: ExportTestSupport.repositoryRoot
            .appendingPathComponent("Tests/Fixtures/sam2/image_wide.png").path)
        let (width, height) = (image.width, image.height)
        return (0..<12).map { n in
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let source = (((y - 2 * n) % height + height) % height * width + ((x - 5 * n) % width + width) % width) * 3
                    pixels[(y * width + x) * 3..<(y * width + x) * 3 + 3] = image.pixels[source..<source + 3]
                }
            }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.pixels.count == b.pixels.count)
        var total = 0
        for index in a.pixels.indices { total += abs(Int(a.pixels[index]) - Int(b.pixels[index])) }
        return Double(total) / Double(a.pixels.count)
    }

    func testSizeRateAndFrameCount() throws {
        let mp4 = try VideoFile(path: Self.fixture("sample.mp4"))
        XCTAssertEqual(mp4.width, 64)
        XCTAssertEqual(mp4.height, 48)
        XCTAssertEqual(mp4.frameCount, 12)
        XCTAssertEqual(mp4.frameRate, 12, accuracy: 1e-9)
        XCTAssertFalse(mp4.frameCountWasCounted, "MP4 stores its frame count")
        XCTAssertEqual(mp4.name(of: 7), "sample.mp4 frame 7")
        // Nothing is decoded before a frame is asked for.
        XCTAssertEqual(mp4.statistics.framesDecoded, 0)

        let mkv = try VideoFile(path: Self.fixture("sample.mkv"))
        XCTAssertEqual(mkv.frameCount, 12)
        XCTAssertTrue(mkv.frameCountWasCounted, "Matroska stores no frame count: the packets are counted")
        XCTAssertEqual(mkv.statistics.framesDecoded, 0, "counting demuxes without decoding")
        XCTAssertTrue(mkv.statistics.indexBuilt)
    }

    func testEachFrameIsCloseToWhatWasEncoded() throws {
        let expected = try Self.encodedFrames()
        let video = try VideoFile(path: Self.fixture("sample.mp4"))
        for index in 0..<video.frameCount {
            let frame = try video.frame(at: index)
            XCTAssertEqual(frame.width, 64)
            XCTAssertEqual(frame.height, 48)
            let own = Self.meanAbsoluteDifference(frame, expected[index])
            // H.264 at CRF 16 with 4:2:0 chroma: about 2.5 levels on these 64x48 frames; the other
            // frames are about 36 away, so the order is checked too.
            XCTAssertLessThan(own, 5, "frame \(index)")
            for other in expected.indices where other != index {
                XCTAssertGreaterThan(Self.meanAbsoluteDifference(frame, expected[other]), 4 * own, "frame \(index) vs \(other)")
            }
        }
        XCTAssertEqual(video.statistics.framesDecoded, 12, "sequential reads decode each frame once")
        XCTAssertEqual(video.statistics.seeks, 0)
    }

    func testRandomAccessEqualsSequentialDecoding() throws {
        for name in ["sample.mp4", "sample.mkv"] {
            let sequential = try VideoFile(path: Self.fixture(name))
            let frames = try (0..<12).map { try sequential.frame(at: $0) }

            let video = try VideoFile(path: Self.fixture(name))
            XCTAssertEqual(try video.frame(at: 9), frames[9], name)
            let afterNine = video.statistics
            XCTAssertEqual(try video.frame(at: 2), frames[2], name)
            let afterTwo = video.statistics
            XCTAssertGreaterThan(afterTwo.seeks, afterNine.seeks, "\(name): reading behind seeks")
            // From keyframe 0 to frame 2: three frames (the B-frames' reference may add one), not 12.
            XCTAssertLessThanOrEqual(afterTwo.framesDecoded - afterNine.framesDecoded, 4, name)
            XCTAssertEqual(try video.frame(at: 10), frames[10], name)
            XCTAssertGreaterThan(video.statistics.seeks, afterTwo.seeks, "\(name): keyframe 8 lies between frames 3 and 10")
            XCTAssertEqual(try video.frame(at: 10), frames[10], "\(name): the same frame again")
            for index in [0, 11, 5, 5, 4, 7, 3, 8, 1, 6] {
                XCTAssertEqual(try video.frame(at: index), frames[index], "\(name) frame \(index)")
            }
            XCTAssertEqual(video.statistics.reopens, 0, name)
        }
        // The Matroska file holds the same H.264 stream: the same pixels.
        let mp4 = try VideoFile(path: Self.fixture("sample.mp4"))
        let mkv = try VideoFile(path: Self.fixture("sample.mkv"))
        for index in [3, 11, 0] { XCTAssertEqual(try mp4.frame(at: index), try mkv.frame(at: index)) }
    }

    func testAFrameOutsideTheVideoIsAnError() throws {
        let path = Self.fixture("sample.mp4")
        let video = try VideoFile(path: path)
        for index in [12, -1] {
            XCTAssertThrowsError(try video.frame(at: index)) { error in
                XCTAssertEqual("\(error)", "\(path): frame \(index) is outside the video's 12 frames (0...11)")
            }
        }
        XCTAssertNoThrow(try video.frame(at: 11))
    }

    func testFilesThatAreNoVideoAreErrorsNamingThem() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        func message(_ path: String) -> String {
            do {
                _ = try VideoFile(path: path)
                return "opened"
            } catch let error as FrameSourceError {
                XCTAssertEqual(error.path, path)
                return "\(error)"
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(message(folder + "/missing.mp4"), "\(folder)/missing.mp4: cannot open the file: No such file or directory")
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/empty.mp4", contents: Data()))
        XCTAssertEqual(message(folder + "/empty.mp4"), "\(folder)/empty.mp4: the file is empty")
        var generator = SplitMix64(seed: 20)
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/garbage.mp4", contents: Data(garbage)))
        XCTAssertTrue(message(folder + "/garbage.mp4").hasPrefix("\(folder)/garbage.mp4: not a video FFmpeg can read: "),
                      message(folder + "/garbage.mp4"))
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/notes.mp4", contents: Data(String(repeating: "just some text\n", count: 50).utf8)))
        XCTAssertTrue(message(folder + "/notes.mp4").hasPrefix("\(folder)/notes.mp4: "), message(folder + "/notes.mp4"))
        // The MP4's header without the frames it indexes (the file cut inside its header).
        let sample = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("sample.mp4")))
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/header.mp4", contents: sample.prefix(40)))
        XCTAssertTrue(message(folder + "/header.mp4").hasPrefix("\(folder)/header.mp4: "), message(folder + "/header.mp4"))
    }

    func testATruncatedVideoGivesItsFramesThenAnError() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        let sample = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("sample.mp4")))
        let path = folder + "/cut.mp4"
        // The header (first, +faststart) says 12 frames; the data stops inside frame 4's packet.
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: sample.prefix(4000)))
        let reference = try VideoFile(path: Self.fixture("sample.mp4"))
        let video = try VideoFile(path: path)
        XCTAssertEqual(video.frameCount, 12)
        for index in 0..<4 { XCTAssertEqual(try video.frame(at: index), try reference.frame(at: index)) }
        XCTAssertThrowsError(try video.frame(at: 9)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): "), "\(error)")
        }
        XCTAssertThrowsError(try video.frame(at: 5))
        // An error leaves the file readable where it can be read.
        XCTAssertEqual(try video.frame(at: 2), try reference.frame(at: 2))
        XCTAssertThrowsError(try video.frame(at: 11))
        XCTAssertEqual(try video.frame(at: 0), try reference.frame(at: 0))

        // The header whole and no frame data at all.
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: sample.prefix(2500)))
        let empty = try VideoFile(path: path)
        XCTAssertThrowsError(try empty.frame(at: 0)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): frame 0 cannot be read: the video stops after 0 frames of 12"), "\(error)")
        }
    }

    /// Every cut of both files, and bytes overwritten anywhere: each open and each read either
    /// works or throws; none crashes.
    func testDamagedFilesNeverCrash() throws {
        let folder = try ExportTestSupport.makeScratchFolder(self)
        var generator = SplitMix64(seed: 7)
        var opened = 0, failed = 0
        for name in ["sample.mp4", "sample.mkv"] {
            let sample = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture(name))))
            var variants: [[UInt8]] = stride(from: 0, to: sample.count, by: 173).map { Array(sample.prefix($0)) }
            for _ in 0..<40 {
                var damaged = sample
                for _ in 0..<Int.random(in: 1...20, using: &generator) {
                    damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                variants.append(damaged)
            }
            for (number, bytes) in variants.enumerated() {
                let path = folder + "/\(number)-\(name)"
                XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
                guard let video = try? VideoFile(path: path) else { failed += 1; continue }
                opened += 1
                XCTAssertLessThanOrEqual(video.width * video.height, 100_000_000)
                for index in [0, 5, 11, 2, 12, 9].filter({ $0 < video.frameCount }) {
                    if let frame = try? video.frame(at: index) {
                        XCTAssertEqual(frame.pixels.count, video.width * video.height * 3)
                    }
                }
            }
        }
        XCTAssertGreaterThan(opened, 0)
        XCTAssertGreaterThan(failed, 0)
    }
}
