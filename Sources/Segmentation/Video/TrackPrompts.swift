// The prompts of `samterm track --prompts FILE.json`: a JSON array of entries
//
//   [ {"frame": 0, "object": 1, "points": [[210, 350], [250, 220]], "labels": [1, 0]},
//     {"frame": 0, "object": 2, "box": [300, 0, 500, 400]},
//     {"frame": 40, "object": 1, "points": [[460, 60]], "labels": [1], "box": [400, 10, 520, 130]} ]
//
// `frame` is a source frame number (from 0), `object` a positive whole number naming the
// object across frames; `points` ([x, y] in pixels of the frame) and `labels` (1 foreground,
// 0 background, one per point) come together, `box` is [x0, y0, x1, y1]; an entry has points,
// a box or both. One entry per frame and object: its points and box are that frame's prompt
// for the object, as one add_new_points_or_box call of the official video predictor. Any other
// key is refused, so a misspelt one ("point") is not silently ignored. Errors name the file,
// the entry (counted from 1) and the reason.

import Foundation

public struct TrackPrompt: Equatable, Sendable {
    public var frame: Int
    public var object: Int
    /// Labels `.foreground` or `.background` only.
    public var points: [PromptPoint]
    public var box: PromptBox?
    /// Where it stands in the file, counted from 1, for messages.
    public var entry: Int

    public init(frame: Int, object: Int, points: [PromptPoint] = [], box: PromptBox? = nil, entry: Int = 0) {
        self.frame = frame
        self.object = object
        self.points = points
        self.box = box
        self.entry = entry
    }
}

public struct TrackPromptError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    /// The entry at fault, counted from 1; nil when the file as a whole is.
    public let entry: Int?
    public let reason: String

    public init(path: String, entry: Int?, reason: String) {
        self.path = path
        self.entry = entry
        self.reason = reason
    }

    public var description: String {
        entry.map { "\(path), entry \($0): \(reason)" } ?? "\(path): \(reason)"
    }
}

public enum TrackPrompts {
    public static let keys: Set<String> = ["frame", "object", "points", "labels", "box"]

    /// Reads and checks the file; the prompts in file order.
    public static func read(path: String) throws -> [TrackPrompt] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw TrackPromptError(path: path, entry: nil, reason: "no such file")
        }
        guard !isFolder.boolValue else { throw TrackPromptError(path: path, entry: nil, reason: "a folder, not a prompts file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrackPromptError(path: path, entry: nil, reason: "cannot read the file")
        }
        return try parse(data, path: path)
    }

    /// Parses the bytes of a prompts file; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> [TrackPrompt] {
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw TrackPromptError(path: path, entry: nil, reason: "not valid JSON (\(detail))")
        }
        guard let entries = document as? [Any] else {
            throw TrackPromptError(path: path, entry: nil, reason: "expected a JSON array of {\"frame\", \"object\", \"points\", \"labels\", \"box\"} entries")
        }
        guard !entries.isEmpty else { throw TrackPromptError(path: path, entry: nil, reason: "the array holds no prompts") }
        var prompts: [TrackPrompt] = []
        var seen: [FrameObject: Int] = [:]
        for (offset, value) in entries.enumerated() {
            let entry = offset + 1
            func failure(_ reason: String) -> TrackPromptError { TrackPromptError(path: path, entry: entry, reason: reason) }
            guard let fields = value as? [String: Any] else { throw failure("not an object") }
            if let unknown = fields.keys.filter({ !keys.contains($0) }).sorted().first {
                throw failure("unknown key \"\(unknown)\" (an entry has frame, object, points, labels and box)")
            }
            guard let frameValue = fields["frame"] else { throw failure("no \"frame\"") }
            guard let frame = wholeNumber(frameValue), frame >= 0 else {
                throw failure("\"frame\" must be a frame number (a whole number from 0), not \(show(frameValue))")
            }
            guard let objectValue = fields["object"] else { throw failure("no \"object\"") }
            guard let object = wholeNumber(objectValue), object >= 1 else {
                throw failure("\"object\" must be a positive whole number, not \(show(objectValue))")
            }
            var points: [PromptPoint] = []
            switch (fields["points"], fields["labels"]) {
            case (nil, nil):
                break
            case (.some, nil):
                throw failure("\"points\" needs \"labels\" (1 foreground, 0 background), one per point")
            case (nil, .some):
                throw failure("\"labels\" without \"points\"")
            case (.some(let pointsValue), .some(let labelsValue)):
                guard let list = pointsValue as? [Any] else { throw failure("\"points\" must be a list of [x, y]") }
                guard let labels = labelsValue as? [Any] else { throw failure("\"labels\" must be a list of 1 (foreground) and 0 (background)") }
                guard labels.count == list.count else {
                    throw failure("\"labels\" has \(labels.count) value\(labels.count == 1 ? "" : "s") for \(list.count) point\(list.count == 1 ? "" : "s"): one label per point")
                }
                for (index, item) in list.enumerated() {
                    guard let pair = item as? [Any], pair.count == 2, let x = number(pair[0]), let y = number(pair[1]) else {
                        throw failure("point \(index + 1) must be [x, y] (two numbers), not \(show(item))")
                    }
                    guard let label = wholeNumber(labels[index]), label == 0 || label == 1 else {
                        throw failure("label \(index + 1) must be 1 (foreground) or 0 (background), not \(show(labels[index]))")
                    }
                    points.append(PromptPoint(x: Float(x), y: Float(y), label: label == 1 ? .foreground : .background))
                }
            }
            var box: PromptBox?
            if let boxValue = fields["box"] {
                guard let list = boxValue as? [Any], list.count == 4 else {
                    throw failure("\"box\" must be [x0, y0, x1, y1], not \(show(boxValue))")
                }
                let corners = list.compactMap(number)
                guard corners.count == 4 else { throw failure("\"box\" must be four numbers [x0, y0, x1, y1], not \(show(boxValue))") }
                guard corners[2] > corners[0], corners[3] > corners[1] else {
                    throw failure("\"box\" [x0, y0, x1, y1] needs x1 > x0 and y1 > y0, not \(show(boxValue))")
                }
                box = PromptBox(x0: Float(corners[0]), y0: Float(corners[1]), x1: Float(corners[2]), y1: Float(corners[3]))
            }
            guard !points.isEmpty || box != nil else {
                throw failure("no prompt: give \"points\" with \"labels\", a \"box\", or both")
            }
            let key = FrameObject(frame: frame, object: object)
            if let earlier = seen[key] {
                throw failure("frame \(frame) already has a prompt for object \(object) (entry \(earlier)): give its points and box in one entry")
            }
            seen[key] = entry
            prompts.append(TrackPrompt(frame: frame, object: object, points: points, box: box, entry: entry))
        }
        return prompts
    }

    /// Checks the prompts against the frames they are for: each frame must exist, and points
    /// and boxes must lie on it (edges included). `path` names the file in errors.
    public static func check(_ prompts: [TrackPrompt], path: String, frameCount: Int, width: Int, height: Int) throws {
        let (w, h) = (Float(width), Float(height))
        for prompt in prompts {
            func failure(_ reason: String) -> TrackPromptError { TrackPromptError(path: path, entry: prompt.entry, reason: reason) }
            guard prompt.frame < frameCount else {
                throw failure("frame \(prompt.frame) is past the last frame (the source has \(frameCount) frame\(frameCount == 1 ? "" : "s"), 0...\(frameCount - 1))")
            }
            for (index, point) in prompt.points.enumerated() where !(0...w).contains(point.x) || !(0...h).contains(point.y) {
                throw failure("point \(index + 1) (\(format(point.x)), \(format(point.y))) is off the \(width)x\(height) frame")
            }
            if let box = prompt.box, box.x0 < 0 || box.y0 < 0 || box.x1 > w || box.y1 > h {
                throw failure("the box [\(format(box.x0)), \(format(box.y0)), \(format(box.x1)), \(format(box.y1))] reaches outside the \(width)x\(height) frame")
            }
        }
    }

    private struct FrameObject: Hashable {
        let frame: Int
        let object: Int
    }

    /// JSON booleans come back as NSNumbers too; they are not numbers here.
    private static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private static func number(_ value: Any) -> Double? {
        guard !isBoolean(value), let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    private static func wholeNumber(_ value: Any) -> Int? {
        guard let double = number(value), double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    private static func show(_ value: Any) -> String {
        if isBoolean(value) { return (value as! NSNumber).boolValue ? "true" : "false" }
        if value is NSNull { return "null" }
        if let text = value as? String { return "\"\(text)\"" }
        if JSONSerialization.isValidJSONObject(value),
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
            let text = String(decoding: data, as: UTF8.self)
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        if let number = value as? NSNumber { return number.stringValue }
        return "\(value)"
    }

    private static func format(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }
}
