// What can happen to the editor: input from the terminal and results from the background.
import Segmentation

/// A key press, decoded from the terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl with a letter, given in lower case (`.control("r")` is Ctrl-R).
    case control(Character)
    case up, down, left, right
    case shiftUp, shiftDown, shiftLeft, shiftRight
    /// Ctrl with a cursor key (pans the view).
    case controlUp, controlDown, controlLeft, controlRight
    case enter, tab, backTab, escape, backspace, delete
    case home, end, pageUp, pageDown
    /// F1 … F12.
    case function(Int)
}

public enum MouseButton: Equatable, Sendable {
    case left, middle, right, wheelUp, wheelDown
    /// A motion report: the terminal does not say which button is held.
    case none
}

/// A mouse report at a screen cell.
public struct MouseInput: Equatable, Sendable {
    /// `motion`: the pointer moved with a button held (reported with mode 1002).
    public enum Kind: Equatable, Sendable { case press, release, click, motion }

    public var position: CellPosition
    public var button: MouseButton
    public var kind: Kind
    /// Shift was held (where the terminal passes Shift with the mouse on).
    public var shift: Bool

    public init(position: CellPosition, button: MouseButton, kind: Kind, shift: Bool = false) {
        self.position = position
        self.button = button
        self.kind = kind
        self.shift = shift
    }
}

/// What looking for an image's session found.
public enum SessionOutcome: Sendable {
    /// No session yet: one is written from the first change.
    case fresh
    /// A session for this image content and model: its objects are restored.
    case found(Session)
    /// A corrupt session, renamed aside (the message says where): a new one is written.
    case setAside(String)
    /// A session that must not be applied or overwritten (another image content, another
    /// model, a newer format, unreadable): autosave stays off for this image.
    case refused(String)
    /// Another samterm edits this image (it holds the session's lock): its session as it was
    /// when read (nil if none or not usable) is shown, and nothing is saved; the text says who.
    case readOnly(Session?, String)
}

/// Everything `update` reacts to. Times are seconds on a monotonic clock, supplied by the caller
/// so that the update itself stays pure.
public enum EditorEvent: Sendable {
    case key(Key)
    case mouse(MouseInput)
    case resize(TerminalSize)
    /// The clock moved (drives the elapsed time shown while encoding).
    case tick(now: Double)

    case modelLoaded(name: String, device: String)
    case modelFailed(message: String)
    case imageLoaded(index: Int, image: RGBImage)
    case imageFailed(index: Int, message: String)
    case encodingStarted(index: Int, at: Double)
    case imageEncoded(index: Int, seconds: Double, fromCache: Bool)
    case encodingFailed(index: Int, message: String)
    /// The image's session file was looked for, once per image: `sha256` identifies the content
    /// the session belongs to.
    case sessionLoaded(index: Int, sha256: String, outcome: SessionOutcome)

    case prediction(requestID: Int, result: PredictionResult)
    /// A restored object's steps were replayed: the last step's candidates, and the mask input
    /// that step was given (the previous kept candidate's logits), which refining goes on from.
    case replayed(requestID: Int, result: PredictionResult, maskInput: [Float]?)
    case predictionFailed(requestID: Int, message: String)
    /// The predictor let a request go unanswered (a newer one for the same object replaced it, or
    /// its image stopped being the active one).
    case predictionDropped(requestID: Int)

    case objectsFound(imageIndex: Int, suggestions: [MaskSuggestion])
    case findingObjectsFailed(imageIndex: Int, message: String)
    /// Where the generator's run stands, `elapsed` seconds after it started (a few a second).
    case findingObjectsProgress(imageIndex: Int, progress: AutomaticMaskProgress, elapsed: Double)
    /// The generator stopped as asked, with nothing found.
    case findingObjectsCancelled(imageIndex: Int)
    /// The model's own generator thresholds, known once it is loaded.
    case automaticDefaults(AutomaticThresholds)

    /// A video frame the tracker answered for request `requestID` (a prompt's frame, or one
    /// frame of a propagation), every object it tracks there.
    case videoFrame(requestID: Int, frame: Int, objects: [VideoObjectMask])
    /// The tracker's memory is being rebuilt from the operations before the request's last.
    case videoRebuilding(requestID: Int, done: Int, total: Int)
    /// The request's last operation ended: how many frames it tracked, and whether it was stopped.
    case videoFinished(requestID: Int, framesDone: Int, cancelled: Bool)
    case videoFailed(requestID: Int, message: String)

    /// `files` written; `removed`: files of the image's previous export that it did not write
    /// again, removed (EarlierExports).
    case exportFinished(imageIndex: Int, files: [String], removed: [String] = [])
    case exportFailed(imageIndex: Int, message: String)
    /// Nothing was written: these files exist and were not written by this editor.
    case exportNeedsOverwrite(imageIndex: Int, existing: [String])

    /// The embeddings an EmbeddingRequest asked for, in its order.
    case masksEmbedded(requestID: Int, embeddings: [[Float]])
    case embeddingFailed(requestID: Int, message: String)
    /// An IndexQuery's answer: the matches, best first, and a note (another model's objects left out).
    case similarObjectsFound(requestID: Int, matches: [SimilarObject], note: String?)
    case similarObjectsFailed(requestID: Int, message: String)

    /// `!`: the cut-out is on disk (in `folder`, removed after the command).
    case cutoutWritten(requestID: Int, path: String, folder: String)
    case describeFailed(requestID: Int, message: String)
    case commandFinished(requestID: Int, result: CommandResult)

    /// Time from the input that asked for a prediction to the frame showing it.
    case latencyMeasured(milliseconds: Double)
    /// An error from outside the core, shown in the message line.
    case failure(String)
}
