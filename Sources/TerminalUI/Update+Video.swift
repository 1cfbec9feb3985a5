// The editor on a video (`edit --video`): the frames are the images, the objects are tracked
// through them (VideoTimeline), clicks and boxes are prompts of the current object on the
// current frame, `t` / `T` propagate forward / backward from it, `<` `>` step frames (PageUp /
// PageDown ten), `u` takes back a prompt or a whole propagation.
import Segmentation

extension EditorState {
    /// The keys a video gives a meaning of their own; nil: the keymap's.
    mutating func videoKey(_ key: Key) -> [EditorEffect]? {
        guard let timeline = video, mode == .normal else { return nil }
        switch key {
        case .character("<"): return goToFrame(currentImage - 1)
        case .character(">"): return goToFrame(currentImage + 1)
        case .pageUp: return goToFrame(currentImage - 10)
        case .pageDown: return goToFrame(currentImage + 10)
        case .character("t"): return propagate(reverse: false)
        case .character("T"): return propagate(reverse: true)
        case .escape where timeline.propagation != nil: return stopPropagation()
        default: return nil
        }
    }

    /// The keymap's actions a video does its own way, or not yet; nil: as for an image.
    mutating func videoAction(_ action: EditorAction) -> [EditorEffect]? {
        guard video != nil else { return nil }
        switch action {
        case .undo, .redo: return stepVideoHistory(undo: action == .undo)
        case .acceptObject: return newVideoObject()
        case .previousObject, .nextObject: return cycleVideoObject(by: action == .nextObject ? 1 : -1)
        case .nextImage, .previousImage: return goToFrame(currentImage + (action == .nextImage ? 1 : -1))
        case .export:
            return say("A video's masks are saved as you work (\(VideoSession.path(forSource: video!.source))); "
                       + "write them as PNG, label maps, COCO or MOTS with: samterm export \(video!.source)"
                       + (VideoFile.hasVideoExtension(video!.source) ? "" : " --video")
                       + " --out DIR")
        case .clearPrompts, .deleteObject, .nextCandidate, .selectCandidate, .toggleMultimask, .renameObject, .pickClass,
             .findObjects, .lowerAutomaticThresholds, .moreLikeThis, .similarObjects, .describeObject, .togglePaintMode,
             .penDown, .brushSize, .fillHoles, .removeIslands, .setCleanupArea, .refineFromMask, .toggleNoOverlaps:
            return say("Not in a video: clicks and b prompt, n new object, < > frames, t T propagate, u undo")
        default:
            return nil
        }
    }

    // MARK: - Frames

    mutating func goToFrame(_ frame: Int) -> [EditorEffect] {
        guard let timeline = video else { return [] }
        let target = min(max(frame, 0), timeline.frameCount - 1)
        guard target != currentImage else { return say(frame < 0 ? "First frame" : "Last frame") }
        let effects = switchImage(to: target)
        showVideoFrame(target)
        return effects
    }

    /// The frame's objects as the editor shows them: each track with its prompt there and its mask
    /// (at the display size), the current track selected.
    mutating func showVideoFrame(_ frame: Int) {
        guard let timeline = video, images.indices.contains(frame) else { return }
        let size = Self.displayMaskSize(width: timeline.width, height: timeline.height)
        let objects = timeline.tracks.map { track -> EditorObject in
            var object = EditorObject(id: track.id, colorIndex: track.colorIndex, name: track.name, color: track.color)
            object.prompting = timeline.prompts[frame]?[track.id] ?? Prompt()
            if let shown = timeline.masks[frame]?[track.id] {
                object.baseMask = shown.rle.decode().resizedNearest(width: size.width, height: size.height)
            }
            return object
        }
        // Every frame has the video's size, known before its pixels are.
        images[frame].width = timeline.width
        images[frame].height = timeline.height
        images[frame].objects = objects
        images[frame].currentObject = objects.firstIndex { $0.id == timeline.currentObjectID } ?? 0
        images[frame].nextObjectID = timeline.nextObjectID
    }

    // MARK: - Objects

    mutating func newVideoObject() -> [EditorEffect] {
        guard var timeline = video else { return [] }
        if let current = timeline.currentTrack, !timeline.prompts.values.contains(where: { $0[current.id] != nil }) {
            return say("object \(current.id) has no prompt yet: click it first")
        }
        timeline.remember("new object")
        let track = timeline.addTrack()
        video = timeline
        showVideoFrame(currentImage)
        say("object \(track.id): click it on any frame")
        return saveVideo()
    }

    mutating func cycleVideoObject(by step: Int) -> [EditorEffect] {
        guard var timeline = video, !timeline.tracks.isEmpty else { return say("No objects yet") }
        let index = timeline.tracks.firstIndex { $0.id == timeline.currentObjectID } ?? 0
        let next = timeline.tracks[(index + step + timeline.tracks.count) % timeline.tracks.count]
        timeline.currentObjectID = next.id
        video = timeline
        showVideoFrame(currentImage)
        return say("object \(next.id)")
    }

    // MARK: - Prompts

    /// A click, a box or a point removed: the current object's prompt on this frame changes and
    /// goes to the tracker (Update+Prompts' editPrompts hands it here in a video).
    mutating func editVideoPrompt(label: (String) -> String, _ change: (inout Prompt) -> Void) -> [EditorEffect] {
        guard var timeline = video else { return [] }
        guard modelReady else { return say(modelError.map { "No model: \($0)" } ?? "The model is still loading") }
        guard timeline.propagation == nil else { return sayError("Tracking: Esc stops it first") }
        if timeline.currentTrack == nil { _ = timeline.addTrack() }
        let id = timeline.currentObjectID!
        var prompt = timeline.prompts[currentImage]?[id] ?? Prompt()
        change(&prompt)
        guard !prompt.isEmpty else { return say("A frame's prompt cannot be emptied: u takes it back") }
        timeline.remember(label("object \(id)"))
        timeline.setPrompt(prompt, frame: currentImage, object: id)
        let request = VideoRequest(id: nextRequestID, operations: timeline.operations)
        nextRequestID += 1
        timeline.pendingPrompt = request.id
        video = timeline
        showVideoFrame(currentImage)
        return [.video(request)] + saveVideo()
    }

    // MARK: - Propagation

    mutating func propagate(reverse: Bool) -> [EditorEffect] {
        guard var timeline = video else { return [] }
        guard modelReady else { return say(modelError.map { "No model: \($0)" } ?? "The model is still loading") }
        guard timeline.propagation == nil else { return say("Already tracking: Esc stops it") }
        guard timeline.operations.contains(where: { if case .prompt = $0 { return true } else { return false } }) else {
            return say("Nothing to track yet: click an object first")
        }
        let frame = currentImage
        timeline.remember("tracking from frame \(frame) \(reverse ? "backward" : "forward")")
        timeline.operations.append(.propagate(from: frame, reverse: reverse, maxFrames: nil))
        let request = VideoRequest(id: nextRequestID, operations: timeline.operations)
        nextRequestID += 1
        timeline.propagation = .init(requestID: request.id, from: frame, reverse: reverse,
                                     total: reverse ? frame + 1 : timeline.frameCount - frame, startedAt: clock)
        video = timeline
        say("Tracking \(reverse ? "backward" : "forward") from frame \(frame) (Esc stops)")
        return [.video(request)]
    }

    mutating func stopPropagation() -> [EditorEffect] {
        guard video?.propagation != nil else { return [] }
        video!.propagation!.cancelling = true
        say("Stopping after this frame…")
        return [.cancelVideo]
    }

    // MARK: - The tracker's answers

    mutating func videoFrameTracked(requestID: Int, frame: Int, objects: [VideoObjectMask]) -> [EditorEffect] {
        guard var timeline = video, requestID == timeline.pendingPrompt || requestID == timeline.propagation?.requestID,
              (0..<timeline.frameCount).contains(frame) else { return [] }
        timeline.receive(frame: frame, objects: objects.map { ($0.id, $0.rle, $0.score) })
        if timeline.propagation?.requestID == requestID { timeline.propagation!.done += 1 }
        let done = timeline.propagation?.done ?? 0
        video = timeline
        if frame == currentImage { showVideoFrame(frame) }
        // A long propagation is saved every few frames, not after each (the whole file is written).
        return done > 0 && done % 25 == 0 ? saveVideo() : []
    }

    mutating func videoRebuilding(requestID: Int, done: Int, total: Int) -> [EditorEffect] {
        guard video?.propagation?.requestID == requestID || video?.pendingPrompt == requestID else { return [] }
        video?.propagation?.rebuilding = true
        say("Rebuilding the tracker's memory: \(done) of \(total) steps")
        return []
    }

    mutating func videoFinished(requestID: Int, framesDone: Int, cancelled: Bool) -> [EditorEffect] {
        guard var timeline = video else { return [] }
        if timeline.pendingPrompt == requestID {
            timeline.pendingPrompt = nil
            video = timeline
            return saveVideo()
        }
        guard let run = timeline.propagation, run.requestID == requestID else { return [] }
        timeline.endPropagation(framesDone: framesDone)
        video = timeline
        let seconds = max(clock - run.startedAt, 0.001)
        if cancelled {
            say("Stopped after \(Self.counted(framesDone, "frame")) (u takes them back)")
        } else {
            say(String(format: "Tracked %@ in %.1f s (%.2f frames/s)", Self.counted(framesDone, "frame"), seconds,
                       Double(framesDone) / seconds))
        }
        return saveVideo()
    }

    mutating func videoFailed(requestID: Int, message text: String) -> [EditorEffect] {
        guard var timeline = video else { return [] }
        if timeline.pendingPrompt == requestID {
            // The prompt did not reach the tracker: it is taken back.
            timeline.pendingPrompt = nil
            _ = timeline.step(undo: true)
            timeline.redoStack.removeAll()
        } else if timeline.propagation?.requestID == requestID {
            timeline.propagation = nil
            _ = timeline.step(undo: true)
            timeline.redoStack.removeAll()
        } else {
            return []
        }
        video = timeline
        showVideoFrame(currentImage)
        return sayError("Tracking failed: \(text)") + saveVideo()
    }

    // MARK: - Undo, saving

    mutating func stepVideoHistory(undo: Bool) -> [EditorEffect] {
        guard var timeline = video else { return [] }
        guard !timeline.isBusy else { return say("Wait for the tracker (Esc stops tracking)") }
        guard let label = timeline.step(undo: undo) else { return say(undo ? "Nothing to undo" : "Nothing to redo") }
        video = timeline
        showVideoFrame(currentImage)
        say("\(undo ? "Undid" : "Redid") \(label)")
        return saveVideo()
    }

    func saveVideo() -> [EditorEffect] {
        guard let timeline = video, modelReady, timeline.savingRefused == nil else { return [] }
        return [.saveVideo(path: VideoSession.path(forSource: timeline.source), timeline.session(model: setup.modelName))]
    }

    /// Another samterm has the video open (SessionGuard.lockVideo): shown, never saved.
    mutating func videoIsReadOnly(_ text: String) {
        video?.savingRefused = text
        sayError(text)
    }

    /// The model loaded: a session made with another one is shown but not saved over.
    mutating func videoModelLoaded(name: String) {
        guard let model = video?.sessionModel, model != name, video?.savingRefused == nil else { return }
        video?.savingRefused = "the session's masks are \(model)'s, not \(name)'s: not saved"
        sayError("\(VideoSession.path(forSource: video!.source)): made with \(model), the model now is \(name): changes are not saved")
    }
}

/// One object's mask on a tracked frame, as the worker hands it over (at the video's size).
public struct VideoObjectMask: Sendable {
    public var id: Int
    public var rle: RLE
    public var score: Float

    public init(id: Int, rle: RLE, score: Float) {
        self.id = id
        self.rle = rle
        self.score = score
    }
}

/// Bring the tracker to these operations (replaying them from the start when they do not
/// continue the ones it ran) and report the last one's frames.
public struct VideoRequest: Sendable {
    public var id: Int
    public var operations: [VideoOperation]
}
