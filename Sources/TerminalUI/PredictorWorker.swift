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
        public var formats: [ExportFormat] = ExportFormat.defaults
        /// Each object's mask leaves out the pixels of the objects before it.
        public var noOverlaps = false
    }

    public struct Dependencies: Sendable {
        public var loadEngine: @Sendable () throws -> PredictionEngine
        public var loadImage: ImageSource
        public var export: ExportSink
        /// The embedding cache and the model key for the engine, or nil to run without one.
        public var cache: EmbeddingCache?
        public var modelKey: @Sendable (PredictionEngine) -> String
        /// A video's frames (`edit --video`): the images are its frames, tracked, never encoded alone.
        public var frames: (any FrameSource)?
        public var clock: @Sendable () -> Double
        /// Looks for the session of an image (path, SHA-256 of its content, model name).
        public var loadSession: @Sendable (String, String, String) -> SessionOutcome
        /// The objects of the object index most like an embedding the model made, from images
        /// other than the one given (see SimilarObjectsSearch).
        public var similarObjects: @Sendable (_ embedding: [Float], _ model: String, _ imagePath: String, _ top: Int) throws
            -> (matches: [SimilarObject], note: String?) = { _, _, _, _ in
                throw EditorError("no object index (run `samterm index` on the images' folder)")
            }

        public init(loadEngine: @escaping @Sendable () throws -> PredictionEngine, loadImage: @escaping ImageSource,
                    export: @escaping ExportSink, cache: EmbeddingCache?,
                    modelKey: @escaping @Sendable (PredictionEngine) -> String, clock: @escaping @Sendable () -> Double,
                    loadSession: @escaping @Sendable (String, String, String) -> SessionOutcome = { _, _, _ in .fresh },
                    similarObjects: (@Sendable ([Float], String, String, Int) throws -> (matches: [SimilarObject], note: String?))? = nil) {
            if let similarObjects { self.similarObjects = similarObjects }
            self.loadEngine = loadEngine
            self.loadImage = loadImage
            self.export = export
            self.cache = cache
            self.modelKey = modelKey
            self.clock = clock
            self.loadSession = loadSession
        }
    }

    let mailbox = WorkerMailbox()
    let dependencies: Dependencies
    let post: @Sendable (EditorEvent) -> Void

    // Worker-thread state.
    var engine: PredictionEngine?
    /// A video's tracker and the operations it has run (PredictorWorker+Video).
    var video = VideoWorkerState()
    private var engineError: String?
    private var slots = EngineSlots(count: 1)
    private var embeddings: SlotEmbeddingCache
    private var images: DecodedImages

    public init(dependencies: Dependencies, post: @escaping @Sendable (EditorEvent) -> Void) {
        self.dependencies = dependencies
        self.post = post
        embeddings = SlotEmbeddingCache(cache: dependencies.cache, modelKey: "")
        images = DecodedImages(load: dependencies.loadImage)
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
        mailbox.stop()
    }

    /// Waits up to `timeout` seconds for the current job to end after `stop`; false if it did not.
    public func waitUntilIdle(timeout: Double) -> Bool {
        mailbox.waitUntilIdle(timeout: timeout)
    }

    /// Queues the effects that concern the engine; others are ignored. A cancel acts at once:
    /// the generator's thread reads it between batches.
    public func submit(_ effect: EditorEffect) {
        if case .cancelFindingObjects(let index) = effect {
            // A run that had not started yet ends here; one running reports when it stops.
            if mailbox.cancelFinding(imageIndex: index) { post(.findingObjectsCancelled(imageIndex: index)) }
            return
        }
        mailbox.put(effect)
    }

    // MARK: - The thread

    private func run() {
        // The first image's pixels come before the model, which takes seconds to load.
        if let job = mailbox.takeFirstPixels() { decodeForDisplay(job) }
        loadEngine()
        while let job = mailbox.next() {
            switch job {
            case .open(let open): openImage(open)
            case .predict(let request): predict(request)
            case .replay(let request): replay(request)
            case .export(let request): export(request)
            case .findObjects(let job): findObjects(job)
            case .embed(let request): embed(request)
            case .queryIndex(let query): queryIndex(query)
            case .cutout(let request): makeCutout(request)
            case .prefetch(let index, let path): prefetch(index: index, path: path)
            case .video(let request): track(request)
            }
            mailbox.finished()
        }
    }

    private func loadEngine() {
        do {
            let engine = try dependencies.loadEngine()
            self.engine = engine
            slots = EngineSlots(count: engine.slotCount)
            embeddings = SlotEmbeddingCache(cache: dependencies.cache, modelKey: dependencies.modelKey(engine))
            post(.modelLoaded(name: engine.modelName, device: engine.device))
            post(.automaticDefaults(engine.automaticDefaults))
        } catch {
            engineError = "\(error)"
            post(.modelFailed(message: "\(error)"))
        }
    }

    /// Why there is no engine, for the requests that need one.
    var missingModel: String { engineError ?? "not loaded" }

    private func decodeForDisplay(_ job: WorkerMailbox.OpenJob) {
        do {
            post(.imageLoaded(index: job.index, image: try images.image(index: job.index, path: job.path).image))
        } catch {
            post(.imageFailed(index: job.index, message: "\(error)"))
        }
    }

    private func openImage(_ job: WorkerMailbox.OpenJob) {
        let loaded: (image: RGBImage, key: String)
        do {
            loaded = try images.image(index: job.index, path: job.path)
        } catch {
            post(.imageFailed(index: job.index, message: "\(error)"))
            return
        }
        if job.needsPixels { post(.imageLoaded(index: job.index, image: loaded.image)) }
        // A video's frames are encoded by its tracker when it needs them.
        if dependencies.frames != nil { return }
        guard let engine else {
            post(.encodingFailed(index: job.index, message: "No model: \(missingModel)"))
            return
        }
        // Before encoding, so the restored objects' replays queue up behind it.
        if job.lookForSession {
            post(.sessionLoaded(index: job.index, sha256: loaded.key,
                                outcome: dependencies.loadSession(job.path, loaded.key, engine.modelName)))
        }
        // Already encoded in a slot (the prefetched image, or the one we came back to).
        if slots.activate(image: job.index, key: loaded.key) {
            post(.imageEncoded(index: job.index, seconds: 0, fromCache: true))
            return
        }
        let slot = slots.free()
        slots.activate(slot)
        let started = dependencies.clock()
        if embeddings.load(key: loaded.key, into: slot, engine: engine) {
            slots.fill(slot, image: job.index, key: loaded.key)
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
        slots.fill(slot, image: job.index, key: loaded.key)
        post(.imageEncoded(index: job.index, seconds: dependencies.clock() - started, fromCache: false))
        embeddings.store(key: loaded.key, from: slot, engine: engine)
    }

    /// The engine and the slot a prediction for `imageIndex` runs on; nil (with the request
    /// answered as failed or dropped) when there is no model or the image is no longer active.
    private func engineAndSlot(requestID: Int, imageIndex: Int) -> (engine: PredictionEngine, slot: Int)? {
        guard let engine else {
            post(.predictionFailed(requestID: requestID, message: "No model: \(missingModel)"))
            return nil
        }
        guard let slot = slots.active, slots.activeImage == imageIndex else {
            post(.predictionDropped(requestID: requestID))
            return nil
        }
        return (engine, slot)
    }

    private func predict(_ request: PredictRequest) {
        guard let (engine, slot) = engineAndSlot(requestID: request.id, imageIndex: request.imageIndex) else { return }
        do {
            guard let edited = request.editedMask else {
                let result = try engine.predict(slot: slot, prompting: request.prompting,
                                                maskWidth: request.maskWidth, maskHeight: request.maskHeight)
                return post(.prediction(requestID: request.id, result: result))
            }
            // Refining from the edited mask: the answer carries the mask input it was given, as
            // a replay's does, for the prompt to keep.
            var prompting = request.prompting
            prompting.maskInput = try engine.maskInput(slot: slot, mask: edited)
            let result = try engine.predict(slot: slot, prompting: prompting,
                                            maskWidth: request.maskWidth, maskHeight: request.maskHeight)
            post(.replayed(requestID: request.id, result: result, maskInput: prompting.maskInput))
        } catch {
            post(.predictionFailed(requestID: request.id, message: "\(error)"))
        }
    }

    /// Predicts a restored object's saved steps again (SessionReplay), the last at the size asked.
    private func replay(_ request: ReplayRequest) {
        guard let (engine, slot) = engineAndSlot(requestID: request.id, imageIndex: request.imageIndex) else { return }
        do {
            let replayed = try replay(request.steps, edits: request.edits, base: request.base, imageWidth: request.imageWidth,
                                      imageHeight: request.imageHeight, objectID: request.objectID, slot: slot, engine: engine,
                                      maskWidth: request.maskWidth, maskHeight: request.maskHeight)
            post(.replayed(requestID: request.id, result: replayed.prediction, maskInput: replayed.maskInput))
        } catch {
            post(.predictionFailed(requestID: request.id, message: "Replaying the session: \(error)"))
        }
    }

    private func replay(_ steps: [Session.Step], edits: [MaskEdit], base: BinaryMask?, imageWidth: Int, imageHeight: Int,
                        objectID: Int, slot: Int, engine: PredictionEngine, maskWidth: Int, maskHeight: Int)
        throws -> SessionReplay.Replayed<PredictionResult> {
        guard let replayed = try engine.replay(slot: slot, steps: steps, edits: edits, base: base, imageWidth: imageWidth,
                                               imageHeight: imageHeight, objectID: objectID,
                                               maskWidth: maskWidth, maskHeight: maskHeight) else {
            throw SessionReplay.ReplayError.prediction(objectID: objectID, step: 0, message: "no steps to replay")
        }
        return replayed
    }

    private func export(_ request: ExportRequest) {
        guard let engine else {
            post(.exportFailed(imageIndex: request.imageIndex, message: "no model: \(missingModel)"))
            return
        }
        do {
            let (slot, image) = try slotForExport(request, engine: engine)
            // Display masks are capped in size: each object's steps are replayed at full size,
            // which gives exactly the mask on screen (and the one a restored session gives),
            // and its edits applied at that size.
            let objects = try request.objects.map { record in
                try fullSizeObject(record, width: request.imageWidth, height: request.imageHeight, slot: slot, engine: engine)
            }
            // Absolute, so the message says where the files went whatever the working folder,
            // and the record compares with the session's.
            let folder = SessionStore.absolutePath(request.directory ?? Exporter.defaultFolder(forImage: request.imagePath))
            var job = ExportJob(image: image, imagePath: request.imagePath, objects: objects, model: engine.modelName,
                                folder: folder, overwrite: request.overwrite, formats: request.formats,
                                noOverlaps: request.noOverlaps)
            let files: [String]
            do {
                files = try dependencies.export(job)
            } catch ExportError.filesExist(let existing) where existing.allSatisfy(request.replaceable.contains) {
                job.overwrite = true
                files = try dependencies.export(job)
            } catch ExportError.filesExist(let existing) {
                post(.exportNeedsOverwrite(imageIndex: request.imageIndex, existing: existing))
                return
            }
            // The new files are all in place: the previous export's leftovers go.
            let replaced = EarlierExports.replace(earlier: request.earlier, written: files, folder: folder)
            post(.exportFinished(imageIndex: request.imageIndex, files: files, removed: replaced.removed))
        } catch {
            post(.exportFailed(imageIndex: request.imageIndex, message: "\(error)"))
        }
    }

    /// An object's mask at the image's full size: its steps replayed (from its base), its edits applied.
    private func fullSizeObject(_ record: ObjectRecord, width: Int, height: Int, slot: Int,
                                engine: PredictionEngine) throws -> ExportObject {
        let base = try record.base?.decode(width: width, height: height)
        var mask = base ?? BinaryMask(width: width, height: height)
        var score: Double?
        if !record.steps.isEmpty {
            let replayed = try replay(record.steps, edits: record.edits, base: base, imageWidth: width, imageHeight: height,
                                      objectID: record.id, slot: slot, engine: engine, maskWidth: width, maskHeight: height)
            let candidate = replayed.prediction.candidates[replayed.chosen]
            mask = candidate.mask
            score = Double(candidate.score)
        }
        return ExportObject(id: record.id, name: record.name, color: record.color,
                            mask: MaskSculpting.apply(record.edits, to: mask, imageWidth: width, imageHeight: height),
                            score: score, steps: record.steps)
    }

    /// The object's cut-out (the cutout export) in a temporary folder, for `!`'s command.
    private func makeCutout(_ request: CutoutRequest) {
        guard let engine else { return post(.describeFailed(requestID: request.id, message: "no model: \(missingModel)")) }
        guard let slot = slots.active, slots.activeImage == request.imageIndex, let image = images.kept(request.imageIndex) else {
            return post(.describeFailed(requestID: request.id, message: "the image is not the encoded one any more"))
        }
        do {
            let object = try fullSizeObject(request.object, width: image.width, height: image.height, slot: slot, engine: engine)
            guard !object.mask.isEmpty else { throw EditorError("the object's mask is empty") }
            let folder = NSTemporaryDirectory() + "samterm-describe-\(UUID().uuidString)"
            let files = try Exporter(image: image, imagePath: request.imagePath, objects: [object]).write(formats: [.cutout], to: folder)
            guard let file = files.first else { throw EditorError("no cut-out was written") }
            post(.cutoutWritten(requestID: request.id, path: file, folder: folder))
        } catch {
            post(.describeFailed(requestID: request.id, message: "\(error)"))
        }
    }

    /// Seconds between two progress reports of the generator: the screen needs no more.
    static let progressInterval = 0.1

    /// The slot and pixels an export of `request`'s image runs on: the active slot for the image
    /// on screen; for another image of the list (exporting all), a slot holding it or the spare
    /// one filled now (from the embedding cache, else encoded), never the active one.
    private func slotForExport(_ request: ExportRequest, engine: PredictionEngine) throws -> (slot: Int, image: RGBImage) {
        let index = request.imageIndex
        if let slot = slots.active, slots.activeImage == index {
            return (slot, try images.kept(index) ?? images.image(index: index, path: request.imagePath).image)
        }
        // Read past the decoded images, so that the ones on screen and next stay there.
        let loaded = try dependencies.loadImage(request.imagePath)
        if let slot = slots.slot(holding: index, key: loaded.contentKey) { return (slot, loaded.image) }
        guard slots.count > 1 else { throw ExportFailure("\(request.imagePath): open it to export it (one model slot only)") }
        let slot = slots.free(sparing: slots.active)
        if !embeddings.load(key: loaded.contentKey, into: slot, engine: engine) {
            try engine.encode(loaded.image, slot: slot)
            embeddings.store(key: loaded.contentKey, from: slot, engine: engine)
        }
        slots.fill(slot, image: index, key: loaded.contentKey)
        return (slot, loaded.image)
    }

    private struct ExportFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs the automatic mask generator on the active image; masks come back at the display size.
    private func findObjects(_ job: WorkerMailbox.FindJob) {
        let imageIndex = job.imageIndex
        guard let engine, let slot = slots.active, slots.activeImage == imageIndex, let image = images.kept(imageIndex) else {
            post(.findingObjectsFailed(imageIndex: imageIndex, message: "the image is not the encoded one any more; press A again"))
            return
        }
        let started = dependencies.clock()
        var lastReport = -Double.infinity
        do {
            let found = try engine.generateMasks(slot: slot, image: image, thresholds: job.thresholds) { [self] progress in
                let now = dependencies.clock()
                // The first report (the total) and the last always; the others a few a second.
                if progress.pointsDone == 0 || progress.pointsDone == progress.pointsTotal
                    || now - lastReport >= Self.progressInterval {
                    lastReport = now
                    post(.findingObjectsProgress(imageIndex: imageIndex, progress: progress, elapsed: now - started))
                }
                return !mailbox.isFindingCancelled
            }
            post(.objectsFound(imageIndex: imageIndex,
                               suggestions: found.map { MaskSuggestion($0, maskWidth: job.maskWidth, maskHeight: job.maskHeight) }))
        } catch let error as EngineError where error.status == .cancelled {
            post(.findingObjectsCancelled(imageIndex: imageIndex))
        } catch {
            post(.findingObjectsFailed(imageIndex: imageIndex, message: "\(error)"))
        }
    }

    /// Embeds the masks on the active image (`s` ranks automatic masks with them).
    private func embed(_ request: EmbeddingRequest) {
        guard let engine, let slot = slots.active, slots.activeImage == request.imageIndex else {
            post(.embeddingFailed(requestID: request.id, message: engine == nil ? "No model: \(missingModel)"
                                  : "the image is not the encoded one any more"))
            return
        }
        do {
            post(.masksEmbedded(requestID: request.id, embeddings: try engine.objectEmbeddings(slot: slot, masks: request.masks)))
        } catch {
            post(.embeddingFailed(requestID: request.id, message: "\(error)"))
        }
    }

    /// Embeds the object and asks the object index for the most similar objects of other images.
    private func queryIndex(_ query: IndexQuery) {
        guard let engine, let slot = slots.active, slots.activeImage == query.imageIndex else {
            post(.similarObjectsFailed(requestID: query.id, message: engine == nil ? "No model: \(missingModel)"
                                       : "the image is not the encoded one any more"))
            return
        }
        do {
            guard let embedding = try engine.objectEmbeddings(slot: slot, masks: [query.mask]).first else {
                throw EditorError("no embedding for the object")
            }
            let found = try dependencies.similarObjects(embedding, engine.modelName, query.imagePath, query.top)
            post(.similarObjectsFound(requestID: query.id, matches: found.matches, note: found.note))
        } catch {
            post(.similarObjectsFailed(requestID: query.id, message: "\(error)"))
        }
    }

    /// Encodes the next image into a spare slot (and the disk cache) while the user works. With
    /// one slot there is nowhere to keep it without evicting the image on screen.
    private func prefetch(index: Int, path: String) {
        guard let engine, slots.count > 1, index != slots.activeImage, !slots.holds(image: index) else { return }
        guard let loaded = try? images.image(index: index, path: path), !embeddings.contains(imageKey: loaded.key) else { return }
        let slot = slots.free(sparing: slots.active)
        guard (try? engine.encode(loaded.image, slot: slot)) != nil else { return }
        slots.fill(slot, image: index, key: loaded.key)
        embeddings.store(key: loaded.key, from: slot, engine: engine)
    }
}
