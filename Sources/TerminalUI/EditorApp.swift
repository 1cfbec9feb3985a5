// The editor's main loop: terminal and worker events in, update, effects out, frames drawn.
import Foundation
import Segmentation

public struct EditorConfiguration: Sendable {
    public var imagePaths: [String]
    public var checkpointPath: String
    /// A preset to use instead of the one detected from the checkpoint.
    public var modelName: String?
    public var device: ComputeDevice
    /// CPU threads for LibTorch; 0 keeps its default.
    public var threads: Int
    public var kernels: ComputeKernels
    public var precision: ComputePrecision
    /// nil: chosen from what the terminal supports.
    public var renderer: RendererKind?
    /// Where exports go; nil puts them in `samterm-export/` beside each image.
    public var outputDirectory: String?
    public var exportFormats: [ExportFormat]
    /// nil: the XDG cache directory.
    public var cacheDirectory: String?
    public var useEmbeddingCache: Bool
    /// Where session files go; nil puts each beside its image (IMAGE.samterm.json).
    public var sessionDirectory: String?
    /// The keys: the defaults with the user's keys.conf applied (KeymapFile.load).
    public var keymap = ActiveKeymap.standard
    /// A fixed class list (`--classes`), saved in each image's session; nil: free names.
    public var classes: [String]?
    /// The object index `S` asks (`--db`); nil: the one in the image's folder or above.
    public var indexPath: String?
    /// The automatic masks' thresholds to start with (`--auto-thresholds`); nil: the model's.
    public var automaticThresholds: AutomaticThresholds?
    /// The command `!` offers first, and the seconds it may run (`--describe-command`, `--describe-timeout`).
    public var describeCommand: String?
    public var describeTimeout: Double = 60
    /// Editing a video: its frames (the images are named `SOURCE#INDEX`) and the work saved so far.
    public var video: VideoInput?

    public init(imagePaths: [String], checkpointPath: String, modelName: String? = nil, device: ComputeDevice = .auto,
                threads: Int = 0, kernels: ComputeKernels = .auto, precision: ComputePrecision = .auto,
                renderer: RendererKind? = nil,
                outputDirectory: String? = nil, exportFormats: [ExportFormat] = ExportFormat.defaults,
                cacheDirectory: String? = nil, useEmbeddingCache: Bool = true, sessionDirectory: String? = nil) {
        self.imagePaths = imagePaths
        self.checkpointPath = checkpointPath
        self.modelName = modelName
        self.device = device
        self.threads = threads
        self.kernels = kernels
        self.precision = precision
        self.renderer = renderer
        self.outputDirectory = outputDirectory
        self.exportFormats = exportFormats
        self.cacheDirectory = cacheDirectory
        self.useEmbeddingCache = useEmbeddingCache
        self.sessionDirectory = sessionDirectory
    }
}

public enum EditorApp {
    /// Runs the editor until the user quits or a signal ends it; returns the exit status.
    /// The terminal is restored on every way out. `dependencies` supplies the engine, image
    /// reading and export (`.live` for the real ones).
    public static func run(_ configuration: EditorConfiguration, dependencies: PredictorWorker.Dependencies) throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let wake = try WakePipe()
        TerminalGuard.install(wakeDescriptor: wake.writeDescriptor)
        let screen: CursesScreen
        do {
            screen = try CursesScreen(environment: environment)
        } catch {
            TerminalGuard.uninstall()
            throw error
        }
        let loop = MainLoop(configuration: configuration, dependencies: dependencies, screen: screen, wake: wake,
                            environment: environment)
        let status = loop.run()
        loop.finishSaving()
        loop.removePictures()
        screen.stop()
        TerminalGuard.uninstall()
        if !loop.finishWorker() {
            // The engine is inside a long call (encoding an image); LibTorch does not like being
            // torn down under it, so leave without running destructors.
            fflush(nil)
            _exit(status)
        }
        return status
    }
}

/// Collects events posted by the worker for the main thread.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [EditorEvent] = []

    func push(_ event: EditorEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    func takeAll() -> [EditorEvent] {
        lock.lock()
        defer { lock.unlock() }
        let taken = events
        events.removeAll()
        return taken
    }
}

private final class MainLoop {
    private let configuration: EditorConfiguration
    private let screen: CursesScreen
    private let wake: WakePipe
    private let inbox = EventInbox()
    private let worker: PredictorWorker
    private let layer: ImageLayer
    private let frameLog: FileHandle?
    private let autosaver: SessionAutosaver
    private let videoWriter: VideoSessionWriter
    private let commands: CommandJobs
    private let output = TerminalOutput(descriptor: STDOUT_FILENO)
    /// The frame being written: what it shows, to log and measure once it is out.
    private var frameInFlight: (sequence: Int, request: Int?, latency: (id: Int, inputTime: Double)?, bytes: Int)?
    private var framesWritten = 0
    /// The newest prediction the state shows, for the frame log.
    private var shownRequest: Int?
    /// Something other than the clock changed since the last frame was drawn.
    private var newerState = false
    /// The locks of the sessions this editor opened (released when it ends).
    private let sessionGuard: SessionGuard
    private var state: EditorState
    private var running = true
    private var needsRedraw = true
    private var imageOnScreen = false
    /// Input time of each prediction request, to measure click-to-display latency.
    private var requestTimes: [Int: Double] = [:]
    private var answeredRequest: (id: Int, inputTime: Double)?
    /// When the input that caused the coming frame arrived.
    private var pendingInputTime: Double?

    init(configuration: EditorConfiguration, dependencies: PredictorWorker.Dependencies, screen: CursesScreen, wake: WakePipe,
         environment: [String: String]) {
        self.configuration = configuration
        self.screen = screen
        self.wake = wake
        // Inside tmux the answers are tmux's: whether pictures get through is tmux's to say.
        let tmux = TmuxInfo.detect(environment: environment)
        var renderer = screen.capabilities.bestRenderer
        var hint: String?
        if let tmux { (renderer, hint) = tmux.renderer(fallback: renderer) }
        if let chosen = configuration.renderer {
            renderer = chosen
            hint = nil
        }
        let size = Self.size(of: screen, renderer: renderer)
        let transport = tmux?.transport ?? .direct
        layer = ImageLayer(renderer: renderer, cellPixelWidth: size.cellPixelWidth ?? 10, cellPixelHeight: size.cellPixelHeight ?? 20,
                           kittyTransport: transport)
        if renderer == .kitty { TerminalGuard.setGraphicsCleanup(KittyLayer.cleanup(transport)) }
        let checkpointName = URL(fileURLWithPath: configuration.checkpointPath).deletingPathExtension().lastPathComponent
        let setup = EditorSetup(modelName: checkpointName, device: configuration.device.rawValue,
                                renderer: renderer.rawValue, outputDirectory: configuration.outputDirectory,
                                pixelsHint: hint, exportFormats: configuration.exportFormats,
                                classes: configuration.classes)
        if let video = configuration.video {
            state = EditorState(video: video.timeline, frameNames: configuration.imagePaths, terminal: size, setup: setup)
        } else {
            state = EditorState(imagePaths: configuration.imagePaths, terminal: size, setup: setup)
        }
        state.keymap = configuration.keymap
        state.setup.describeCommand = configuration.describeCommand
        state.setup.describeTimeout = configuration.describeTimeout
        if let thresholds = configuration.automaticThresholds {
            state.automaticThresholds = thresholds
            state.automaticThresholdsChosen = true
        }
        if let path = environment["SAMTERM_FRAME_LOG"], !path.isEmpty,
           FileManager.default.createFile(atPath: path, contents: nil) {
            frameLog = FileHandle(forWritingAtPath: path)
        } else {
            frameLog = nil
        }

        let inbox = self.inbox, wake = self.wake
        let sessionGuard = SessionGuard(folder: configuration.sessionDirectory)
        self.sessionGuard = sessionGuard
        if let video = configuration.video, let readOnly = sessionGuard.lockVideo(sessionPath: VideoSession.path(forSource: video.timeline.source)) {
            state.videoIsReadOnly(readOnly)
        }
        // Every session is looked for through the guard: it takes the image's lock first.
        var dependencies = dependencies
        let loadSession = dependencies.loadSession
        dependencies.loadSession = { imagePath, sha256, model in
            sessionGuard.open(imagePath: imagePath, sha256: sha256, model: model) { loadSession(imagePath, sha256, model) }
        }
        autosaver = SessionAutosaver(store: { sessionGuard.store(forImage: $0) }, sessionGuard: sessionGuard,
                                     report: { text in
                                         inbox.push(.failure(text))
                                         wake.signal()
                                     })
        videoWriter = VideoSessionWriter { text in
            inbox.push(.failure(text))
            wake.signal()
        }
        worker = PredictorWorker(dependencies: dependencies) { event in
            inbox.push(event)
            wake.signal()
        }
        commands = CommandJobs { event in
            inbox.push(event)
            wake.signal()
        }
    }

    private var now: Double { ProcessInfo.processInfo.systemUptime }

    /// The screen's size as the editor lays it out: for pictures, forced without a known cell
    /// size, a common 10 x 20 font; for sixel, with the terminal's largest image (the image area
    /// shrinks to fit it).
    private static func size(of screen: CursesScreen, renderer: RendererKind) -> TerminalSize {
        var size = screen.size
        guard renderer.drawsPixels else { return size }
        size.cellPixelWidth = size.cellPixelWidth ?? 10
        size.cellPixelHeight = size.cellPixelHeight ?? 20
        guard renderer == .sixel else { return size }
        size.pictureLimit = screen.capabilities.sixelLimit ?? TerminalCapabilities.assumedSixelLimit
        return size
    }

    func run() -> Int32 {
        perform(state.startEffects, inputTime: nil)
        worker.start()
        defer { output.finish() }
        while running {
            // While a frame is still on its way, the next waits, so that it shows the newest state.
            if needsRedraw && output.isIdle { draw() }
            waitForActivity()
            if let signalNumber = TerminalGuard.terminationSignal { return 128 + signalNumber }
            if output.writeAvailable() { frameWritten() }
            wake.drain()
            for input in screen.readInput() {
                let time = now
                switch input {
                case .key(let key): dispatch(.key(key), inputTime: time)
                // A pointer moving with no drag under way changes nothing: no frame for it.
                case .mouse(let mouse) where mouse.kind == .motion && !state.isDragging: continue
                case .mouse(let mouse): dispatch(.mouse(mouse), inputTime: time)
                case .resize:
                    screen.handleResize()
                    layer.invalidate()
                    dispatch(.resize(Self.size(of: screen, renderer: layer.renderer)), inputTime: time)
                }
                pendingInputTime = pendingInputTime ?? time
            }
            for event in inbox.takeAll() {
                if case .prediction(let id, _) = event {
                    log(String(format: "prediction request=%d at=%.4f", id, now))
                    shownRequest = max(shownRequest ?? id, id)
                    if let time = requestTimes.removeValue(forKey: id) { answeredRequest = (id, time) }
                }
                if case .predictionDropped(let id) = event { requestTimes.removeValue(forKey: id) }
                if case .imageEncoded(let index, _, _) = event { log("image-encoded index=\(index)") }
                dispatch(event, inputTime: nil)
            }
            if isBusy { dispatch(.tick(now: now), inputTime: nil) }
            // A newer state waits for the frame on its way: end that one after its current piece.
            if newerState && !output.isIdle && !layer.showsPicture(of: state) { output.stopEarly() }
        }
        return 0
    }

    /// Waits for the session writes handed over so far, then lets other editors have the images.
    /// (Also the way out after SIGTERM, SIGHUP, SIGINT, SIGQUIT; a lock left by SIGKILL or a crash
    /// is found stale by the next editor, see SessionLock.)
    func finishSaving() {
        if let run = state.video?.propagation {
            // Quitting stops the propagation: the session keeps it as far as it came.
            state.video?.endPropagation(framesDone: run.done)
            perform(state.saveVideo(), inputTime: nil)
        }
        videoWriter.finish()
        autosaver.flush()
        sessionGuard.releaseAll()
    }

    /// Deletes the pictures the terminal keeps after samterm (kitty's images).
    func removePictures() {
        CursesScreen.writeAll(layer.farewell())
    }

    /// Stops the worker; false when it is still inside a long engine call after a grace period.
    func finishWorker() -> Bool {
        worker.stop()
        commands.stopAll()
        return worker.waitUntilIdle(timeout: 2)
    }

    /// Something in the background is moving: animate the spinner and the elapsed time.
    private var isBusy: Bool {
        if !state.modelReady && state.modelError == nil { return true }
        if let video = state.video { return video.isBusy }
        switch state.document.encoding {
        case .encoding, .waiting: return true
        default: break
        }
        if case .pending = state.currentObject?.prediction { return true }
        return false
    }

    private func waitForActivity() {
        var descriptors = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)]
        // A signal (SIGWINCH included) interrupts poll; the input read that follows sees the resize.
        let timeout: Int32 = needsRedraw && output.isIdle ? 0 : isBusy ? 100 : -1
        _ = poll(&descriptors, output.isIdle ? 2 : 3, timeout)
    }

    /// Every event goes through `update` here, and its effects are carried out: those that
    /// drawing learns (a measured latency, a picture that cannot be drawn) too.
    private func dispatch(_ event: EditorEvent, inputTime: Double?) {
        let effects = state.apply(event)
        needsRedraw = true
        switch event {
        case .tick, .latencyMeasured: break
        default: newerState = true
        }
        perform(effects, inputTime: inputTime)
    }

    private func perform(_ effects: [EditorEffect], inputTime: Double?) {
        for effect in effects {
            switch effect {
            case .quit:
                running = false
            case .save(let snapshot):
                autosaver.save(snapshot)
            case .saveVideo(let path, let session):
                videoWriter.save(session, to: path)
            case .video, .cancelVideo:
                worker.submit(effect)
            case .predict(let request):
                if let inputTime { requestTimes[request.id] = inputTime }
                worker.submit(effect)
            case .runCommand(let request):
                commands.run(request)
            case .cancelCommand(let id):
                commands.cancel(id)
            case .openImage, .prefetchImage, .export, .replay, .findObjects, .cancelFindingObjects, .embedMasks, .queryIndex,
                 .makeCutout:
                worker.submit(effect)
            }
        }
    }

    private func draw() {
        needsRedraw = false
        newerState = false
        let started = now
        let showsImage = ImageLayer.showsImage(state)
        // Curses believes the image area is blank, so it would leave the picture behind the
        // blanks of whatever replaces it (the help, a message): make it repaint everything.
        if imageOnScreen && !showsImage { screen.forceFullRepaint() }
        imageOnScreen = showsImage
        screen.drawChrome(state)
        var bytes: [UInt8] = []
        do {
            bytes = try layer.bytes(for: state)
        } catch {
            dispatch(.failure("Cannot draw the image: \(error)"), inputTime: nil)
            screen.drawChrome(state)
        }
        // DECSC ... DECRC keep the cursor and attributes curses believes in.
        if !bytes.isEmpty {
            output.send(Array("\u{1b}7".utf8) + bytes, breaks: layer.lastBreaks.map { $0 + 2 }, suffix: Array("\u{1b}8".utf8))
        }
        // Whatever curses draws in the image area meanwhile (help, a message) is painted over
        // when the image comes back.
        if !showsImage { layer.invalidate() }
        let finished = now
        if let inputTime = pendingInputTime {
            log(String(format: "input-to-frame %.2f ms renderer=%@ bytes=%d", (finished - inputTime) * 1000,
                       layer.renderer.rawValue, bytes.count)
                + (layer.lastEncodeSeconds.map { String(format: " sixel-encode %.2f ms", $0 * 1000) } ?? ""))
            pendingInputTime = nil
        } else if bytes.count > 0 {
            log(String(format: "frame %.2f ms renderer=%@ bytes=%d", (finished - started) * 1000, layer.renderer.rawValue, bytes.count)
                + (layer.lastEncodeSeconds.map { String(format: " sixel-encode %.2f ms", $0 * 1000) } ?? ""))
        }
        framesWritten += 1
        frameInFlight = (framesWritten, shownRequest, answeredRequest, bytes.count)
        answeredRequest = nil
        if output.isIdle { frameWritten() }
    }

    /// The frame in flight is all written: log it, and show the click-to-display latency of the
    /// prediction it brought (measured to its last byte, which is when a slow link shows it).
    private func frameWritten() {
        guard let frame = frameInFlight else { return }
        frameInFlight = nil
        if let pieces = output.piecesWritten {
            layer.frameCut(piecesWritten: pieces)
            log(String(format: "frame-cut sequence=%d pieces=%d of %d", frame.sequence, pieces, layer.lastBreaks.count))
            needsRedraw = true
        }
        if frame.bytes > 0 {
            log(String(format: "frame-written sequence=%d request=%@ bytes=%d at=%.4f", frame.sequence,
                       frame.request.map(String.init) ?? "none", frame.bytes, now))
        }
        if let answered = frame.latency {
            let milliseconds = (now - answered.inputTime) * 1000
            log(String(format: "click-to-display %.2f ms request=%d", milliseconds, answered.id))
            dispatch(.latencyMeasured(milliseconds: milliseconds), inputTime: nil)
        }
    }

    private func log(_ line: String) {
        frameLog?.write(Data((line + "\n").utf8))
    }
}
