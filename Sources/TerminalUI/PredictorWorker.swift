// The one thread that touches the model: loads it, encodes images, predicts, exports.
import Foundation
import Segmentation

/// Takes the editor's engine effects, runs them on its own thread (LibTorch is used from that
/// thread only) and posts the results back as events. It never blocks the caller: requests go
/// into a mailbox where a newer prediction for an object replaces the older one.
public final class PredictorWorker: @unchecked Sendable {
    /// Reads an image file; returns its pixels and a key identifying its content.
    public typealias ImageSource = @Sendable (String) throws -> (image: RGBImage, contentKey: String)
    /// Writes an export; returns the paths written.
    public typealias ExportSink = @Sendable (ExportJob) throws -> [String]

    /// Everything an export needs once the masks are predicted at full size.
    public struct ExportJob: Sendable {
        public var image: RGBImage
        public var imagePath: String
        public var objects: [ExportObject]
        public var model: String
        public var folder: String
        /// Replace existing files (the user said yes, or this editor wrote them).
        public var overwrite: Bool
    }

    public struct Dependencies: Sendable {
        public var loadEngine: @Sendable () throws -> PredictionEngine
        public var loadImage: ImageSource
        public var export: ExportSink
        /// The embedding cache and the model key for the engine, or nil to run without one.
        public var cache: EmbeddingCache?
        public var modelKey: @Sendable (PredictionEngine) -> String
        public var clock: @Sendable () -> Double
        /// Looks for the session of an image (path, SHA-256 of its content, model name).
        public var loadSession: @Sendable (String, String, String) -> SessionOutcome

        public init(loadEngine: @escaping @Sendable () throws -> PredictionEngine, loadImage: @escaping ImageSource,
                    export: @escaping ExportSink, cache: EmbeddingCache?,
                    modelKey: @escaping @Sendable (PredictionEngine) -> String, clock: @escaping @Sendable () -> Double,
                    loadSession: @escaping @Sendable (String, String, String) -> SessionOutcome = { _, _, _ in .fresh }) {
            self.loadEngine = loadEngine
            self.loadImage = loadImage
            self.export = export
            self.cache = cache
            self.modelKey = modelKey
            self.clock = clock
            self.loadSession = loadSession
        }
    }

    private struct OpenJob {
        var index: Int
        var path: String
        var needsPixels: Bool
    }

    // The mailbox, guarded by `condition`.
    private let condition = NSCondition()
    private var openJob: OpenJob?
    private var prefetchJob: (index: Int, path: String)?
    private var predictions: [PredictRequest] = []
    private var replays: [ReplayRequest] = []
    private var exports: [ExportRequest] = []
    private var findJobs: [(imageIndex: Int, maskWidth: Int, maskHeight: Int)] = []
    private var stopping = false
    private var busy = false

    private let dependencies: Dependencies
    private let post: @Sendable (EditorEvent) -> Void

    // Worker-thread state.
    private var engine: PredictionEngine?
    private var engineError: String?
    private var modelKey = ""
    /// Which image each engine slot holds, and when it was last used.
    private var slots: [(image: Int, key: String, used: Int)?] = []
    private var activeSlot: Int?
    private var useCounter = 0
    /// Decoded images by index: the active one and the prefetched one.
    private var decoded: [Int: (image: RGBImage, key: String, used: Int)] = [:]
    /// Files this editor exported: exporting again replaces them without asking.
    private var exportedFiles: Set<String> = []
    /// Images whose session was looked for (once each).
    private var sessionsLooked: Set<Int> = []

    public init(dependencies: Dependencies, post: @escaping @Sendable (EditorEvent) -> Void) {
        self.dependencies = dependencies
        self.post = post
    }

    /// Starts the thread. Submit the first effects before, so the first image decodes before
    /// the model loads and shows at once.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "samterm predictor"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Asks the thread to finish its current job and end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds for the current job to end after `stop`; false if it did not.
    public func waitUntilIdle(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while busy {
            if !condition.wait(until: deadline) { return !busy }
        }
        return true
    }

    /// Queues the effects that concern the engine; others are ignored.
    public func submit(_ effect: EditorEffect) {
        condition.lock()
        defer {
            condition.signal()
            condition.unlock()
        }
        switch effect {
        case .openImage(let index, let path, let needsPixels):
            openJob = OpenJob(index: index, path: path, needsPixels: needsPixels)
        case .prefetchImage(let index, let path):
            prefetchJob = (index, path)
        case .predict(let request):
            // The newest prompt wins: an older request for the same object is never run.
            predictions.removeAll { $0.imageIndex == request.imageIndex && $0.objectID == request.objectID }
            replays.removeAll { $0.imageIndex == request.imageIndex && $0.objectID == request.objectID }
            predictions.append(request)
        case .replay(let request):
            predictions.removeAll { $0.imageIndex == request.imageIndex && $0.objectID == request.objectID }
            replays.removeAll { $0.imageIndex == request.imageIndex && $0.objectID == request.objectID }
            replays.append(request)
        case .export(let request):
            exports.append(request)
        case .findObjects(let imageIndex, let maskWidth, let maskHeight):
            findJobs.append((imageIndex, maskWidth, maskHeight))
        case .save, .quit:
            break
        }
    }

    // MARK: - The thread

    private enum Job {
        case open(OpenJob)
        case predict(PredictRequest)
        case replay(ReplayRequest)
        case export(ExportRequest)
        case findObjects(imageIndex: Int, maskWidth: Int, maskHeight: Int)
        case prefetch(index: Int, path: String)
    }

    private func run() {
        // The first image's pixels come before the model, which takes seconds to load.
        if let job = takeFirstOpenJobPixels() { decodeForDisplay(job) }
        loadEngine()
        while let job = nextJob() {
            switch job {
            case .open(let open): openImage(open)
            case .predict(let request): predict(request)
            case .replay(let request): replay(request)
            case .export(let request): export(request)
            case .findObjects(let index, let width, let height): findObjects(imageIndex: index, maskWidth: width, maskHeight: height)
            case .prefetch(let index, let path): prefetch(index: index, path: path)
            }
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }

    private func takeFirstOpenJobPixels() -> OpenJob? {
        condition.lock()
        defer { condition.unlock() }
        guard var job = openJob, job.needsPixels else { return nil }
        let copy = job
        job.needsPixels = false
        openJob = job
        return copy
    }

    /// Blocks until there is work: opening an image first, then predictions (oldest first, each
    /// already the newest for its object), exports, and prefetching last.
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping { return nil }
            busy = true
            if let job = openJob {
                openJob = nil
                return .open(job)
            }
            if !replays.isEmpty { return .replay(replays.removeFirst()) }
            if !predictions.isEmpty { return .predict(predictions.removeFirst()) }
            if !exports.isEmpty { return .export(exports.removeFirst()) }
            if !findJobs.isEmpty {
                let job = findJobs.removeFirst()
                return .findObjects(imageIndex: job.imageIndex, maskWidth: job.maskWidth, maskHeight: job.maskHeight)
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

    private func loadEngine() {
        do {
            let engine = try dependencies.loadEngine()
            self.engine = engine
            modelKey = dependencies.modelKey(engine)
            slots = Array(repeating: nil, count: max(engine.slotCount, 1))
            post(.modelLoaded(name: engine.modelName, device: engine.device))
        } catch {
            engineError = "\(error)"
            post(.modelFailed(message: "\(error)"))
        }
    }

    private func nextUse() -> Int {
        useCounter += 1
        return useCounter
    }

    /// The image's pixels and content key, decoded once while it stays in use.
    private func image(index: Int, path: String) throws -> (image: RGBImage, key: String) {
        if let entry = decoded[index] {
            decoded[index]?.used = nextUse()
            return (entry.image, entry.key)
        }
        let loaded = try dependencies.loadImage(path)
        decoded[index] = (loaded.image, loaded.contentKey, nextUse())
        // Two decoded images at most: the one on screen and the next.
        while decoded.count > 2, let oldest = decoded.min(by: { $0.value.used < $1.value.used })?.key {
            decoded.removeValue(forKey: oldest)
        }
        return (loaded.image, loaded.contentKey)
    }

    private func decodeForDisplay(_ job: OpenJob) {
        do {
            let decoded = try image(index: job.index, path: job.path)
            post(.imageLoaded(index: job.index, image: decoded.image))
        } catch {
            post(.imageFailed(index: job.index, message: "\(error)"))
        }
    }

    private var activeImage: Int? { activeSlot.flatMap { slots[$0]?.image } }

    private func openImage(_ job: OpenJob) {
        let loaded: (image: RGBImage, key: String)
        do {
            loaded = try image(index: job.index, path: job.path)
        } catch {
            post(.imageFailed(index: job.index, message: "\(error)"))
            return
        }
        if job.needsPixels { post(.imageLoaded(index: job.index, image: loaded.image)) }
        guard let engine else {
            post(.encodingFailed(index: job.index, message: "No model: \(engineError ?? "not loaded")"))
            return
        }
        // Before encoding, so the restored objects' replays queue up behind it.
        if sessionsLooked.insert(job.index).inserted {
            post(.sessionLoaded(index: job.index, sha256: loaded.key,
                                outcome: dependencies.loadSession(job.path, loaded.key, engine.modelName)))
        }
        // Already encoded in a slot (the prefetched image, or the one we came back to).
        if let slot = slots.firstIndex(where: { $0?.image == job.index && $0?.key == loaded.key }) {
            activeSlot = slot
            slots[slot]?.used = nextUse()
            post(.imageEncoded(index: job.index, seconds: 0, fromCache: true))
            return
        }
        let slot = leastRecentlyUsedSlot(sparing: nil)
        slots[slot] = nil
        activeSlot = slot
        let started = dependencies.clock()
        if loadCached(key: loaded.key, into: slot, engine: engine) {
            slots[slot] = (job.index, loaded.key, nextUse())
            post(.imageEncoded(index: job.index, seconds: dependencies.clock() - started, fromCache: true))
            return
        }
        post(.encodingStarted(index: job.index, at: started))
        do {
            try engine.encode(loaded.image, slot: slot)
        } catch {
            post(.encodingFailed(index: job.index, message: "Encoding failed: \(error)"))
            return
        }
        slots[slot] = (job.index, loaded.key, nextUse())
        post(.imageEncoded(index: job.index, seconds: dependencies.clock() - started, fromCache: false))
        storeCached(key: loaded.key, from: slot, engine: engine)
    }

    private func leastRecentlyUsedSlot(sparing spared: Int?) -> Int {
        let candidates = slots.indices.filter { $0 != spared }
        guard !candidates.isEmpty else { return 0 }
        return candidates.min { (slots[$0]?.used ?? -1) < (slots[$1]?.used ?? -1) }!
    }

    /// Loads an embedding from the disk cache; false on a miss or an unreadable file (which
    /// is then deleted, so it is written again).
    private func loadCached(key: String, into slot: Int, engine: PredictionEngine) -> Bool {
        guard let cache = dependencies.cache, cache.contains(modelKey: modelKey, imageKey: key) else { return false }
        let path = cache.path(modelKey: modelKey, imageKey: key)
        do {
            try engine.loadEmbedding(slot: slot, path: path, key: key)
            cache.touch(modelKey: modelKey, imageKey: key)
            return true
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            return false
        }
    }

    /// Best effort: a cache that cannot be written only costs time later.
    private func storeCached(key: String, from slot: Int, engine: PredictionEngine) {
        guard let cache = dependencies.cache, cache.prepareFolder(modelKey: modelKey) else { return }
        try? engine.saveEmbedding(slot: slot, path: cache.path(modelKey: modelKey, imageKey: key), key: key)
        cache.prune()
    }

    /// The engine and the slot a prediction for `imageIndex` runs on; nil (with the request
    /// answered as failed or dropped) when there is no model or the image is no longer active.
    private func engineAndSlot(requestID: Int, imageIndex: Int) -> (engine: PredictionEngine, slot: Int)? {
        guard let engine else {
            post(.predictionFailed(requestID: requestID, message: "No model: \(engineError ?? "not loaded")"))
            return nil
        }
        guard let slot = activeSlot, activeImage == imageIndex else {
            post(.predictionDropped(requestID: requestID))
            return nil
        }
        return (engine, slot)
    }

    private func predict(_ request: PredictRequest) {
        guard let (engine, slot) = engineAndSlot(requestID: request.id, imageIndex: request.imageIndex) else { return }
        do {
            let result = try engine.predict(slot: slot, prompting: request.prompting,
                                            maskWidth: request.maskWidth, maskHeight: request.maskHeight)
            post(.prediction(requestID: request.id, result: result))
        } catch {
            post(.predictionFailed(requestID: request.id, message: "\(error)"))
        }
    }

    /// Predicts a restored object's saved steps again (SessionReplay), the last at the size asked.
    private func replay(_ request: ReplayRequest) {
        guard let (engine, slot) = engineAndSlot(requestID: request.id, imageIndex: request.imageIndex) else { return }
        do {
            let replayed = try replay(request.steps, objectID: request.objectID, slot: slot, engine: engine,
                                      maskWidth: request.maskWidth, maskHeight: request.maskHeight)
            post(.replayed(requestID: request.id, result: replayed.prediction, maskInput: replayed.maskInput))
        } catch {
            post(.predictionFailed(requestID: request.id, message: "Replaying the session: \(error)"))
        }
    }

    private func replay(_ steps: [Session.Step], objectID: Int, slot: Int, engine: PredictionEngine,
                        maskWidth: Int, maskHeight: Int) throws -> SessionReplay.Replayed<PredictionResult> {
        guard let replayed = try engine.replay(slot: slot, steps: steps, objectID: objectID,
                                               maskWidth: maskWidth, maskHeight: maskHeight) else {
            throw SessionReplay.ReplayError.prediction(objectID: objectID, step: 0, message: "no steps to replay")
        }
        return replayed
    }

    private func export(_ request: ExportRequest) {
        guard let engine else {
            post(.exportFailed(imageIndex: request.imageIndex, message: "no model: \(engineError ?? "not loaded")"))
            return
        }
        guard let slot = activeSlot, activeImage == request.imageIndex, let entry = decoded[request.imageIndex] else {
            post(.exportFailed(imageIndex: request.imageIndex, message: "the image is not encoded yet"))
            return
        }
        do {
            // Display masks are capped in size: each object's steps are replayed at full size,
            // which gives exactly the mask on screen (and the one a restored session gives).
            var objects: [ExportObject] = []
            for record in request.objects {
                let replayed = try replay(record.steps, objectID: record.id, slot: slot, engine: engine,
                                          maskWidth: request.imageWidth, maskHeight: request.imageHeight)
                let candidate = replayed.prediction.candidates[replayed.chosen]
                objects.append(ExportObject(id: record.id, name: record.name, color: record.color, mask: candidate.mask,
                                            score: Double(candidate.score), steps: record.steps))
            }
            // Absolute, so the message says where the files went whatever the working folder.
            let folder = request.directory ?? URL(fileURLWithPath: request.imagePath).deletingLastPathComponent().path
            var job = ExportJob(image: entry.image, imagePath: request.imagePath, objects: objects, model: engine.modelName,
                                folder: folder, overwrite: request.overwrite)
            let files: [String]
            do {
                files = try dependencies.export(job)
            } catch ExportError.filesExist(let existing) where existing.allSatisfy(exportedFiles.contains) {
                job.overwrite = true
                files = try dependencies.export(job)
            } catch ExportError.filesExist(let existing) {
                post(.exportNeedsOverwrite(imageIndex: request.imageIndex, existing: existing))
                return
            }
            exportedFiles.formUnion(files)
            post(.exportFinished(imageIndex: request.imageIndex, files: files))
        } catch {
            post(.exportFailed(imageIndex: request.imageIndex, message: "\(error)"))
        }
    }

    /// Runs the automatic mask generator on the active image; masks come back at the display size.
    private func findObjects(imageIndex: Int, maskWidth: Int, maskHeight: Int) {
        guard let engine, let slot = activeSlot, activeImage == imageIndex, let entry = decoded[imageIndex] else {
            post(.findingObjectsFailed(imageIndex: imageIndex, message: "the image is not the encoded one any more; press A again"))
            return
        }
        do {
            let found = try engine.generateMasks(slot: slot, image: entry.image)
            let suggestions = found.map { generated in
                MaskSuggestion(mask: generated.segmentation.decode().resizedNearest(width: maskWidth, height: maskHeight),
                               point: PixelPoint(x: generated.pointCoords[0], y: generated.pointCoords[1]),
                               score: generated.predictedIoU)
            }
            post(.objectsFound(imageIndex: imageIndex, suggestions: suggestions))
        } catch {
            post(.findingObjectsFailed(imageIndex: imageIndex, message: "\(error)"))
        }
    }

    /// Encodes the next image into a spare slot (and the disk cache) while the user works. With
    /// one slot there is nowhere to keep it without evicting the image on screen.
    private func prefetch(index: Int, path: String) {
        guard let engine, slots.count > 1, index != activeImage, !slots.contains(where: { $0?.image == index }) else { return }
        guard let loaded = try? image(index: index, path: path) else { return }
        if let cache = dependencies.cache, cache.contains(modelKey: modelKey, imageKey: loaded.key) { return }
        let slot = leastRecentlyUsedSlot(sparing: activeSlot)
        slots[slot] = nil
        guard (try? engine.encode(loaded.image, slot: slot)) != nil else { return }
        slots[slot] = (index, loaded.key, nextUse())
        storeCached(key: loaded.key, from: slot, engine: engine)
    }
}
