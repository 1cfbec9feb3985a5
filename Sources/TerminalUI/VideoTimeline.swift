// The editor's video (`edit --video`): the objects tracked through the clip, each object's
// prompt per frame, the operations in the order made (the tracker's memory is rebuilt from
// them), every frame's masks, and undo. A pure value; Update+Video drives it, the frames are the
// editor's images, and each frame's objects are shown from here.
import Segmentation

public struct VideoTimeline: Sendable {
    public struct Track: Sendable {
        public var id: Int
        public var name: String?
        public var colorIndex: Int
        public var color: RGBColor
    }

    /// An object's mask on a frame, at the video's size, kept as RLE (a long video's masks stay small).
    public struct FrameMask: Sendable {
        public var rle: RLE
        /// The tracker's object score logit (negative: the object is not in the frame).
        public var score: Float
        /// A prompt on an earlier frame made it out of date.
        public var stale: Bool
    }

    /// A propagation under way: where from, how far it has come.
    public struct Propagation: Sendable {
        public var requestID: Int
        public var from: Int
        public var reverse: Bool
        public var total: Int
        public var done = 0
        public var startedAt: Double
        public var cancelling = false
        /// The tracker's memory is being rebuilt first (after an undo or a reopened session).
        public var rebuilding = false
    }

    /// What undo and redo restore.
    struct Snapshot: Sendable {
        var label: String
        var tracks: [Track]
        var nextObjectID: Int
        var prompts: [Int: [Int: Prompt]]
        var masks: [Int: [Int: FrameMask]]
        var operations: [VideoOperation]
    }

    public let source: String
    public let frameCount: Int
    public let width: Int
    public let height: Int
    public var tracks: [Track] = []
    public var currentObjectID: Int?
    public var nextObjectID = 1
    /// frame -> object -> its prompt there.
    public var prompts: [Int: [Int: Prompt]] = [:]
    /// frame -> object -> its mask there.
    public var masks: [Int: [Int: FrameMask]] = [:]
    public var operations: [VideoOperation] = []
    public var propagation: Propagation?
    /// The prompt request in flight, if any.
    public var pendingPrompt: Int?
    /// The model the session's masks came from; nil until the model loaded. Saving stays off
    /// while it differs from the model loaded (`savingRefused` says why).
    public var sessionModel: String?
    public var savingRefused: String?
    var undoStack: [Snapshot] = []
    var redoStack: [Snapshot] = []

    public init(source: String, frameCount: Int, width: Int, height: Int) {
        self.source = source
        self.frameCount = frameCount
        self.width = width
        self.height = height
    }

    public var currentTrack: Track? { tracks.first { $0.id == currentObjectID } }

    public var isBusy: Bool { propagation != nil || pendingPrompt != nil }

    // MARK: - Changes

    /// A new object, made current.
    mutating func addTrack() -> Track {
        let index = (tracks.map(\.colorIndex).max() ?? -1) + 1
        let track = Track(id: nextObjectID, name: nil, colorIndex: index, color: ObjectPalette.color(at: index))
        nextObjectID += 1
        tracks.append(track)
        currentObjectID = track.id
        return track
    }

    /// Records an undo point before a change.
    mutating func remember(_ label: String) {
        undoStack.append(snapshot(label))
        if undoStack.count > 50 { undoStack.removeFirst() }
        redoStack.removeAll()
    }

    /// Sets `object`'s prompt on `frame`, marking its masks on the frames after it stale until
    /// propagated again (they were tracked without the correction).
    mutating func setPrompt(_ prompt: Prompt, frame: Int, object: Int) {
        prompts[frame, default: [:]][object] = prompt
        operations.append(.prompt(frame: frame, object: object, points: prompt.points, box: prompt.box))
        for (other, objects) in masks where other > frame && objects[object] != nil {
            masks[other]?[object]?.stale = true
        }
    }

    /// The tracker's answer for one frame: its masks replace the ones there, no longer stale.
    mutating func receive(frame: Int, objects: [(id: Int, rle: RLE, score: Float)]) {
        for object in objects {
            masks[frame, default: [:]][object.id] = FrameMask(rle: object.rle, score: object.score, stale: false)
        }
    }

    /// Ends the propagation; a stopped one is recorded as far as it came (the memory rebuilt
    /// later must be the one the shown masks came from).
    mutating func endPropagation(framesDone: Int) {
        guard propagation != nil else { return }
        propagation = nil
        guard let last = operations.last, case .propagate = last else { return }
        operations.removeLast()
        // The worker keeps its operation the same way (PredictorWorker+Video).
        if let kept = last.stopped(after: framesDone, frameCount: frameCount) { operations.append(kept) }
    }

    /// Undo (or redo): the label of what was taken back, nil when there is nothing.
    mutating func step(undo: Bool) -> String? {
        guard let restored = undo ? undoStack.popLast() : redoStack.popLast() else { return nil }
        if undo { redoStack.append(snapshot(restored.label)) } else { undoStack.append(snapshot(restored.label)) }
        tracks = restored.tracks
        nextObjectID = restored.nextObjectID
        prompts = restored.prompts
        masks = restored.masks
        operations = restored.operations
        if !tracks.contains(where: { $0.id == currentObjectID }) { currentObjectID = tracks.last?.id }
        return restored.label
    }

    private func snapshot(_ label: String) -> Snapshot {
        Snapshot(label: label, tracks: tracks, nextObjectID: nextObjectID, prompts: prompts, masks: masks, operations: operations)
    }

    // MARK: - Sessions

    /// The timeline of a saved session (its objects, prompts, operations and masks).
    init(session: VideoSession) throws {
        self.init(source: session.source, frameCount: session.frames, width: session.width, height: session.height)
        tracks = session.objects.enumerated().map { index, object in
            Track(id: object.id, name: object.name, colorIndex: index, color: object.color)
        }
        nextObjectID = (tracks.map(\.id).max() ?? 0) + 1
        currentObjectID = tracks.first?.id
        operations = session.operations
        for operation in operations {
            if case .prompt(let frame, let object, let points, let box) = operation {
                prompts[frame, default: [:]][object] = Prompt(points: points, box: box)
            }
        }
        for mask in session.masks {
            let rle = try RLE(compressed: mask.counts, height: height, width: width)
            masks[mask.frame, default: [:]][mask.object] = FrameMask(rle: rle, score: mask.score, stale: mask.stale)
        }
        sessionModel = session.model
    }

    func session(model: String) -> VideoSession {
        VideoSession(source: source, frames: frameCount, width: width, height: height, model: model,
                     objects: tracks.map { VideoSession.Object(id: $0.id, name: $0.name, color: $0.color) },
                     operations: operations,
                     masks: masks.keys.sorted().flatMap { frame in
                         masks[frame]!.keys.sorted().map { object in
                             let mask = masks[frame]![object]!
                             return VideoSession.FrameMask(frame: frame, object: object, counts: mask.rle.compressedString,
                                                           score: mask.score, stale: mask.stale)
                         }
                     })
    }
}
