// Which frames of a source a run uses: `--range A:B` (A included, B excluded, either left out:
// ":B" from the first frame, "A:" to the last) and then `--every N` (every N-th frame of the
// range, starting with its first). Selected frame k is source frame start + k * step.

import Foundation

public struct FrameRange: Equatable, Sendable {
    public var start: Int?
    public var end: Int?

    public init(start: Int? = nil, end: Int? = nil) {
        self.start = start
        self.end = end
    }

    /// Reads "A:B", "A:" or ":B" (whole numbers, not negative); errors name `--range`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw FrameSelectionError(argument: "--range", value: text, reason: "expected START:END, START: or :END (frame numbers from 0, END excluded)")
        }
        func number(_ part: Substring, _ which: String) throws -> Int? {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard trimmed.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int(trimmed) else {
                throw FrameSelectionError(argument: "--range", value: text, reason: "the \(which) '\(trimmed)' is not a frame number (a whole number from 0)")
            }
            return value
        }
        start = try number(parts[0], "start")
        end = try number(parts[1], "end")
        if let start, let end, start >= end {
            throw FrameSelectionError(argument: "--range", value: text, reason: "the start must be below the end (the end frame is not included)")
        }
    }
}

public struct FrameSelectionError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The command-line option at fault ("--range", "--every").
    public let argument: String
    public let value: String
    public let reason: String

    public var description: String { "\(argument) \(value): \(reason)" }
}

public struct FrameSelection: Equatable, Sendable {
    /// The first source frame selected.
    public let start: Int
    /// One past the last source frame the range allows.
    public let end: Int
    public let step: Int

    /// Every frame of a source of `frameCount` frames.
    public init(frameCount: Int) {
        start = 0
        end = max(0, frameCount)
        step = 1
    }

    /// `range` and `every` checked against a source of `frameCount` frames. An end past the
    /// last frame is taken as the last frame (as Python's slices do); a start past it, or a
    /// selection of no frame, is an error naming the argument.
    public init(range: FrameRange? = nil, every: Int = 1, frameCount: Int) throws {
        guard every >= 1 else {
            throw FrameSelectionError(argument: "--every", value: "\(every)", reason: "must be a whole number of at least 1")
        }
        let start = range?.start ?? 0
        let end = min(range?.end ?? frameCount, frameCount)
        if let range, start >= frameCount {
            let text = "\(range.start.map(String.init) ?? ""):\(range.end.map(String.init) ?? "")"
            let frames = frameCount == 1 ? "1 frame (0)" : "\(frameCount) frames (0...\(frameCount - 1))"
            throw FrameSelectionError(argument: "--range", value: text, reason: "starts after the last frame: the source has \(frames)")
        }
        guard start < end else {
            throw FrameSelectionError(argument: "--range", value: "\(start):\(end)", reason: "selects no frame")
        }
        self.start = start
        self.end = end
        step = every
    }

    /// Parses the two options as typed (either may be absent) and checks them.
    public init(range rangeText: String?, every everyText: String?, frameCount: Int) throws {
        var every = 1
        if let everyText {
            let trimmed = everyText.trimmingCharacters(in: .whitespaces)
            guard trimmed.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int(trimmed), value >= 1 else {
                throw FrameSelectionError(argument: "--every", value: everyText, reason: "must be a whole number of at least 1")
            }
            every = value
        }
        let range = try rangeText.map { try FrameRange(parsing: $0) }
        try self.init(range: range, every: every, frameCount: frameCount)
    }

    /// How many frames are selected.
    public var count: Int { (end - start + step - 1) / step }

    /// The source frame of selected frame `selected` (0 ..< count).
    public func sourceIndex(_ selected: Int) -> Int {
        precondition(selected >= 0 && selected < count, "selected frame \(selected) is outside 0..<\(count)")
        return start + selected * step
    }

    /// The selected frame that is source frame `source`, or nil when it is not selected.
    public func selectedIndex(ofSource source: Int) -> Int? {
        guard source >= start, source < end, (source - start) % step == 0 else { return nil }
        return (source - start) / step
    }

    /// The selected source frames, in order.
    public var sourceIndices: [Int] { Array(stride(from: start, to: end, by: step)) }
}
