// What can happen to the editor: input from the terminal and results from the background.
import Segmentation

/// A key press, decoded from the terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl with a letter, given in lower case (`.control("r")` is Ctrl-R).
    case control(Character)
    case up, down, left, right
    case shiftUp, shiftDown, shiftLeft, shiftRight
    case enter, tab, backTab, escape, backspace, delete
    case home, end, pageUp, pageDown
}

public enum MouseButton: Equatable, Sendable {
    case left, middle, right, wheelUp, wheelDown
}

/// A mouse report at a screen cell.
public struct MouseInput: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case press, release, click }

    public var position: CellPosition
    public var button: MouseButton
    public var kind: Kind

    public init(position: CellPosition, button: MouseButton, kind: Kind) {
        self.position = position
        self.button = button
        self.kind = kind
    }
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

    case prediction(requestID: Int, result: PredictionResult)
    case predictionFailed(requestID: Int, message: String)
    /// The predictor let a request go unanswered (a newer one for the same object replaced it, or
    /// its image stopped being the active one).
    case predictionDropped(requestID: Int)

    case exportFinished(imageIndex: Int, files: [String])
    case exportFailed(imageIndex: Int, message: String)

    /// Time from the input that asked for a prediction to the frame showing it.
    case latencyMeasured(milliseconds: Double)
    /// An error from outside the core, shown in the message line.
    case failure(String)
}
