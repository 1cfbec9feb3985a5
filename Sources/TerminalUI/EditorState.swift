// The editor's whole state, as plain values: what the screen shows is a function of it.
import Segmentation

public enum LoadStatus: Equatable, Sendable {
    case notLoaded, loading, loaded, failed(String)
}

public enum EncodeStatus: Equatable, Sendable {
    case notStarted
    case waiting
    case encoding(since: Double)
    case ready(seconds: Double, fromCache: Bool)
    case failed(String)
}

/// One image of the list as the editor edits it, with the objects cut from it. (The engine holds
/// encoded images in "slots"; those are the worker's, see EngineSlots.)
public struct ImageDocument: Sendable {
    public let path: String
    /// Decoded pixels; kept only for the current image and its neighbours.
    public var image: RGBImage?
    public var width: Int?
    public var height: Int?
    public var loading = LoadStatus.notLoaded
    public var encoding = EncodeStatus.notStarted
    public var objects: [EditorObject] = []
    public var currentObject = 0
    public var nextObjectID = 1
    /// Something changed since the last export.
    public var hasUnsavedChanges = false
    /// The files the image's last export wrote (its session's record), absolute paths: a new
    /// export removes those it does not write again.
    public var exports: [String] = []
    /// Masks the automatic mask generator found and the user has not adopted yet.
    public var suggestions: [MaskSuggestion] = []
    public var suggestionsVersion = 0
    /// The automatic mask generator is running on this image.
    public var findingObjects = false
    /// How far the run has come (nil until its first report).
    public var findingProgress: FindingProgress?
    /// `Esc` asked the run to stop; it stops at its next batch of points.
    public var cancellingFind = false
    /// What the last run found, shown until its outlines are hidden.
    public var automaticSummary: AutomaticSummary?
    /// Everything the last run found, kept when its outlines go: `s` shows them again without a run.
    public var foundObjects: FoundObjects?
    /// "More like this" (`s`) on this image.
    public var likeThis: LikeThis?
    /// The object `S` opened this image for, selected once the image has it.
    public var selectOnOpen: Int?
    /// SHA-256 of the image file, known once its session was looked for.
    public var sha256: String?
    public var autosave = AutosaveState.waiting
    /// Each object's mask leaves out the pixels of the objects before it (`v`; saved in the session).
    public var noOverlaps = false
    /// The class list the image's session fixes (`--classes` of an earlier run, an import), and
    /// its COCO ids; nil when classes are free names.
    public var classes: [String]?
    public var classIDs: [Int]?
    /// What the objects' shown masks were last made from (SculptedMasks).
    var shownMasksKey: ShownMasksKey?
    /// Every change to the objects, for undo and redo (ImageHistory).
    var history = ImageHistory()

    public init(path: String) {
        self.path = path
    }

    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}

/// An object the automatic mask generator found: its mask (at the display size), the grid point
/// that prompted it, and the model's predicted IoU.
public struct MaskSuggestion: Sendable {
    public var mask: BinaryMask
    public var point: PixelPoint
    public var score: Float
    /// Its object embedding, once `s` asked for it.
    public var embedding: [Float]?
    /// Its likeness to the object `s` compares with.
    public var similarity: Float?

    public init(mask: BinaryMask, point: PixelPoint, score: Float) {
        self.mask = mask
        self.point = point
        self.score = score
    }

    /// Whether the image point lies inside the mask (the mask may be smaller than the image).
    func contains(_ point: PixelPoint, imageWidth: Int, imageHeight: Int) -> Bool {
        let x = Int(point.x * Double(mask.width) / Double(imageWidth)), y = Int(point.y * Double(mask.height) / Double(imageHeight))
        guard x >= 0, y >= 0, x < mask.width, y < mask.height else { return false }
        return mask.bytes[y * mask.width + x] != 0
    }
}

extension MaskSuggestion {
    /// A generator's mask, resized to the display size.
    init(_ found: AutomaticMask, maskWidth: Int, maskHeight: Int) {
        self.init(mask: found.segmentation.decode().resizedNearest(width: maskWidth, height: maskHeight),
                  point: PixelPoint(x: found.pointCoords[0], y: found.pointCoords[1]), score: found.predictedIoU)
    }
}

/// An automatic mask generator run's masks and the thresholds it ran with.
public struct FoundObjects: Sendable {
    public var suggestions: [MaskSuggestion]
    public var thresholds: AutomaticThresholds?
}

/// Whether changes to an image go into its session file.
public enum AutosaveState: Equatable, Sendable {
    /// The session file has not been looked for yet: writing now could overwrite it.
    case waiting
    case on
    /// A session that must be kept as it is lies there; the reason is shown.
    case off(String)
    /// Another samterm edits the image: changes here are never saved (shown on the status line).
    case readOnly(String)
}

public enum InteractionMode: Equatable, Sendable {
    case normal
    case help
    /// Typing a name for the current object; the text so far.
    case naming(String)
    /// Picking the current object's class (`L`): the filter typed and the highlighted choice.
    case pickingClass(ClassPicker)
    /// Typing the area (pixels) below which `f` fills holes (or `i` removes islands).
    case enteringArea(holes: Bool, text: String)
    case confirmQuit
    case confirmDeleteObject
    /// `A` on the CPU: a minute of work, asked first.
    case confirmFindObjects
    /// Exporting would replace files from elsewhere (their names).
    case confirmOverwrite([String])
    /// The export dialog (`e`): formats, which images, where (Update+ExportDialog).
    case exporting(ExportDialog)
    /// "More like this" (`s`; the image's `likeThis`): keys move, adopt, change the threshold.
    case moreLikeThis
    /// The objects of other images like the current one (`S`).
    case similarObjects(SimilarObjectsList)
    /// Typing the command `!` runs on the object's cut-out.
    case describeCommand(String)
    /// What the command said (`!`).
    case describeResult(DescribeResult)
}

extension InteractionMode {
    /// Whether a box covers the image area (the picture is not drawn under it).
    public var coversImage: Bool {
        switch self {
        case .help, .exporting, .similarObjects, .describeResult: return true
        default: return false
        }
    }
}

public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// What the editor runs with, fixed at start or learned once (the model and device as loaded):
/// shown in the status line. (Not a `Session`: that is an image's saved work.)
public struct EditorSetup: Equatable, Sendable {
    public var modelName: String
    public var device: String
    public var renderer: String
    public var outputDirectory: String?
    /// The formats the export dialog starts with (`--formats`).
    public var exportFormats: [ExportFormat] = ExportFormat.defaults
    /// How to get pictures where the terminal could show them but something in between keeps
    /// them away (tmux without passthrough); shown on the status line.
    public var pixelsHint: String?
    /// A fixed class list (`--classes`), saved in every image's session; nil: free names.
    public var classes: [String]?
    /// The command `!` offers first (`--describe-command`), and how long it may run.
    public var describeCommand: String?
    public var describeTimeout: Double = 60

    public init(modelName: String, device: String, renderer: String, outputDirectory: String? = nil, pixelsHint: String? = nil,
                exportFormats: [ExportFormat] = ExportFormat.defaults, classes: [String]? = nil) {
        self.classes = classes
        self.modelName = modelName
        self.device = device
        self.renderer = renderer
        self.outputDirectory = outputDirectory
        self.pixelsHint = pixelsHint
        self.exportFormats = exportFormats
    }
}

public struct EditorState: Sendable {
    public var images: [ImageDocument]
    public var currentImage = 0
    public private(set) var layout: ScreenLayout
    /// Present once the current image's size is known.
    public var viewport: Viewport?
    /// In original-image pixels.
    public var cursor = PixelPoint(x: 0, y: 0)
    /// First corner of a box being drawn with `b`.
    public var boxAnchor: PixelPoint?
    /// Where a left mouse button went down, to tell a click from a drag.
    public var mousePressCell: CellPosition?
    /// The box a left-button drag draws, from where it went down to the pointer (the rubber band).
    public var rubberBand: PromptBox?
    /// Where the view was last grabbed by a middle-button (or Shift) drag: it pans with the pointer.
    public var panGrabCell: CellPosition?
    public var overlayVisible = true
    public var outlineMode = false
    /// Only the current object's mask shows; the others are hidden until this is switched off.
    public var showOnlySelected = false
    /// The first help line shown, when the help is longer than the screen (HelpOverlay).
    public var helpScroll = 0
    /// Ask for three candidates on every prediction, not only on the first click.
    public var multimaskAlways = false
    public var mode = InteractionMode.normal
    /// Paint mode (`p`): the point keys and clicks paint and erase (Update+Sculpting).
    public var paintMode = false
    /// The brush's radius in image pixels; nil until set (a size for the image then).
    public var brushRadius: Double?
    /// The stroke being drawn with the pen down (`P`, `X`, a drag in paint mode).
    var pen: Pen?
    /// Holes and islands smaller than these (pixels of the image) are cleaned up by `f` and `i`.
    public var holeArea = 100
    public var islandArea = 100
    public var message: StatusMessage?
    public var setup: EditorSetup
    public var modelReady = false
    /// Why the model could not be loaded; images still show, predictions cannot run.
    public var modelError: String?
    public var clock = 0.0
    public var lastLatencyMilliseconds: Double?
    /// Files this editor exported: exporting again replaces them without asking.
    var exportedFiles: Set<String> = []
    /// The export dialog's choices as last confirmed, for the next export of this run.
    var exportChoice: ExportDialog?
    /// An export of several images under way (Update+Sessions).
    var exportBatch: ExportBatch?
    var nextRequestID = 1
    /// Numbers the shown masks (EditorObject.maskVersion).
    var nextMaskVersion = 1
    /// Keys and clicks typed ahead of a prediction they depend on, oldest first (Update+TypeAhead).
    var waitingInputs: [WaitingInput] = []
    /// The automatic mask generator's thresholds for the next run: the model's defaults once
    /// known (nil before), or what the user chose with `t`.
    public var automaticThresholds: AutomaticThresholds?
    var automaticThresholdsChosen = false
    /// The keys in force: the defaults with the user's keys.conf applied.
    public var keymap = ActiveKeymap.standard
    /// The command `!` ran last (offered again), and the one running now.
    public var lastDescribeCommand: String?
    public var describing: Describing?
    /// Editing a video: its frames are `images`, its objects tracked through them (Update+Video).
    public var video: VideoTimeline?

    /// Display masks come back no larger than this along their long side; exports are predicted
    /// again at full size.
    public static let displayMaskLimit = SessionReplay.editingSizeLimit

    public init(imagePaths: [String], terminal: TerminalSize, setup: EditorSetup) {
        precondition(!imagePaths.isEmpty, "the editor needs at least one image")
        images = imagePaths.map(ImageDocument.init(path:))
        layout = ScreenLayout(terminal: terminal)
        self.setup = setup
    }

    /// A video's frames as the editor's images (`frameNames` name them), its work so far in `timeline`.
    public init(video timeline: VideoTimeline, frameNames: [String], terminal: TerminalSize, setup: EditorSetup) {
        precondition(frameNames.count == timeline.frameCount && !frameNames.isEmpty, "a video needs its frames")
        images = frameNames.map(ImageDocument.init(path:))
        layout = ScreenLayout(terminal: terminal, bottomRows: TimelineView.rows(timeline))
        self.setup = setup
        video = timeline
        showVideoFrame(0)
    }

    /// The effects that start a session: open the first image.
    public var startEffects: [EditorEffect] { [openCurrentImage] }

    /// Opens the current image in the engine; its session is looked for until the answer came.
    var openCurrentImage: EditorEffect {
        .openImage(index: currentImage, path: document.path, needsPixels: document.image == nil,
                   lookForSession: video == nil && document.autosave == .waiting)
    }

    public var terminal: TerminalSize { layout.terminal }

    /// The image on screen.
    public var document: ImageDocument {
        get { images[currentImage] }
        set { images[currentImage] = newValue }
    }

    /// The object being edited, when the current image has one.
    public var currentObject: EditorObject? {
        document.objects.indices.contains(document.currentObject) ? document.objects[document.currentObject] : nil
    }

    public var hasUnsavedChanges: Bool { images.contains { $0.hasUnsavedChanges } }

    /// Size of display masks for an image of the given size.
    /// (SessionReplay's editing size: a refine's mask input is made from a display mask.)
    static func displayMaskSize(width: Int, height: Int) -> (width: Int, height: Int) {
        SessionReplay.editingSize(width: width, height: height)
    }

    mutating func setLayout(for terminal: TerminalSize) {
        layout = ScreenLayout(terminal: terminal, bottomRows: video.map(TimelineView.rows) ?? 0)
    }

    func record(of object: EditorObject) -> ObjectRecord {
        ObjectRecord(id: object.id, name: object.name, color: object.color, steps: object.steps, edits: object.edits,
                     base: object.base)
    }

    /// What the session file of image `index` should hold now; nil while autosave is not on
    /// for it or its size and model are not known yet.
    func sessionSnapshot(ofImage index: Int) -> ImageSessionSnapshot? {
        guard images.indices.contains(index), modelReady, video == nil else { return nil }
        let document = images[index]
        guard document.autosave == .on, let sha256 = document.sha256, let width = document.width, let height = document.height else { return nil }
        let objects = document.objects.compactMap { object -> ImageSessionSnapshot.Object? in
            let steps = object.steps
            // An imported object is kept whatever happens to it (its prediction may be in flight).
            guard !steps.isEmpty || (object.prompting.isEmpty && !object.edits.isEmpty) || object.base != nil else { return nil }
            // The sculpted mask (before no-overlaps, which exports apply), when it has the image's size.
            let mask = object.sculptedMask.flatMap { $0.width == width && $0.height == height ? $0 : nil }
            return ImageSessionSnapshot.Object(id: object.id, name: object.name, category: object.category, color: object.color,
                                               base: object.base, confidence: object.confidence, steps: steps,
                                               edits: object.edits, mask: mask, score: object.chosenCandidate?.score)
        }
        var snapshot = ImageSessionSnapshot(imagePath: document.path, sha256: sha256, width: width, height: height,
                                            model: setup.modelName, objects: objects, noOverlaps: document.noOverlaps,
                                            exports: document.exports)
        snapshot.classes = setup.classes ?? document.classes
        snapshot.classIDs = setup.classes == nil ? document.classIDs : nil
        return snapshot
    }

    /// The effect that autosaves image `index`, if it is saved at all (its masks brought up to
    /// date first: the session stores them).
    mutating func autosave(image index: Int) -> [EditorEffect] {
        if images.indices.contains(index) { images[index].refreshMasks(nextVersion: &nextMaskVersion) }
        return sessionSnapshot(ofImage: index).map { [.save($0)] } ?? []
    }
}
