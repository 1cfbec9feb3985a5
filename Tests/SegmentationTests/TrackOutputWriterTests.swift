// Tracking outputs read back by their real consumers (the test venv's pycocotools and PIL):
// per-object PNGs, label maps, COCO with track ids, MOTS text as the MOTS tools' load_txt reads
// it; frames given in any order; a killed run resumed gives the same files as one run through.

import Foundation
import Segmentation
import XCTest

final class TrackOutputWriterTests: XCTestCase {
    private typealias Support = ExportTestSupport
    private let width = 24, height = 16, frameCount = 12

    /// Three objects listed as 3, 1, 7 (so "later wins" is by list order, not id), overlapping;
    /// object 7 is absent (empty mask) from frames 4 and 9, and object 1 lies wholly under
    /// object 7 on frame 2 (its MOTS mask is empty there).
    private func trackedFrames() -> [TrackedFrame] {
        var generator = SplitMix64(seed: 31)
        return (0..<frameCount).map { index in
            let ids = [3, 1, 7]
            var objects = ids.map { id in
                TrackedObject(id: id, mask: Support.blobMask(width: width, height: height, shapes: 3, generator: &generator),
                              score: Float.random(in: -4...4, using: &generator))
            }
            if index == 4 || index == 9 { objects[2].mask = BinaryMask(width: width, height: height) }
            if index == 2 {
                objects[1].mask = BinaryMask(width: width, height: height)
                for y in 2..<6 { for x in 3..<9 { objects[1].mask[x, y] = true } }
                objects[2].mask = objects[2].mask.union(objects[1].mask)
            }
            return TrackedFrame(index: index, objects: objects)
        }
    }

    private var video: TrackVideoInfo {
        TrackVideoInfo(width: width, height: height, frameCount: frameCount) { "frame_\($0).jpg" }
    }

    /// The frames as the Python check reads them.
    private func writeExpected(_ frames: [TrackedFrame], formats: [TrackOutputFormat], digits: Int, to path: String) throws {
        var byFrame: [String: Any] = [:]
        for frame in frames {
            byFrame[String(frame.index)] = frame.objects.map { object -> [String: Any] in
                ["id": object.id, "score": Double(object.score), "mask": String(object.mask.bytes.map { Character(String($0)) })]
            }
        }
        let document: [String: Any] = ["width": width, "height": height, "digits": digits, "frames": byFrame,
                                       "formats": formats.map(\.rawValue), "names": (0..<frameCount).map { "frame_\($0).jpg" }]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
    }

    /// Reads every output with PIL and pycocotools and compares with the expected masks; prints ok.
    private static let check = """
    import contextlib, json, math, os, sys
    import numpy as np
    from PIL import Image
    from pycocotools import mask as maskUtils
    from pycocotools.coco import COCO

    folder, expected_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(expected_path))
    W, H, digits, formats = expected['width'], expected['height'], expected['digits'], expected['formats']
    def array(text):
        return (np.frombuffer(text.encode(), np.uint8).reshape(H, W) - 48).astype(np.uint8)
    frames = {int(k): [(o['id'], array(o['mask']), o['score']) for o in v] for k, v in expected['frames'].items()}
    def stem(f):
        return str(f).zfill(digits)
    def label_map(objects):
        labels = np.zeros((H, W), np.int64)
        for object_id, mask, _ in objects:
            labels[mask == 1] = object_id          # later objects win
        return labels

    if 'png' in formats:
        for f, objects in frames.items():
            for object_id, mask, _ in objects:
                image = Image.open(os.path.join(folder, str(object_id), stem(f) + '.png'))
                assert image.mode == 'L' and image.size == (W, H), (image.mode, image.size)
                assert (np.asarray(image) == mask.astype(np.int64) * 255).all(), ('png', f, object_id)
    if 'labelmap' in formats:
        for f, objects in frames.items():
            image = Image.open(os.path.join(folder, 'labelmap', stem(f) + '.png'))
            assert image.mode == 'L' and image.size == (W, H), (image.mode, image.size)
            assert (np.asarray(image) == label_map(objects)).all(), ('labelmap', f)

    if 'coco' in formats:
        with contextlib.redirect_stdout(sys.stderr):
            coco = COCO(os.path.join(folder, 'annotations.json'))
        assert sorted(coco.getImgIds()) == [f + 1 for f in sorted(frames)], coco.getImgIds()
        categories = coco.getCatIds()
        count = 0
        for f, objects in frames.items():
            image = coco.loadImgs([f + 1])[0]
            assert image['frame_index'] == f and image['width'] == W and image['height'] == H, image
            assert image['file_name'] == expected['names'][f], image
            annotations = {a['track_id']: a for a in coco.loadAnns(coco.getAnnIds(imgIds=[f + 1]))}
            assert sorted(annotations) == sorted(i for i, m, _ in objects if m.any()), (f, sorted(annotations))
            for object_id, mask, score in objects:
                if not mask.any():
                    continue
                a = annotations[object_id]
                count += 1
                assert (coco.annToMask(a) == mask).all(), ('coco', f, object_id)
                rle = coco.annToRLE(a)
                assert (maskUtils.decode(rle) == mask).all()
                assert a['area'] == int(mask.sum()) == int(maskUtils.area(rle)), (a['area'], mask.sum())
                assert a['bbox'] == [int(v) for v in maskUtils.toBbox(rle)], (a['bbox'], maskUtils.toBbox(rle))
                assert a['iscrowd'] == 0 and a['category_id'] in categories
                assert abs(a['score'] - 1 / (1 + math.exp(-score))) < 1e-9 and abs(a['object_score_logit'] - score) < 1e-6
        assert count == len(coco.getAnnIds()), (count, len(coco.getAnnIds()))

    if 'mots' in formats:
        # The checks of mots_tools' load_txt (mots_common/io.py): class 1, 2 or 10, one track id per
        # frame, no overlapping masks; then every mask against the expected one.
        seen = {}
        merged = {}
        order = []
        for line in open(os.path.join(folder, 'mots.txt')):
            fields = line.strip().split(' ')
            assert len(fields) == 6, line
            f, track_id, class_id, h, w = (int(v) for v in fields[:5])
            assert class_id in (1, 2, 10), class_id
            assert track_id not in seen.setdefault(f, set()), ('repeated track id', f, track_id)
            seen[f].add(track_id)
            rle = {'size': [h, w], 'counts': fields[5].encode('UTF-8')}
            if f in merged:
                assert maskUtils.area(maskUtils.merge([merged[f], rle], intersect=True)) == 0, ('overlap', f)
                merged[f] = maskUtils.merge([merged[f], rle], intersect=False)
            else:
                merged[f] = rle
            assert (h, w) == (H, W) and track_id // 1000 == class_id == expected.get('mots_class', 1)
            decoded = maskUtils.decode({'size': [h, w], 'counts': fields[5]})
            labels = label_map(frames[f])
            assert (decoded == (labels == track_id % 1000)).all(), ('mots', f, track_id)
            order.append(f)
        assert order == sorted(order), order
        for f, objects in frames.items():
            labels = label_map(objects)
            wanted = sorted(1000 * expected.get('mots_class', 1) + i for i, _, _ in objects if (labels == i).any())
            assert sorted(seen.get(f, set())) == wanted, (f, sorted(seen.get(f, set())), wanted)
    print('ok')
    """

    private func verify(_ folder: String, frames: [TrackedFrame], formats: [TrackOutputFormat], digits: Int = 2,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = folder + ".expected.json"
        try writeExpected(frames, formats: formats, digits: digits, to: expected)
        defer { try? FileManager.default.removeItem(atPath: expected) }
        XCTAssertEqual(try Support.runPython(Self.check, arguments: [folder, expected], file: file, line: line), "ok\n",
                       file: file, line: line)
    }

    func testEveryFormatReadBackByItsConsumer() throws {
        let folder = try Support.makeScratchFolder(self) + "/out"
        let formats = TrackOutputFormat.allCases
        let writer = try TrackOutputWriter(folder: folder, video: video, options: TrackOutputOptions(formats: formats))
        let frames = trackedFrames()
        // In no particular order, one at a time, as forward and backward propagation give them.
        var generator = SplitMix64(seed: 4)
        for frame in frames.shuffled(using: &generator) { try writer.write(frame) }
        try writer.finish()
        try verify(folder, frames: frames, formats: formats)

        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/3/00.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/7/11.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/labelmap/05.png"))
        let mots = try String(contentsOfFile: folder + "/mots.txt", encoding: .utf8)
        let firstLine = String(mots.prefix { $0 != "\n" })
        XCTAssertTrue(firstLine.hasPrefix("0 100") && firstLine.contains(" 1 16 24 "), firstLine)
        XCTAssertFalse(mots.contains("\n2 1001 "), "object 1 lies under object 7 on frame 2: no MOTS line")
        XCTAssertFalse(mots.contains("\n4 1007 "), "object 7 is absent from frame 4")
    }

    func testSomeFormatsOnlyAndAnotherMOTSClass() throws {
        let folder = try Support.makeScratchFolder(self) + "/out"
        let video = TrackVideoInfo(width: width, height: height, frameCount: 1000) { "\($0)" }
        let writer = try TrackOutputWriter(folder: folder, video: video,
                                           options: TrackOutputOptions(formats: [.mots, .png], motsClassID: 2))
        let frames = trackedFrames().map { TrackedFrame(index: $0.index * 7, objects: $0.objects) }
        for frame in frames.reversed() { try writer.write(frame) }
        try writer.finish()
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/1/077.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/labelmap"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/annotations.json"))
        let mots = try String(contentsOfFile: folder + "/mots.txt", encoding: .utf8)
        let firstLine = String(mots.prefix { $0 != "\n" })
        XCTAssertTrue(firstLine.hasPrefix("0 200") && firstLine.contains(" 2 16 24 "), firstLine)
        // The check rebuilds names from frame numbers with three digits.
        let expected = folder + ".expected.json"
        var byFrame: [String: Any] = [:]
        for frame in frames {
            byFrame[String(frame.index)] = frame.objects.map { object -> [String: Any] in
                ["id": object.id, "score": Double(object.score), "mask": String(object.mask.bytes.map { Character(String($0)) })]
            }
        }
        let document: [String: Any] = ["width": width, "height": height, "digits": 3, "frames": byFrame,
                                       "formats": ["mots", "png"], "mots_class": 2]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: expected))
        XCTAssertEqual(try Support.runPython(Self.check, arguments: [folder, expected]), "ok\n")
    }

    func testFrameNumbersArePaddedToTheLastFramesWidth() throws {
        let folder = try Support.makeScratchFolder(self)
        func stem(_ index: Int, frames: Int) throws -> String {
            let video = TrackVideoInfo(width: 2, height: 2, frameCount: frames) { "\($0)" }
            return try TrackOutputWriter(folder: folder + "/\(frames)", video: video, options: TrackOutputOptions(formats: [.png]))
                .frameStem(index)
        }
        XCTAssertEqual(try stem(0, frames: 1), "0")
        XCTAssertEqual(try stem(7, frames: 10), "7")
        XCTAssertEqual(try stem(7, frames: 11), "07")
        XCTAssertEqual(try stem(42, frames: 100_000), "00042")
        XCTAssertEqual(try stem(42, frames: 100_001), "000042")
    }

    func testAKilledRunResumesAndEndsAsARunThrough() throws {
        let scratch = try Support.makeScratchFolder(self)
        let formats = TrackOutputFormat.allCases
        let options = TrackOutputOptions(formats: formats, run: "prompts-digest-1")
        let frames = trackedFrames()

        let whole = scratch + "/whole"
        let one = try TrackOutputWriter(folder: whole, video: video, options: options)
        for frame in frames { try one.write(frame) }
        try one.finish()

        // First run: four frames, then killed while writing frame 6 (its mask files were staged,
        // its state file and progress were not written).
        let resumed = scratch + "/resumed"
        let first = try TrackOutputWriter(folder: resumed, video: video, options: options)
        XCTAssertEqual(first.finishedFrames, [])
        for index in [5, 0, 1, 2] { try first.write(frames[index]) }
        try PNGWriter(gray8: [UInt8](repeating: 255, count: width * height), width: width, height: height)
            .write(to: first.maskPath(object: 3, frame: 6))
        let progress = try String(contentsOfFile: resumed + "/progress.json", encoding: .utf8)
        XCTAssertTrue(progress.contains(#""finished":[[0,2],[5,5]]"#), progress)

        let second = try TrackOutputWriter(folder: resumed, video: video, options: options)
        XCTAssertEqual(second.finishedFrames, [0, 1, 2, 5])
        XCTAssertTrue(second.isFinished(5))
        XCTAssertFalse(second.isFinished(6))
        for frame in frames.reversed() where !second.isFinished(frame.index) { try second.write(frame) }
        try second.finish()
        try verify(resumed, frames: frames, formats: formats)

        // Byte for byte what the uninterrupted run wrote, every file.
        let files = try FileManager.default.subpathsOfDirectory(atPath: whole).sorted()
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: resumed).sorted(), files)
        for file in files {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: whole + "/" + file, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            XCTAssertEqual(FileManager.default.contents(atPath: whole + "/" + file),
                           FileManager.default.contents(atPath: resumed + "/" + file), file)
        }

        // A frame whose state file is gone counts as not finished, whatever progress.json says.
        try FileManager.default.removeItem(atPath: resumed + "/track-state/03.json")
        let third = try TrackOutputWriter(folder: resumed, video: video, options: options)
        XCTAssertEqual(third.finishedFrames, Set(0..<frameCount).subtracting([3]))
        // A run with every frame finished still writes the whole-video files.
        try FileManager.default.removeItem(atPath: whole + "/mots.txt")
        let done = try TrackOutputWriter(folder: whole, video: video, options: options)
        XCTAssertEqual(done.finishedFrames.count, frameCount)
        try done.finish()
        XCTAssertEqual(FileManager.default.contents(atPath: whole + "/mots.txt"),
                       FileManager.default.contents(atPath: resumed + "/mots.txt"))
    }

    func testAFolderOfAnotherRunIsRefused() throws {
        let folder = try Support.makeScratchFolder(self) + "/out"
        let options = TrackOutputOptions(formats: [.png, .coco], run: "run-a")
        let writer = try TrackOutputWriter(folder: folder, video: video, options: options)
        try writer.write(trackedFrames()[0])
        let progress = folder + "/progress.json"
        func message(video: TrackVideoInfo? = nil, _ options: TrackOutputOptions) -> String {
            do {
                _ = try TrackOutputWriter(folder: folder, video: video ?? self.video, options: options)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let advice = "; choose another output folder, or remove it to start again"
        XCTAssertEqual(message(options), "no error")
        XCTAssertEqual(message(TrackOutputOptions(formats: [.png, .coco], run: "run-b")),
                       "\(progress): the folder holds another run (it tracked other prompts, another model or other options)\(advice)")
        XCTAssertEqual(message(TrackOutputOptions(formats: [.png], run: "run-a")),
                       "\(progress): the folder holds another run (it wrote --format png,coco, this run png)\(advice)")
        XCTAssertEqual(message(TrackOutputOptions(formats: [.png, .coco], categoryName: "car", run: "run-a")),
                       "\(progress): the folder holds another run (its classes differ)\(advice)")
        let other = TrackVideoInfo(width: 32, height: 16, frameCount: 40) { "\($0)" }
        XCTAssertEqual(message(video: other, options),
                       "\(progress): the folder holds another run (its frames are 24x16, these 32x16; its source has 12 frames, this one 40)\(advice)")

        try Data("{\"finished\": 3}".utf8).write(to: URL(fileURLWithPath: progress))
        XCTAssertEqual(message(options), "\(progress): not a samterm tracking progress file\(advice)")
        try Data("{\"format\": \"samterm-track-progress\"".utf8).write(to: URL(fileURLWithPath: progress))
        XCTAssertEqual(message(options), "\(progress): not a samterm tracking progress file\(advice)")
    }

    func testWhatTheFormatsCannotHoldIsRefused() throws {
        let folder = try Support.makeScratchFolder(self)
        func message(_ formats: [TrackOutputFormat], _ frame: TrackedFrame) -> String {
            do {
                let writer = try TrackOutputWriter(folder: folder + "/\(UUID().uuidString)", video: video,
                                                   options: TrackOutputOptions(formats: formats))
                try writer.write(frame)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        func frame(_ ids: [Int], index: Int = 0, mask: BinaryMask? = nil) -> TrackedFrame {
            TrackedFrame(index: index, objects: ids.map { TrackedObject(id: $0, mask: mask ?? BinaryMask(width: width, height: height), score: 0) })
        }
        XCTAssertEqual(message([.png, .coco], frame([256, 1000])), "no error")
        XCTAssertTrue(message([.labelmap], frame([255, 256])).hasSuffix(": object id 256: the label map is 8-bit and holds object ids 1...255"))
        XCTAssertTrue(message([.mots], frame([999, 1000])).hasSuffix(": object id 1000: MOTS ids are class * 1000 + object id, so object ids go up to 999"))
        XCTAssertTrue(message([.png], frame([0])).hasSuffix(": object id 0: ids are positive whole numbers"))
        XCTAssertTrue(message([.png], frame([2, 2])).hasSuffix(": frame 0 lists object 2 twice"))
        XCTAssertTrue(message([.png], frame([1], index: 12)).hasSuffix(": frame 12 is outside the source's 12 frames"))
        let turned = message([.png], frame([1], mask: BinaryMask(width: height, height: width)))
        XCTAssertTrue(turned.hasSuffix(": frame 0, object 1: the mask is 16x24, the frames 24x16"), turned)

        XCTAssertThrowsError(try TrackOutputWriter(folder: folder + "/x", video: video, options: TrackOutputOptions(formats: [.mots], motsClassID: 3))) {
            XCTAssertEqual("\($0)", "MOTS class: 3 is not a MOTS class (1 car, 2 pedestrian)")
        }
        XCTAssertThrowsError(try TrackOutputWriter(folder: folder + "/x", video: video, options: TrackOutputOptions(formats: []))) {
            XCTAssertEqual("\($0)", "--format: no output format given")
        }
    }

    func testFormatLists() throws {
        XCTAssertEqual(try TrackOutputFormat.parseList("png,labelmap,coco,mots"), [.png, .labelmap, .coco, .mots])
        XCTAssertEqual(try TrackOutputFormat.parseList("mots, PNG,mots"), [.mots, .png])
        XCTAssertThrowsError(try TrackOutputFormat.parseList("png,yolo")) {
            XCTAssertEqual("\($0)", "--format: unknown format 'yolo' (formats: png, labelmap, coco, mots)")
        }
        XCTAssertThrowsError(try TrackOutputFormat.parseList("png,,coco")) {
            XCTAssertEqual("\($0)", "--format: an empty name in 'png,,coco' (formats: png, labelmap, coco, mots)")
        }
    }
}
