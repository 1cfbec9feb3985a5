// Tracking results written into an output folder, a frame at a time, in any order, so that a
// run killed part way resumes where it stopped.
//
//   DIR/<object>/<frame>.png     png: per object and frame, 8-bit gray, 255 inside, 0 outside
//                                (every object of the frame gets its file, an empty mask an
//                                all-black one)
//   DIR/labelmap/<frame>.png     labelmap: 8-bit gray, pixel = object id, 0 background; where
//                                masks overlap the object later in the frame's list wins; ids
//                                above 255 are refused
//   DIR/annotations.json         coco: one image per finished frame (id = frame + 1, file_name =
//                                the source's name for the frame, width, height, frame_index),
//                                an annotation per non-empty mask with track_id = object id,
//                                category_id, compressed RLE, bbox, area, iscrowd 0, score (the
//                                object score's sigmoid) and object_score_logit; one category
//   DIR/mots.txt                 mots: "<frame> <id> <class_id> <height> <width> <rle>" per
//                                frame and object with a non-empty mask, as the MOTS tools'
//                                load_txt reads it (id = class_id * 1000 + object id, so object
//                                ids above 999 are refused). Those tools refuse overlapping masks,
//                                so the MOTS masks are the label map's: the later object wins.
//   DIR/progress.json            the frames finished, and what the run is (see below)
//   DIR/track-state/<frame>.json each finished frame's objects: id, score, area, bbox, the RLE of
//                                its mask and of its MOTS (non-overlapping) mask
//
// <frame> is the source frame number, zero-padded to the width of the last frame's number
// (frames 0...99999: 00042.png). The MOTS class is 1 ("car" in KITTI MOTS / MOTSChallenge) unless
// the caller says 2 ("pedestrian"): samterm's objects have no class, and 1 is the benchmark's
// first; `motsClassID` changes it.
//
// Resuming. Each frame is written as one StagedFiles set (its PNGs, then its state file last),
// so once the state file exists the frame's PNGs do too; then progress.json (atomic) adds the
// frame. A frame is finished when progress.json lists it and its state file exists; a killed
// run loses at most the frame in flight, which the next run writes again (writing a frame twice
// replaces it). COCO and MOTS are whole-video files: `finish` assembles them from the state
// files of every finished frame, in frame order, whatever order the frames came in, so they are
// never half-written and a resumed run's are the same as an uninterrupted one's. The state files
// stay, so a later run into the same folder (more frames, or none left) rewrites them too.
// progress.json records the frames as ranges ([[0, 41], [50, 50]]), small for any length, with
// the size, frame count, formats and the caller's `run` fingerprint (prompts, model, options):
// a folder holding another run's frames is refused rather than mixed.

import Foundation

public enum TrackOutputFormat: String, CaseIterable, Sendable {
    case png, labelmap, coco, mots

    /// "png,labelmap,coco,mots" (any of them, in any order); errors name `--format`.
    public static func parseList(_ text: String) throws -> [TrackOutputFormat] {
        var formats: [TrackOutputFormat] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard let format = TrackOutputFormat(rawValue: trimmed) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw TrackOutputError(path: "--format", reason: trimmed.isEmpty
                    ? "an empty name in '\(text)' (formats: \(known))"
                    : "unknown format '\(trimmed)' (formats: \(known))")
            }
            if !formats.contains(format) { formats.append(format) }
        }
        return formats
    }
}

public struct TrackOutputError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file, folder or argument concerned.
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// What the writers need to know of the frames.
public struct TrackVideoInfo: Sendable {
    public var width: Int
    public var height: Int
    public var frameCount: Int
    /// The name of a frame for COCO's file_name (FrameSource.name(of:)).
    public var frameName: @Sendable (Int) -> String

    public init(width: Int, height: Int, frameCount: Int, frameName: @escaping @Sendable (Int) -> String) {
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.frameName = frameName
    }

    public init(_ source: any FrameSource) {
        self.init(width: source.width, height: source.height, frameCount: source.frameCount) { source.name(of: $0) }
    }
}

public struct TrackOutputOptions: Equatable, Sendable {
    public var formats: [TrackOutputFormat]
    /// The MOTS class of every object: 1 (car) or 2 (pedestrian).
    public var motsClassID: Int
    /// COCO's one category.
    public var categoryName: String
    /// What the run is (a digest of its prompts, model and options): a folder holding frames of
    /// another run is refused.
    public var run: String

    public init(formats: [TrackOutputFormat], motsClassID: Int = 1, categoryName: String = "object", run: String = "") {
        self.formats = formats
        self.motsClassID = motsClassID
        self.categoryName = categoryName
        self.run = run
    }
}

public final class TrackOutputWriter {
    public static let progressFileName = "progress.json"
    public static let stateFolderName = "track-state"
    public static let cocoFileName = "annotations.json"
    public static let motsFileName = "mots.txt"
    public static let labelMapFolderName = "labelmap"
    static let progressFormat = "samterm-track-progress"

    public let folder: String
    public let video: TrackVideoInfo
    public let options: TrackOutputOptions
    /// The frames written (by this run or an earlier one into the folder).
    public private(set) var finishedFrames: Set<Int>
    private let digits: Int

    /// Opens `folder` (made when missing) for `video`'s results. Frames an earlier run into the
    /// folder finished are in `finishedFrames`; a progress.json of another run, or one that
    /// cannot be read, is an error naming it.
    public init(folder: String, video: TrackVideoInfo, options: TrackOutputOptions) throws {
        guard video.width > 0, video.height > 0, video.frameCount > 0 else {
            throw TrackOutputError(path: folder, reason: "no frames to write (\(video.width)x\(video.height), \(video.frameCount) frames)")
        }
        guard !options.formats.isEmpty else { throw TrackOutputError(path: "--format", reason: "no output format given") }
        guard options.motsClassID == 1 || options.motsClassID == 2 else {
            throw TrackOutputError(path: "MOTS class", reason: "\(options.motsClassID) is not a MOTS class (1 car, 2 pedestrian)")
        }
        self.folder = folder
        self.video = video
        self.options = options
        digits = String(video.frameCount - 1).count
        finishedFrames = []
        try AtomicFileWriter.createFolder(folder)
        try AtomicFileWriter.createFolder(stateFolder)
        if let recorded = try readProgress() {
            let fileManager = FileManager.default
            finishedFrames = recorded.filter { fileManager.fileExists(atPath: statePath(frame: $0)) }
        }
    }

    // MARK: - Paths

    /// The frame number as file names write it: zero-padded to the last frame's width.
    public func frameStem(_ index: Int) -> String {
        let text = String(index)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    public func maskPath(object: Int, frame: Int) -> String { path(String(object), frameStem(frame) + ".png") }
    public func labelMapPath(frame: Int) -> String { path(Self.labelMapFolderName, frameStem(frame) + ".png") }
    public var cocoPath: String { path(Self.cocoFileName) }
    public var motsPath: String { path(Self.motsFileName) }
    public var progressPath: String { path(Self.progressFileName) }
    var stateFolder: String { path(Self.stateFolderName) }
    func statePath(frame: Int) -> String { path(Self.stateFolderName, frameStem(frame) + ".json") }

    private func path(_ components: String...) -> String {
        components.reduce(folder) { ($0 as NSString).appendingPathComponent($1) }
    }

    public func isFinished(_ index: Int) -> Bool { finishedFrames.contains(index) }

    // MARK: - Checks

    /// Refuses object ids the chosen formats cannot hold: not positive, above 255 for the label
    /// map, above 999 for MOTS. Callers check the prompts' ids before tracking starts.
    public func checkObjectIDs(_ ids: [Int]) throws {
        for id in ids {
            guard id >= 1 else { throw TrackOutputError(path: folder, reason: "object id \(id): ids are positive whole numbers") }
            if options.formats.contains(.labelmap), id > 255 {
                throw TrackOutputError(path: folder, reason: "object id \(id): the label map is 8-bit and holds object ids 1...255")
            }
            if options.formats.contains(.mots), id > 999 {
                throw TrackOutputError(path: folder, reason: "object id \(id): MOTS ids are class * 1000 + object id, so object ids go up to 999")
            }
        }
    }

    // MARK: - Writing

    /// Writes one frame's outputs and records it as finished. Frames may come in any order; a
    /// frame written again is replaced.
    public func write(_ frame: TrackedFrame) throws {
        let (width, height) = (video.width, video.height)
        guard (0..<video.frameCount).contains(frame.index) else {
            throw TrackOutputError(path: folder, reason: "frame \(frame.index) is outside the source's \(video.frameCount) frames")
        }
        try checkObjectIDs(frame.objects.map(\.id))
        var ids = Set<Int>()
        for object in frame.objects {
            guard ids.insert(object.id).inserted else {
                throw TrackOutputError(path: folder, reason: "frame \(frame.index) lists object \(object.id) twice")
            }
            guard object.mask.width == width, object.mask.height == height else {
                throw TrackOutputError(path: folder, reason: "frame \(frame.index), object \(object.id): the mask is \(object.mask.width)x\(object.mask.height), the frames \(width)x\(height)")
            }
        }

        // The label map, and each object's part of it (what MOTS writes): later objects win.
        var labels = [UInt8](repeating: 0, count: width * height)
        var owner = [Int32](repeating: -1, count: width * height)
        for (position, object) in frame.objects.enumerated() {
            object.mask.bytes.withUnsafeBufferPointer { inside in
                for pixel in inside.indices where inside[pixel] != 0 {
                    owner[pixel] = Int32(position)
                    labels[pixel] = UInt8(truncatingIfNeeded: object.id)
                }
            }
        }

        let files = StagedFiles()
        var objectStates: [[String: Any]] = []
        for (position, object) in frame.objects.enumerated() {
            if options.formats.contains(.png) {
                try AtomicFileWriter.createFolder(path(String(object.id)))
                let png = try PNGWriter(gray8: object.mask.grayBytes, width: width, height: height).encodePNG()
                try files.stage(png, at: maskPath(object: object.id, frame: frame.index))
            }
            let exclusive = BinaryMask(width: width, height: height, bytes: owner.map { $0 == Int32(position) ? 1 : 0 })
            var state: [String: Any] = [
                "id": object.id,
                "score": Double(object.score),
                "area": object.mask.area,
                "counts": RLE(mask: object.mask).compressedString,
                "mots_counts": RLE(mask: exclusive).compressedString,
                "mots_area": exclusive.area,
            ]
            if let box = object.mask.boundingBox { state["bbox"] = box.cocoArray }
            objectStates.append(state)
        }
        if options.formats.contains(.labelmap) {
            try AtomicFileWriter.createFolder(path(Self.labelMapFolderName))
            let png = try PNGWriter(gray8: labels, width: width, height: height).encodePNG()
            try files.stage(png, at: labelMapPath(frame: frame.index))
        }
        let state: [String: Any] = ["frame": frame.index, "file_name": video.frameName(frame.index), "objects": objectStates]
        try files.stage(try json(state), at: statePath(frame: frame.index))
        try files.commit()

        finishedFrames.insert(frame.index)
        try writeProgress()
    }

    /// Writes the whole-video files (COCO, MOTS) from every finished frame. May be called again
    /// after more frames, and by a later run that found every frame finished.
    public func finish() throws {
        let wantsCOCO = options.formats.contains(.coco), wantsMOTS = options.formats.contains(.mots)
        guard wantsCOCO || wantsMOTS else { return }
        var images: [[String: Any]] = []
        var annotations: [[String: Any]] = []
        var mots = ""
        let classID = options.motsClassID
        for index in finishedFrames.sorted() {
            let state = try readState(frame: index)
            images.append(["id": index + 1, "file_name": state.fileName, "width": video.width, "height": video.height,
                           "frame_index": index])
            for object in state.objects {
                if wantsCOCO, object.area > 0, let box = object.bbox {
                    annotations.append([
                        "id": annotations.count + 1,
                        "image_id": index + 1,
                        "category_id": 1,
                        "track_id": object.id,
                        "segmentation": ["size": [video.height, video.width], "counts": object.counts] as [String: Any],
                        "area": object.area,
                        "bbox": box,
                        "iscrowd": 0,
                        "score": 1 / (1 + exp(-object.score)),
                        "object_score_logit": object.score,
                    ])
                }
                if wantsMOTS, object.motsArea > 0 {
                    mots += "\(index) \(classID * 1000 + object.id) \(classID) \(video.height) \(video.width) \(object.motsCounts)\n"
                }
            }
        }
        if wantsCOCO {
            let document: [String: Any] = [
                "info": ["description": "samterm track", "frame_count": video.frameCount] as [String: Any],
                "licenses": [Any](),
                "images": images,
                "annotations": annotations,
                "categories": [["id": 1, "name": options.categoryName, "supercategory": ""] as [String: Any]],
            ]
            try AtomicFileWriter.write(try json(document), to: cocoPath)
        }
        if wantsMOTS { try AtomicFileWriter.write(Array(mots.utf8), to: motsPath) }
    }

    // MARK: - State files

    private struct ObjectState {
        let id: Int
        let score: Double
        let area: Int
        let bbox: [Int]?
        let counts: String
        let motsCounts: String
        let motsArea: Int
    }

    private func readState(frame index: Int) throws -> (fileName: String, objects: [ObjectState]) {
        let path = statePath(frame: index)
        func broken(_ why: String) -> TrackOutputError {
            TrackOutputError(path: path, reason: "\(why); remove it (and the frame from \(Self.progressFileName)'s ranges) to write frame \(index) again")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw broken("cannot read the frame's state") }
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              document["frame"] as? Int == index, let fileName = document["file_name"] as? String,
              let objects = document["objects"] as? [[String: Any]] else {
            throw broken("not the state of frame \(index)")
        }
        let states = try objects.map { object -> ObjectState in
            guard let id = object["id"] as? Int, let score = (object["score"] as? NSNumber)?.doubleValue,
                  let area = object["area"] as? Int, let counts = object["counts"] as? String,
                  let motsCounts = object["mots_counts"] as? String, let motsArea = object["mots_area"] as? Int else {
                throw broken("an object's state is incomplete")
            }
            return ObjectState(id: id, score: score, area: area, bbox: object["bbox"] as? [Int], counts: counts,
                               motsCounts: motsCounts, motsArea: motsArea)
        }
        return (fileName, states)
    }

    // MARK: - progress.json

    private func progressDocument() -> [String: Any] {
        [
            "format": Self.progressFormat,
            "version": 1,
            "width": video.width,
            "height": video.height,
            "frame_count": video.frameCount,
            "formats": options.formats.map(\.rawValue),
            "mots_class_id": options.motsClassID,
            "category": options.categoryName,
            "run": options.run,
            "finished": Self.ranges(finishedFrames).map { [$0.lowerBound, $0.upperBound] },
        ]
    }

    private func writeProgress() throws {
        try AtomicFileWriter.write(try json(progressDocument()), to: progressPath)
    }

    /// The finished frames an earlier run recorded, or nil when there is no progress.json.
    private func readProgress() throws -> Set<Int>? {
        let path = progressPath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let advice = "choose another output folder, or remove it to start again"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrackOutputError(path: path, reason: "cannot read the progress of an earlier run; \(advice)")
        }
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              document["format"] as? String == Self.progressFormat, let ranges = document["finished"] as? [[Int]] else {
            throw TrackOutputError(path: path, reason: "not a samterm tracking progress file; \(advice)")
        }
        var differences: [String] = []
        let width = document["width"] as? Int, height = document["height"] as? Int
        if width != video.width || height != video.height {
            differences.append("its frames are \(width.map(String.init) ?? "?")x\(height.map(String.init) ?? "?"), these \(video.width)x\(video.height)")
        }
        if let count = document["frame_count"] as? Int, count != video.frameCount {
            differences.append("its source has \(count) frames, this one \(video.frameCount)")
        }
        let formats = document["formats"] as? [String] ?? []
        if formats != options.formats.map(\.rawValue) {
            differences.append("it wrote --format \(formats.joined(separator: ",")), this run \(options.formats.map(\.rawValue).joined(separator: ","))")
        }
        if document["mots_class_id"] as? Int != options.motsClassID || document["category"] as? String != options.categoryName {
            differences.append("its classes differ")
        }
        if document["run"] as? String != options.run {
            differences.append("it tracked other prompts, another model or other options")
        }
        if !differences.isEmpty {
            throw TrackOutputError(path: path, reason: "the folder holds another run (\(differences.joined(separator: "; "))); \(advice)")
        }
        var frames = Set<Int>()
        for range in ranges {
            guard range.count == 2, range[0] >= 0, range[0] <= range[1], range[1] < video.frameCount else {
                throw TrackOutputError(path: path, reason: "a finished range \(range) is not within frames 0...\(video.frameCount - 1); \(advice)")
            }
            frames.formUnion(range[0]...range[1])
        }
        return frames
    }

    /// Runs of consecutive numbers, ascending.
    static func ranges(_ numbers: Set<Int>) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for number in numbers.sorted() {
            if let last = result.last, last.upperBound + 1 == number {
                result[result.count - 1] = last.lowerBound...number
            } else {
                result.append(number...number)
            }
        }
        return result
    }

    private func json(_ object: Any) throws -> [UInt8] {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }
}
