// The worker's side of a video: one tracker over the frames, brought to the editor's operations.
// The tracker's memory depends on the order of prompts and propagations, so a request carries all
// of them: those that continue what the tracker ran are run, anything else (an undo took some
// back, a session was reopened) resets it and runs them all again, reporting only the last.
import Foundation
import Segmentation

struct VideoWorkerState {
    var tracker: VideoTracking?
    /// The operations the tracker's memory holds, in order.
    var applied: [VideoOperation] = []
    /// The tracker stopped in the middle of an operation: reset before the next.
    var needsReset = false
}

extension VideoOperation {
    /// A propagation of `frameCount` frames stopped after `framesDone` of them, as it is kept:
    /// limited to the frames it tracked; nil when it tracked none. Other operations unchanged.
    public func stopped(after framesDone: Int, frameCount: Int) -> VideoOperation? {
        guard case .propagate(let from, let reverse, let maxFrames) = self else { return self }
        let total = maxFrames.map { $0 + 1 } ?? (reverse ? from + 1 : frameCount - from)
        if framesDone <= 0 { return nil }
        return framesDone >= total ? self : .propagate(from: from, reverse: reverse, maxFrames: framesDone - 1)
    }
}

extension PredictorWorker {
    func track(_ request: VideoRequest) {
        guard let engine, let frames = dependencies.frames else {
            post(.videoFailed(requestID: request.id, message: dependencies.frames == nil ? "not a video" : "No model: \(missingModel)"))
            return
        }
        do {
            if video.tracker == nil {
                let cache = dependencies.cache?.videoFeatures(modelKey: dependencies.modelKey(engine), frames: frames)
                video.tracker = try engine.makeVideoTracker(frames: frames, featureCache: cache)
            }
            let tracker = video.tracker!
            if video.needsReset || !request.operations.starts(with: video.applied) {
                try tracker.reset()
                video.applied = []
                video.needsReset = false
            }
            let new = Array(request.operations.dropFirst(video.applied.count))
            guard let last = new.last else {
                post(.videoFinished(requestID: request.id, framesDone: 0, cancelled: false))
                return
            }
            for (index, operation) in new.dropLast().enumerated() {
                post(.videoRebuilding(requestID: request.id, done: index, total: new.count - 1))
                let (done, cancelled) = try run(operation, on: tracker, frameCount: frames.frameCount, report: nil)
                if cancelled {
                    // Part of an operation ran: the memory matches no list of operations.
                    video.needsReset = true
                    post(.videoFinished(requestID: request.id, framesDone: 0, cancelled: true))
                    return
                }
                video.applied.append(operation.stopped(after: done, frameCount: frames.frameCount) ?? operation)
            }
            let (done, cancelled) = try run(last, on: tracker, frameCount: frames.frameCount) { [post] frame in
                post(.videoFrame(requestID: request.id, frame: frame.frame, objects: Self.objectMasks(frame)))
            }
            if let kept = last.stopped(after: done, frameCount: frames.frameCount) { video.applied.append(kept) }
            post(.videoFinished(requestID: request.id, framesDone: done, cancelled: cancelled))
            dependencies.cache?.prune()  // frames' features joined the cache
        } catch {
            video.needsReset = true
            post(.videoFailed(requestID: request.id, message: "\(error)"))
        }
    }

    /// Runs one operation; the frames it tracked and whether a cancel stopped it.
    private func run(_ operation: VideoOperation, on tracker: VideoTracking, frameCount: Int,
                     report: ((VideoFrameMasks) -> Void)?) throws -> (done: Int, cancelled: Bool) {
        switch operation {
        case .prompt(let frame, let object, let points, let box):
            let masks = try tracker.addPoints(frame: frame, object: object,
                                              points: points.map { ($0.x, $0.y, $0.label == .foreground) },
                                              box: box.map { ($0.x0, $0.y0, $0.x1, $0.y1) }, replacing: true)
            report?(masks)
            return (1, false)
        case .propagate(let from, let reverse, let maxFrames):
            var done = 0
            do {
                try tracker.propagate(from: from, maxFrames: maxFrames, reverse: reverse) { frame in
                    done += 1
                    report?(frame)
                    return !mailbox.isVideoCancelled
                }
            } catch let error as EngineError where error.status == .cancelled {
                return (done, true)
            }
            return (done, false)
        }
    }

    /// The objects the tracker has an output for on the frame, their masks as RLE.
    static func objectMasks(_ frame: VideoFrameMasks) -> [VideoObjectMask] {
        frame.objects.filter(\.hasOutput).map { VideoObjectMask(id: $0.id, rle: RLE(mask: $0.mask), score: $0.score) }
    }
}
