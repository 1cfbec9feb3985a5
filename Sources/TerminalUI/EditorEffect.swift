// What `update` asks the world to do. The core never does these things itself.
import Segmentation

/// One prediction for one object.
public struct PredictRequest: Sendable {
    public var id: Int
    public var imageIndex: Int
    public var objectID: Int
    public var prompting: Prompt
    /// Size the masks come back at (the image size, capped for display).
    public var maskWidth: Int
    public var maskHeight: Int
    /// Refining from the edited mask (`r`): the prompt's mask input is made from this mask
    /// (the engine's mask-to-logits), and the answer says which logits it was (`.replayed`).
    public var editedMask: BinaryMask? = nil
}

/// An object as it leaves the editor: enough to predict its mask again at full size.
public struct ObjectRecord: Sendable {
    public var id: Int
    public var name: String?
    public var color: RGBColor
    /// The predictions behind the mask on screen, oldest first (never empty): replaying them,
    /// each feeding the previous step's kept candidate as mask input where it says so, gives
    /// the mask back (SessionReplay); the last step's `candidate` is the one chosen.
    public var steps: [Session.Step]
    /// Strokes and clean-ups over the last step's kept candidate (or over the base, or nothing, without steps).
    public var edits: [MaskEdit] = []
    /// An imported mask: the object's mask without steps, what a first step refines.
    public var base: Session.BaseMask? = nil

    public var displayName: String { name ?? "object \(id)" }
}

public struct ExportRequest: Sendable {
    public var imageIndex: Int
    public var imagePath: String
    public var imageWidth: Int
    public var imageHeight: Int
    public var objects: [ObjectRecord]
    /// Each object's mask leaves out the pixels of the objects before it.
    public var noOverlaps = false
    /// Where files go: `--out DIR`, or `samterm-export/` beside the image when nil.
    public var directory: String?
    /// Replace files that exist (the user confirmed).
    public var overwrite = false
    /// Files that may be replaced without asking: the ones this editor exported before, and
    /// the image's record of its last export.
    public var replaceable: Set<String> = []
    public var formats: [ExportFormat] = ExportFormat.defaults
    /// The image's record of its last export: those of its files in the new export's folder
    /// that the new export does not write are removed (EarlierExports).
    public var earlier: [String] = []
}

/// Object embeddings of masks of the active image (Predictor.objectEmbedding), for ranking
/// automatic masks by likeness to an object (`s`).
public struct EmbeddingRequest: Sendable {
    public var id: Int
    public var imageIndex: Int
    /// At the display size, any number.
    public var masks: [BinaryMask]
}

/// The objects of the index most like an object of the active image (`S`): the worker embeds
/// `mask` and asks the index the image belongs to.
public struct IndexQuery: Sendable {
    public var id: Int
    public var imageIndex: Int
    public var imagePath: String
    public var mask: BinaryMask
    /// Matches wanted, from other images.
    public var top: Int
}

/// `!`: the object's cut-out, for a command.
public struct CutoutRequest: Sendable {
    public var id: Int
    public var imageIndex: Int
    public var imagePath: String
    public var object: ObjectRecord
}

/// A command line to run, and the temporary folder to remove afterwards.
public struct CommandRequest: Sendable {
    public var id: Int
    public var line: String
    public var timeout: Double
    public var folder: String?
}

/// An object of another image, as `S` lists it.
public struct SimilarObject: Equatable, Sendable {
    public var imagePath: String
    public var objectID: Int
    public var className: String?
    public var name: String?
    public var similarity: Float

    public init(imagePath: String, objectID: Int, className: String?, name: String?, similarity: Float) {
        self.imagePath = imagePath
        self.objectID = objectID
        self.className = className
        self.name = name
        self.similarity = similarity
    }
}

/// Predicting a restored object again: its saved steps replayed (see SessionReplay), each
/// feeding its kept candidate's logits to the next.
public struct ReplayRequest: Sendable {
    public var id: Int
    public var imageIndex: Int
    public var objectID: Int
    public var steps: [Session.Step]
    public var maskWidth: Int
    public var maskHeight: Int
    /// The object's edits and the image's size: refining steps replay from the edited mask.
    public var edits: [MaskEdit] = []
    public var imageWidth = 0
    public var imageHeight = 0
    /// The imported mask a first step refines (any size).
    public var base: BinaryMask? = nil
}

/// One image's work as it goes into its session file.
public struct ImageSessionSnapshot: Sendable {
    public struct Object: Sendable {
        public var id: Int
        public var name: String?
        public var category: String?
        public var color: RGBColor
        public var base: Session.BaseMask?
        public var confidence: Double?
        public var steps: [Session.Step]
        public var edits: [MaskEdit] = []
        /// The kept candidate's mask when it is at the image's full size (display masks of large
        /// images are smaller; their sessions are replayed instead), and its score.
        public var mask: BinaryMask?
        public var score: Float?
    }

    public var imagePath: String
    public var sha256: String
    public var width: Int
    public var height: Int
    public var model: String
    public var objects: [Object]
    public var noOverlaps = false
    /// The files the image's last export wrote, absolute paths.
    public var exports: [String] = []
    /// The image's fixed class list and its COCO ids (Session.classes, classIDs).
    public var classes: [String]? = nil
    public var classIDs: [Int]? = nil

    /// The session file's content. `store` turns an object's mask into its stored form (a
    /// writer may keep the ones it already encoded); `recordExport` says how the session names
    /// an exported file (SessionStore.recordedPath).
    public func session(imageReferencePath: String,
                        store: (Object) -> Session.StoredMask? = { object in
                            object.mask.map { Session.StoredMask(mask: $0, score: Double(object.score ?? 0)) }
                        },
                        recordExport: (String) -> String = { $0 }) -> Session {
        var session = Session(image: Session.ImageReference(path: imageReferencePath, sha256: sha256, width: width, height: height),
                              model: model,
                              objects: objects.map { object in
                                  Session.Object(id: object.id, name: object.name, category: object.category, color: object.color,
                                                 base: object.base, confidence: object.confidence, steps: object.steps,
                                                 edits: object.edits, mask: store(object))
                              },
                              noOverlaps: noOverlaps,
                              exports: exports.isEmpty ? nil : exports.map(recordExport))
        session.classes = classes
        session.classIDs = classIDs
        return session
    }
}

public enum EditorEffect: Sendable {
    /// Make this image the one predictions run on: decode it (posting its pixels when
    /// `needsPixels`), look for its session when `lookForSession` (until the editor has its answer),
    /// then load its embedding from a cache or encode it.
    case openImage(index: Int, path: String, needsPixels: Bool, lookForSession: Bool)
    /// Encode an image the user is likely to open next, without disturbing the active one.
    case prefetchImage(index: Int, path: String)
    case predict(PredictRequest)
    /// Recompute a restored object's candidates from its saved steps.
    case replay(ReplayRequest)
    case export(ExportRequest)
    /// Run the automatic mask generator on the image (it must be the active one), with these
    /// thresholds (nil: the model's defaults).
    case findObjects(imageIndex: Int, maskWidth: Int, maskHeight: Int, thresholds: AutomaticThresholds? = nil)
    /// Stop the generator running (or waiting to run) on the image at its next batch of points.
    case cancelFindingObjects(imageIndex: Int)
    case embedMasks(EmbeddingRequest)
    case queryIndex(IndexQuery)
    /// The object's cut-out written to a temporary file by the worker (`!`).
    case makeCutout(CutoutRequest)
    /// A command line run in the background (not on the worker: it may take a minute).
    case runCommand(CommandRequest)
    case cancelCommand(requestID: Int)
    /// Write the image's session file (after every change; the writer skips unchanged content).
    case save(ImageSessionSnapshot)
    /// A video: bring the tracker to the operations and report the last one's frames (Update+Video).
    case video(VideoRequest)
    /// Stop the propagation running after its current frame.
    case cancelVideo
    /// Write the video's session file.
    case saveVideo(path: String, VideoSession)
    case quit
}
