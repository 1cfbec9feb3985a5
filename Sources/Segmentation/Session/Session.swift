// The saved work on one image: which image (by content), which model, and per object every
// prediction its prompts went through, enough to recompute identical masks.
//
// File format (JSON, `version` 2; version 1, written before mask edits, reads as version 2
// without edits):
//
//   {
//     "format": "samterm-session",
//     "version": 1,
//     "image": { "path": "astronaut.jpg", "sha256": "9f86d0…", "width": 512, "height": 512 },
//     "model": "sam2.1_hiera_t",
//     "objects": [
//       { "id": 1, "name": "helmet", "color": "#e62828",
//         "steps": [
//           { "points": [ { "x": 250.5, "y": 120.5, "label": 1 } ],
//             "multimask": true, "maskInput": false, "candidate": 2 },
//           { "points": [ { "x": 250.5, "y": 120.5, "label": 1 }, { "x": 300.5, "y": 90.5, "label": 0 } ],
//             "box": [ 180, 60, 330, 210 ], "multimask": false, "maskInput": true, "candidate": 0 } ],
//           { "points": [ … the same … ], "box": [ 180, 60, 330, 210 ],
//             "multimask": false, "maskInput": true, "maskInputEdits": 1, "candidate": 0 } ],
//         "edits": [ { "op": "paint", "radius": 6, "path": [ [200.5, 150.5], [210.5, 152.5] ] } ],
//         "mask": { "counts": "<COCO compressed RLE>", "score": 0.947 } } ],
//     "noOverlaps": true,
//     "classes": [ "helmet", "glove" ],
//     "exports": [ "samterm-export/astronaut_mask_01_helmet.png", "samterm-export/astronaut_coco.json" ]
//   }
//
// Datasets add to an object `class` (its class; exports fall back to the name), `base` (a mask
// from outside, `samterm import`: { "counts": RLE, "polygons": [[x0, y0, ...]], "source": ... };
// the object's mask while it has no step, and what a first step with `maskInput` refines) and
// `confidence` (a detector's score, `segment --boxes`); to the session `classes` (a fixed class
// list, in id order) and `classIDs` (their COCO category ids when not 1...n). A session whose
// objects have no step depends on no model: `model` is then "" or any model's, and it opens
// with any.
//
// `image.path` is relative to the session file's folder when the session sits beside the image,
// absolute otherwise. Each step is one prediction, exactly as it was asked of the model (see
// SessionReplay.swift for the protocol); the last step's `candidate` and `multimask` are the
// object's chosen candidate and multimask state. `mask` is the resulting full-size mask, kept
// so exports need no model; replaying the steps and applying the edits gives it back. `edits`
// (optional) are the object's brush strokes and clean-ups (MaskEdit), applied in order over the
// last step's kept candidate: they are a layer over the predictions, kept when a later step
// re-predicts (an object may have edits and no step: a mask painted from nothing). A step with
// `maskInputEdits` N took as its mask input the previous step's kept candidate with the first N
// edits applied (refining from the edited mask; SessionReplay). `noOverlaps` (optional, false
// when absent) makes each object's exported mask leave out the pixels of the objects before it. `exports` (optional; sessions
// written before it have none) lists the files the image's last export wrote, relative to the
// session file's folder when they lie below it, absolute otherwise: samterm removes them when a
// new export replaces them, and never lists them as images (SessionStore.recordedExports).

import Foundation

public struct Session: Codable, Equatable, Sendable {
    /// The format written by this version of samterm; files with a larger number are refused.
    public static let currentVersion = 2
    public static let formatName = "samterm-session"

    public var format: String = Session.formatName
    public var version: Int = Session.currentVersion
    public var image: ImageReference
    /// The model the masks came from, as the engine names it ("sam2.1_hiera_t").
    public var model: String
    public var objects: [Object]
    /// Each object's mask leaves out the pixels of the objects before it (the first wins).
    public var noOverlaps: Bool?
    /// The class list the image is annotated with (`--classes`), in id order; nil when classes
    /// are free names.
    public var classes: [String]?
    /// The COCO category ids of `classes`, kept from an imported dataset that numbers them
    /// otherwise than 1...n (nil: 1...n).
    public var classIDs: [Int]?

    /// The session's class list (fixed), or nil when classes are free names.
    public var classList: ClassList? {
        classes.map { ClassList(names: $0, fixed: true, cocoIDs: classIDs) }
    }
    /// The files the image's last export wrote (see the format above); nil when none is known.
    public var exports: [String]?

    public init(image: ImageReference, model: String, objects: [Object] = [], noOverlaps: Bool = false,
                exports: [String]? = nil) {
        self.image = image
        self.model = model
        self.objects = objects
        self.noOverlaps = noOverlaps ? true : nil
        self.exports = exports
    }

    public struct ImageReference: Codable, Equatable, Sendable {
        public var path: String
        /// SHA-256 of the image file's bytes, lowercase hex.
        public var sha256: String
        public var width: Int
        public var height: Int

        public init(path: String, sha256: String, width: Int, height: Int) {
            self.path = path
            self.sha256 = sha256
            self.width = width
            self.height = height
        }
    }

    public struct Point: Codable, Equatable, Sendable {
        /// Original-image pixel coordinates; the centre of the top-left pixel is (0.5, 0.5).
        public var x: Double
        public var y: Double
        /// 1 foreground, 0 background (SAM's point labels).
        public var label: Int

        public init(x: Double, y: Double, label: Int) {
            self.x = x
            self.y = y
            self.label = label
        }

        public init(x: Double, y: Double, foreground: Bool) {
            self.init(x: x, y: y, label: foreground ? 1 : 0)
        }

        public var isForeground: Bool { label == 1 }
    }

    /// A box prompt in original-image pixels, x0 <= x1 and y0 <= y1; stored as [x0, y0, x1, y1].
    public struct Box: Codable, Equatable, Sendable {
        public var x0: Double
        public var y0: Double
        public var x1: Double
        public var y1: Double

        public init(x0: Double, y0: Double, x1: Double, y1: Double) {
            self.x0 = min(x0, x1)
            self.y0 = min(y0, y1)
            self.x1 = max(x0, x1)
            self.y1 = max(y0, y1)
        }

        public init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            let values = try (0..<4).map { _ in try container.decode(Double.self) }
            guard container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a box has four numbers")
            }
            self.init(x0: values[0], y0: values[1], x1: values[2], y1: values[3])
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(contentsOf: [x0, y0, x1, y1])
        }
    }

    /// One prediction: the whole prompt it was given, and the candidate the user kept from it.
    public struct Step: Codable, Equatable, Sendable {
        /// Every point of the prompt, in the order they were placed.
        public var points: [Point]
        public var box: Box?
        /// Three candidates (true) or one.
        public var multimask: Bool
        /// Whether the previous step's kept candidate's low-resolution logits were fed back as
        /// SAM's mask input (never for the first step).
        public var maskInput: Bool
        /// Set when the mask input was made from the edited mask (refining after brush strokes
        /// or clean-ups): the previous step's kept candidate with the object's first N edits
        /// applied, instead of that candidate's logits.
        public var maskInputEdits: Int?
        /// Index of the candidate kept (0 when multimask is off); its logits feed the next step.
        public var candidate: Int

        public init(points: [Point], box: Box? = nil, multimask: Bool, maskInput: Bool, maskInputEdits: Int? = nil,
                    candidate: Int) {
            self.points = points
            self.box = box
            self.multimask = multimask
            self.maskInput = maskInput
            self.maskInputEdits = maskInputEdits
            self.candidate = candidate
        }
    }

    /// A mask as computed, COCO-RLE compressed at the image's size.
    public struct StoredMask: Codable, Equatable, Sendable {
        public var counts: String
        /// The model's predicted IoU for the kept candidate.
        public var score: Double

        public init(counts: String, score: Double) {
            self.counts = counts
            self.score = score
        }

        public init(mask: BinaryMask, score: Double) {
            self.init(counts: RLE(mask: mask).compressedString, score: score)
        }

        public func decode(width: Int, height: Int) throws -> BinaryMask {
            try RLE(compressed: counts, height: height, width: width).decode()
        }
    }

    /// A mask that came from outside (an imported annotation): the object's mask before any
    /// step or edit of samterm's.
    public struct BaseMask: Codable, Equatable, Sendable {
        /// COCO compressed RLE at the image's size.
        public var counts: String
        /// The source's polygons in pixel coordinates ([x0, y0, x1, y1, ...] each), when it had
        /// polygons: polygon formats write them back unchanged while the mask is the base.
        public var polygons: [[Double]]?
        /// Where it came from, for people: "annotations.json, annotation 17".
        public var source: String?

        public init(counts: String, polygons: [[Double]]? = nil, source: String? = nil) {
            self.counts = counts
            self.polygons = polygons
            self.source = source
        }

        public init(mask: BinaryMask, polygons: [[Double]]? = nil, source: String? = nil) {
            self.init(counts: RLE(mask: mask).compressedString, polygons: polygons, source: source)
        }

        public func decode(width: Int, height: Int) throws -> BinaryMask {
            try RLE(compressed: counts, height: height, width: width).decode()
        }
    }

    public struct Object: Codable, Equatable, Sendable {
        /// Stable within the image; numbers the object in the editor.
        public var id: Int
        /// What the user called it.
        public var name: String?
        /// Its class (JSON "class"); dataset exports use it, else the name (COCOWriter.categoryName).
        public var category: String?
        public var color: RGBColor
        /// A mask from outside (an import): the object's mask while it has no step; a first step
        /// with `maskInput` refines from it (SessionReplay).
        public var base: BaseMask?
        /// A detector's confidence, for objects made from detection boxes.
        public var confidence: Double?
        public var steps: [Step]
        /// Brush strokes and clean-ups over the last step's kept candidate (or the base mask), in order.
        public var edits: [MaskEdit]
        /// The final mask (edits applied).
        public var mask: StoredMask?

        public init(id: Int, name: String? = nil, category: String? = nil, color: RGBColor, base: BaseMask? = nil,
                    confidence: Double? = nil, steps: [Step] = [], edits: [MaskEdit] = [], mask: StoredMask? = nil) {
            self.id = id
            self.name = name
            self.category = category
            self.color = color
            self.base = base
            self.confidence = confidence
            self.steps = steps
            self.edits = edits
            self.mask = mask
        }

        private enum CodingKeys: String, CodingKey {
            case id, name, category = "class", color, base, confidence, steps, edits, mask
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(Int.self, forKey: .id)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            category = try container.decodeIfPresent(String.self, forKey: .category)
            color = try container.decode(RGBColor.self, forKey: .color)
            base = try container.decodeIfPresent(BaseMask.self, forKey: .base)
            confidence = try container.decodeIfPresent(Double.self, forKey: .confidence)
            steps = try container.decode([Step].self, forKey: .steps)
            edits = try container.decodeIfPresent([MaskEdit].self, forKey: .edits) ?? []
            mask = try container.decodeIfPresent(StoredMask.self, forKey: .mask)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encodeIfPresent(name, forKey: .name)
            try container.encodeIfPresent(category, forKey: .category)
            try container.encode(color, forKey: .color)
            try container.encodeIfPresent(base, forKey: .base)
            try container.encodeIfPresent(confidence, forKey: .confidence)
            try container.encode(steps, forKey: .steps)
            if !edits.isEmpty { try container.encode(edits, forKey: .edits) }
            try container.encodeIfPresent(mask, forKey: .mask)
        }

        /// Whether the object has a mask to show or export: a base, a prediction or an edit.
        public var isEmpty: Bool { base == nil && steps.isEmpty && edits.isEmpty }

        /// The class it is exported as: its class, else its name, else "object".
        public var className: String {
            for candidate in [category, name] {
                if let text = candidate?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty { return text }
            }
            return "object"
        }

        /// Whether the object's mask is still its base as imported (no step, no edit).
        public var isBaseOnly: Bool { base != nil && steps.isEmpty && edits.isEmpty }

        public var displayName: String { name ?? "object \(id)" }
        /// The prompt currently applied: the last step's points and box.
        public var points: [Point] { steps.last?.points ?? [] }
        public var box: Box? { steps.last?.box }
        public var chosenCandidate: Int? { steps.last?.candidate }
        public var multimask: Bool? { steps.last?.multimask }
    }
}

extension Session {
    /// The model name of a session no model has predicted for yet (`samterm import` writes it).
    public static let noModel = ""

    /// True when no object has a prediction: the masks are bases and edits only, the same
    /// whatever the model.
    public var isModelIndependent: Bool { objects.allSatisfy { $0.steps.isEmpty } }

    /// Problems with a decoded session that JSON decoding alone does not catch, each naming
    /// the object and step; empty when the session is usable.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        if format != Session.formatName { problems.append("\"format\" is \"\(format)\", not \"\(Session.formatName)\"") }
        if image.width <= 0 || image.height <= 0 { problems.append("image size \(image.width)x\(image.height) is not positive") }
        if image.sha256.count != 64 || !image.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            problems.append("image sha256 \"\(image.sha256)\" is not 64 lowercase hex digits")
        }
        var seenIDs = Set<Int>()
        for (objectIndex, object) in objects.enumerated() {
            let where_ = "object \(objectIndex + 1) (id \(object.id))"
            if !seenIDs.insert(object.id).inserted { problems.append("\(where_): id repeats an earlier object's") }
            for (stepIndex, step) in object.steps.enumerated() {
                let at = "\(where_), step \(stepIndex + 1)"
                if step.points.isEmpty && step.box == nil { problems.append("\(at): no point and no box") }
                for point in step.points {
                    if !point.x.isFinite || !point.y.isFinite { problems.append("\(at): point coordinates are not finite") }
                    if point.label != 0 && point.label != 1 { problems.append("\(at): point label \(point.label) is not 0 or 1") }
                }
                if let box = step.box, ![box.x0, box.y0, box.x1, box.y1].allSatisfy(\.isFinite) {
                    problems.append("\(at): box coordinates are not finite")
                }
                let candidates = step.multimask ? 3 : 1
                if step.candidate < 0 || step.candidate >= candidates {
                    problems.append("\(at): candidate \(step.candidate) is not among the \(candidates) a prediction gives")
                }
                if stepIndex == 0 && step.maskInput && object.base == nil {
                    problems.append("\(at): the first step has no earlier mask to feed back")
                }
                if let count = step.maskInputEdits {
                    if !step.maskInput { problems.append("\(at): maskInputEdits without maskInput") }
                    if count < 0 || count > object.edits.count {
                        problems.append("\(at): maskInputEdits \(count) is not among the object's \(object.edits.count) edits")
                    }
                }
            }
            for (editIndex, edit) in object.edits.enumerated() {
                if let problem = edit.problem { problems.append("\(where_), edit \(editIndex + 1): \(problem)") }
            }
            if let mask = object.mask {
                if image.width > 0 && image.height > 0 {
                    do { _ = try RLE(compressed: mask.counts, height: image.height, width: image.width) } catch {
                        problems.append("\(where_): stored mask: \(error)")
                    }
                }
                if !mask.score.isFinite { problems.append("\(where_): stored mask score is not finite") }
            }
            if let base = object.base, image.width > 0 && image.height > 0 {
                do { _ = try RLE(compressed: base.counts, height: image.height, width: image.width) } catch {
                    problems.append("\(where_): base mask: \(error)")
                }
                if let polygons = base.polygons, polygons.contains(where: { $0.count % 2 != 0 || !$0.allSatisfy(\.isFinite) }) {
                    problems.append("\(where_): base polygons must hold finite x, y pairs")
                }
            }
            if let confidence = object.confidence, !confidence.isFinite {
                problems.append("\(where_): confidence is not finite")
            }
        }
        return problems
    }
}
