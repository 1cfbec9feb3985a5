// The predictor worker's mailbox: the engine's jobs, handed over from any thread, taken in order.
import Foundation
import Segmentation

/// Jobs waiting for the worker thread. Handing one over never blocks on the engine; a newer
/// prediction or replay for an object replaces the one of it still waiting (the older one would
/// be answered only to be ignored), and opening an image replaces an open still waiting.
final class WorkerMailbox: @unchecked Sendable {
    struct OpenJob {
        var index: Int
        var path: String
        var needsPixels: Bool
        var lookForSession: Bool
    }

    /// A run of the automatic mask generator (thresholds nil: the model's defaults).
    struct FindJob {
        var imageIndex: Int
        var maskWidth: Int
        var maskHeight: Int
        var thresholds: AutomaticThresholds?
    }

    enum Job {
        case open(OpenJob)
        case predict(PredictRequest)
        case replay(ReplayRequest)
        case export(ExportRequest)
        case findObjects(FindJob)
        case embed(EmbeddingRequest)
        case queryIndex(IndexQuery)
        case cutout(CutoutRequest)
        case prefetch(index: Int, path: String)
        case video(VideoRequest)
    }

    // All guarded by `condition`.
    private let condition = NSCondition()
    private var openJob: OpenJob?
    private var prefetchJob: (index: Int, path: String)?
    private var predictions: [PredictRequest] = []
    private var replays: [ReplayRequest] = []
    private var exports: [ExportRequest] = []
    private var findJobs: [FindJob] = []
    /// Embeddings and index queries: small jobs, the newest of each kind only.
    private var embedJob: EmbeddingRequest?
    private var indexQuery: IndexQuery?
    private var cutouts: [CutoutRequest] = []
    /// The newest video request (each carries every operation: a newer one includes an older).
    private var videoJob: VideoRequest?
    /// The video request running should stop after its current frame.
    private var videoCancelled = false
    /// The generator run in progress should stop at its next batch (set by a cancel or a stop,
    /// cleared when a run is taken).
    private var findCancelled = false
    private var stopping = false
    /// The worker is running a job (from `next` until `finished`).
    private var busy = false

    /// Queues the effects that concern the engine; others are ignored.
    func put(_ effect: EditorEffect) {
        condition.lock()
        defer {
            condition.signal()
            condition.unlock()
        }
        switch effect {
        case .openImage(let index, let path, let needsPixels, let lookForSession):
            openJob = OpenJob(index: index, path: path, needsPixels: needsPixels, lookForSession: lookForSession)
        case .prefetchImage(let index, let path):
            prefetchJob = (index, path)
        case .predict(let request):
            dropWaiting(imageIndex: request.imageIndex, objectID: request.objectID)
            predictions.append(request)
        case .replay(let request):
            dropWaiting(imageIndex: request.imageIndex, objectID: request.objectID)
            replays.append(request)
        case .export(let request):
            exports.append(request)
        case .findObjects(let imageIndex, let maskWidth, let maskHeight, let thresholds):
            findJobs.append(FindJob(imageIndex: imageIndex, maskWidth: maskWidth, maskHeight: maskHeight,
                                    thresholds: thresholds))
        case .embedMasks(let request):
            embedJob = request
        case .queryIndex(let query):
            indexQuery = query
        case .makeCutout(let request):
            cutouts.append(request)
        case .video(let request):
            videoJob = request
        case .cancelVideo:
            videoCancelled = true
        case .save, .saveVideo, .quit, .cancelFindingObjects, .runCommand, .cancelCommand:
            break
        }
    }

    /// The newest prompt wins: an older request for the same object is never run.
    private func dropWaiting(imageIndex: Int, objectID: Int) {
        predictions.removeAll { $0.imageIndex == imageIndex && $0.objectID == objectID }
        replays.removeAll { $0.imageIndex == imageIndex && $0.objectID == objectID }
    }

    /// The image to show first, when its pixels are wanted: the open job stays queued (for the
    /// encoding) without asking for the pixels again.
    func takeFirstPixels() -> OpenJob? {
        condition.lock()
        defer { condition.unlock() }
        guard var job = openJob, job.needsPixels else { return nil }
        let copy = job
        job.needsPixels = false
        openJob = job
        return copy
    }

    /// Blocks until there is work: opening an image first, then replays and predictions (oldest
    /// first, each already the newest for its object), exports, automatic masks, and prefetching
    /// last. Nil once stopped. Call `finished` when the job is done.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping { return nil }
            busy = true
            if let job = openJob {
                openJob = nil
                return .open(job)
            }
            if let job = videoJob {
                videoJob = nil
                videoCancelled = false
                return .video(job)
            }
            if !replays.isEmpty { return .replay(replays.removeFirst()) }
            if !predictions.isEmpty { return .predict(predictions.removeFirst()) }
            if let job = embedJob {
                embedJob = nil
                return .embed(job)
            }
            if let query = indexQuery {
                indexQuery = nil
                return .queryIndex(query)
            }
            if !cutouts.isEmpty { return .cutout(cutouts.removeFirst()) }
            if !exports.isEmpty { return .export(exports.removeFirst()) }
            if !findJobs.isEmpty {
                findCancelled = false
                return .findObjects(findJobs.removeFirst())
            }
            if let job = prefetchJob {
                prefetchJob = nil
                return .prefetch(index: job.index, path: job.path)
            }
            busy = false
            condition.broadcast()
            condition.wait()
        }
    }

    func finished() {
        condition.lock()
        busy = false
        condition.broadcast()
        condition.unlock()
    }

    /// Cancels finding objects on image `imageIndex`: a run waiting is dropped (true when one
    /// was), a run in progress told to stop at its next batch.
    func cancelFinding(imageIndex: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        findCancelled = true
        let waiting = findJobs.count
        findJobs.removeAll { $0.imageIndex == imageIndex }
        return findJobs.count < waiting
    }

    /// Whether the generator run in progress was asked to stop.
    var isFindingCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return findCancelled
    }

    /// Whether the video request running was asked to stop.
    var isVideoCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return videoCancelled || stopping
    }

    /// `next` returns nil from now on; the job running goes on to its end (a generator run
    /// stops at its next batch).
    func stop() {
        condition.lock()
        stopping = true
        findCancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds for the job running to end; false if it did not.
    func waitUntilIdle(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while busy {
            if !condition.wait(until: deadline) { return !busy }
        }
        return true
    }
}
