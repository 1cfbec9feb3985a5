// One `samterm track` run: the prompts given to a VideoTracker over the selected frames of a
// source, propagation in the chosen direction, and each frame handed to a TrackOutputWriter.
//
// A killed run resumes exactly, not cheaply: a frame's masks depend on the memories of the frames
// before it, which are not saved, so the next run tracks through the finished frames again and
// writes only the others (the outputs are those of an uninterrupted run).

import Foundation

public enum TrackDirection: String, CaseIterable, Sendable {
    /// From the earliest prompted frame to the last selected frame.
    case forward
    /// From the latest prompted frame back to the first selected frame.
    case backward
    /// Forward from the earliest prompted frame, then backward from it.
    case both
}

public final class TrackRun {
    public struct Summary: Equatable, Sendable {
        /// Frames the tracker went through (with the start frame of `both` counted once).
        public var tracked = 0
        /// Of those, frames written now (the others an earlier run had written).
        public var written = 0
    }

    public let tracker: VideoTracker
    public let selection: FrameSelection
    private let source: any FrameSource
    private let prompts: [TrackPrompt]
    /// The prompts' frames as the tracker numbers them (selected frames).
    private let promptFrames: [Int]

    /// Checks the prompts against the source and the selection (`promptsPath` names them in
    /// errors); returns their frames as the tracker numbers them.
    public static func check(_ prompts: [TrackPrompt], promptsPath: String, source: any FrameSource,
                             selection: FrameSelection) throws -> [Int] {
        guard !prompts.isEmpty else { throw TrackPromptError(path: promptsPath, entry: nil, reason: "no prompts") }
        try TrackPrompts.check(prompts, path: promptsPath, frameCount: source.frameCount, width: source.width,
                               height: source.height)
        return try prompts.map { prompt in
            guard let selected = selection.selectedIndex(ofSource: prompt.frame) else {
                throw TrackPromptError(path: promptsPath, entry: prompt.entry,
                                       reason: "frame \(prompt.frame) is not among the selected frames "
                                           + "(\(selection.start)..<\(selection.end) every \(selection.step))")
            }
            return selected
        }
    }

    /// Checks the prompts and makes the tracker (the model's video modules are read here);
    /// nothing is read from the source or tracked yet.
    public init(model: Model, source: any FrameSource, selection: FrameSelection, prompts: [TrackPrompt],
                promptsPath: String, options: VideoTracker.Options) throws {
        promptFrames = try Self.check(prompts, promptsPath: promptsPath, source: source, selection: selection)
        self.source = source
        self.selection = selection
        self.prompts = prompts
        let source = source, chosen = selection
        tracker = try VideoTracker(model: model, frameCount: selection.count, width: source.width, height: source.height,
                                   options: options) { try source.frame(at: chosen.sourceIndex($0)) }
    }

    /// A digest of what decides the outputs, for TrackOutputOptions.run: a folder holding another
    /// run's frames is refused rather than mixed.
    public static func fingerprint(source: any FrameSource, selection: FrameSelection, prompts: [TrackPrompt],
                                   model: String, direction: TrackDirection) -> String {
        var text = "samterm-track 1\nframes \(source.frameCount) \(source.width)x\(source.height) first \(source.name(of: 0))\n"
        text += "selection \(selection.start) \(selection.end) \(selection.step)\nmodel \(model)\ndirection \(direction.rawValue)\n"
        for prompt in prompts {
            text += "prompt \(prompt.frame) \(prompt.object)"
            for point in prompt.points { text += " p\(point.x),\(point.y),\(point.label == .foreground ? 1 : 0)" }
            if let box = prompt.box { text += " b\(box.x0),\(box.y0),\(box.x1),\(box.y1)" }
            text += "\n"
        }
        return SHA256.hexDigest(of: Data(text.utf8))
    }

    /// Frames this run will go through.
    public func frameCount(_ direction: TrackDirection) -> Int {
        let first = promptFrames.min()!, last = promptFrames.max()!
        switch direction {
        case .forward: return selection.count - first
        case .backward: return last + 1
        case .both: return selection.count
        }
    }

    /// Gives the prompts, propagates and writes each frame `writer` does not have yet. `onFrame`
    /// gets the source frame and whether it was written now; it returns false to stop
    /// (EngineError .cancelled is thrown, the frames done stay written).
    @discardableResult
    public func run(_ direction: TrackDirection, writer: TrackOutputWriter,
                    onFrame: (_ frame: Int, _ written: Bool) -> Bool = { _, _ in true }) throws -> Summary {
        try writer.checkObjectIDs(prompts.map(\.object))
        for (prompt, frame) in zip(prompts, promptFrames) {
            let points = prompt.points.map { (x: $0.x, y: $0.y, foreground: $0.label == .foreground) }
            let box = prompt.box.map { ($0.x0, $0.y0, $0.x1, $0.y1) }
            _ = try tracker.addPoints(frame: frame, object: prompt.object, points: points, box: box)
        }
        var summary = Summary()
        var failure: Error?
        let first = promptFrames.min()!
        let handle: (VideoFrameMasks) -> Bool = { masks in
            let index = self.selection.sourceIndex(masks.frame)
            if summary.tracked > 0, direction == .both, masks.frame == first, writer.isFinished(index) {
                return true  // the start frame again, going back
            }
            summary.tracked += 1
            var written = false
            if !writer.isFinished(index) {
                do {
                    try writer.write(TrackedFrame(index: index, objects: masks.objects.map {
                        TrackedObject(id: $0.id, mask: $0.mask, score: $0.score)
                    }))
                    written = true
                    summary.written += 1
                } catch {
                    failure = error
                    return false
                }
            }
            return onFrame(index, written)
        }
        do {
            switch direction {
            case .forward: try tracker.propagate(from: first, onFrame: handle)
            case .backward: try tracker.propagate(from: promptFrames.max()!, reverse: true, onFrame: handle)
            case .both:
                try tracker.propagate(from: first, onFrame: handle)
                try tracker.propagate(from: first, reverse: true, onFrame: handle)
            }
        } catch let error as EngineError where error.status == .cancelled && failure != nil {
            throw failure!
        }
        try writer.finish()
        return summary
    }
}
