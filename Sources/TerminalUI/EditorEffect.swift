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
}

/// An object as it leaves the editor: enough to predict its chosen mask again at full size.
public struct ObjectRecord: Sendable {
    public var id: Int
    public var name: String?
    public var color: RGBColor
    /// The current prompts, with the mask input as logits.
    public var prompting: Prompt
    public var chosenCandidate: Int
    /// The predictions that led to `prompting`, oldest first, ending with it: replaying them,
    /// each feeding the previous step's kept candidate as mask input where it says so, gives
    /// the mask back without the logits.
    public var steps: [Session.Step]

    public var displayName: String { name ?? "object \(id)" }
}

public struct ExportRequest: Sendable {
    public var imageIndex: Int
    public var imagePath: String
    public var imageWidth: Int
    public var imageHeight: Int
    public var objects: [ObjectRecord]
    /// Where files go: `--out DIR`, or the image's own folder when nil.
    public var directory: String?
}

/// The whole session as plain data, for whoever saves sessions.
public struct SessionSnapshot: Sendable {
    public struct Image: Sendable {
        public var path: String
        public var width: Int?
        public var height: Int?
        public var objects: [ObjectRecord]
    }

    public var images: [Image]
    public var currentImage: Int
}

public enum EditorEffect: Sendable {
    /// Make this image the one predictions run on: decode it (posting its pixels when
    /// `needsPixels`), then load its embedding from a cache or encode it.
    case openImage(index: Int, path: String, needsPixels: Bool)
    /// Encode an image the user is likely to open next, without disturbing the active one.
    case prefetchImage(index: Int, path: String)
    case predict(PredictRequest)
    case export(ExportRequest)
    /// A point worth saving the session at (an object accepted, renamed or deleted, an export).
    case save(SessionSnapshot)
    case quit
}
