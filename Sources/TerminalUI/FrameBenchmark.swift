// The editor's click and frame path without a terminal, for `samterm bench --editor`: the real
// update, predictor and image layer, timed from the key to the bytes of the frame that shows
// its result. What the terminal then does with the bytes is not included.
import Foundation
import Segmentation

public enum FrameBenchmark {
    public struct Report: Sendable {
        /// A first point on a new object: key to the frame with its mask (truecolor).
        public var pointToFrame: [Double] = []
        /// A second point on the same object, fed the first one's logits (truecolor).
        public var refineToFrame: [Double] = []
        /// With the pen down, a cursor step to the frame showing the stroke drawn further (truecolor).
        public var strokeToFrame: [Double] = []
        /// `f` (fill holes under 100 px) to the frame showing it; then `i`, islands (truecolor).
        public var fillHolesToFrame: [Double] = []
        public var removeIslandsToFrame: [Double] = []
        /// A zoom key to a whole new sixel frame of the view.
        public var sixelFrame: [Double] = []
        public var truecolorColumns = 0, truecolorRows = 0
        public var sixelWidth = 0, sixelHeight = 0
        public var sixelBytes = 0
        /// Bytes written per action by each renderer (kitty, sixel, truecolor, 256 colours).
        public var textBytes: [(renderer: RendererKind, bytes: ActionBytes)] = []
    }

    /// What each editor action writes to the terminal, in bytes: what it costs on a slow link.
    public struct ActionBytes: Sendable {
        public var firstFrame = 0
        public var cursorMove = 0
        /// A first point: the frame with its mark, then the one with its mask.
        public var click = 0
        /// A second point on the same object, fed the first one's logits.
        public var refiningClick = 0
        public var candidateSwitch = 0
    }

    /// `image` is encoded once; each measurement is repeated `runs` times.
    public static func run(model: Model, image: RGBImage, runs: Int, truecolor: TerminalSize = TerminalSize(columns: 200, rows: 60),
                           sixel: TerminalSize = TerminalSize(columns: 152, rows: 50), cellPixels: (width: Int, height: Int) = (8, 16))
        throws -> Report {
        let engine = try SegmentationEngine(model: model, slots: 1)
        try engine.encode(image, slot: 0)
        var report = Report()

        var state = readyState(image: image, terminal: truecolor, renderer: .truecolor)
        let layer = ImageLayer(renderer: .truecolor, cellPixelWidth: cellPixels.width, cellPixelHeight: cellPixels.height)
        _ = try layer.bytes(for: state)
        report.truecolorColumns = state.layout.imageArea.width
        report.truecolorRows = state.layout.imageArea.height
        for run in 0..<runs {
            // Alternate spots, so that no frame merely repeats the one before.
            let shift: Key = run % 2 == 0 ? .left : .right
            _ = state.apply(.key(shift))
            report.pointToFrame.append(try timeClick(.character(" "), state: &state, layer: layer, engine: engine))
            for _ in 0..<3 { _ = state.apply(.key(.down)) }
            report.refineToFrame.append(try timeClick(.character("x"), state: &state, layer: layer, engine: engine))
            for _ in 0..<3 { _ = state.apply(.key(.up)) }
            _ = state.apply(.key(.character("c")))  // clear the object's prompts for the next run
            _ = try layer.bytes(for: state)
        }

        try sculpt(state: &state, layer: layer, engine: engine, runs: runs, into: &report)

        // Sixel fits its view into xterm's default largest image, as the editor does.
        let sixelTerminal = TerminalSize(columns: truecolor.columns, rows: truecolor.rows, cellPixelWidth: cellPixels.width,
                                         cellPixelHeight: cellPixels.height, pictureLimit: TerminalCapabilities.assumedSixelLimit)
        report.textBytes = try [RendererKind.kitty, .sixel, .truecolor, .palette256].map {
            ($0, try actionBytes(renderer: $0, image: image, terminal: $0 == .sixel ? sixelTerminal : truecolor, engine: engine))
        }

        state = readyState(image: image, terminal: sixel, renderer: .sixel)
        let sixelLayer = ImageLayer(renderer: .sixel, cellPixelWidth: cellPixels.width, cellPixelHeight: cellPixels.height)
        _ = try sixelLayer.bytes(for: state)
        report.sixelWidth = state.layout.imageArea.width * cellPixels.width
        report.sixelHeight = state.layout.imageArea.height * cellPixels.height
        for run in 0..<runs {
            let started = ProcessInfo.processInfo.systemUptime
            _ = state.apply(.key(.character(run % 2 == 0 ? "+" : "-")))
            let bytes = try sixelLayer.bytes(for: state)
            report.sixelFrame.append((ProcessInfo.processInfo.systemUptime - started) * 1000)
            if run % 2 == 1 { report.sixelBytes = bytes.count }  // the view fitted again
        }
        return report
    }

    /// Strokes and clean-ups on an object of its own: a pen step, `f` and `i`, each to its frame
    /// (a clean-up that changed the mask is undone after it, so every run cleans the same mask).
    private static func sculpt(state: inout EditorState, layer: ImageLayer, engine: SegmentationEngine, runs: Int,
                               into report: inout Report) throws {
        _ = state.apply(.key(.character("n")))
        _ = try click(.character(" "), state: &state, layer: layer, engine: engine)
        _ = state.apply(.key(.character("P")))
        _ = try layer.bytes(for: state)
        for run in 0..<runs {
            report.strokeToFrame.append(try timeKey(run % 2 == 0 ? .right : .down, state: &state, layer: layer))
        }
        _ = state.apply(.key(.character("p")))
        _ = state.apply(.key(.character("p")))  // the pen lifted, paint mode off
        for _ in 0..<runs {
            for (key, times) in [(Key.character("f"), \Report.fillHolesToFrame), (.character("i"), \Report.removeIslandsToFrame)] {
                let edits = state.currentObject?.edits.count
                report[keyPath: times].append(try timeKey(key, state: &state, layer: layer))
                if state.currentObject?.edits.count != edits { _ = state.apply(.key(.character("u"))) }
            }
        }
        _ = state.apply(.key(.character("c")))
        _ = try layer.bytes(for: state)
    }

    /// Milliseconds from a key that predicts nothing to the bytes of the frame showing it.
    private static func timeKey(_ key: Key, state: inout EditorState, layer: ImageLayer) throws -> Double {
        let started = ProcessInfo.processInfo.systemUptime
        _ = state.apply(.key(key))
        _ = try layer.bytes(for: state)
        return (ProcessInfo.processInfo.systemUptime - started) * 1000
    }

    private static func readyState(image: RGBImage, terminal: TerminalSize, renderer: RendererKind) -> EditorState {
        var state = EditorState(imagePaths: ["bench"], terminal: terminal,
                                setup: EditorSetup(modelName: "bench", device: "cpu", renderer: renderer.rawValue))
        _ = state.apply(.modelLoaded(name: "bench", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: image))
        _ = state.apply(.imageEncoded(index: 0, seconds: 0, fromCache: false))
        _ = state.apply(.sessionLoaded(index: 0, sha256: "", outcome: .refused("benchmark: nothing is saved")))
        return state
    }

    /// Bytes of each action in one renderer, one after another on the same screen.
    private static func actionBytes(renderer: RendererKind, image: RGBImage, terminal: TerminalSize,
                                    engine: SegmentationEngine) throws -> ActionBytes {
        var state = readyState(image: image, terminal: terminal, renderer: renderer)
        let layer = ImageLayer(renderer: renderer, cellPixelWidth: 8, cellPixelHeight: 16)
        var bytes = ActionBytes()
        bytes.firstFrame = try layer.bytes(for: state).count
        _ = state.apply(.key(.right))
        bytes.cursorMove = try layer.bytes(for: state).count
        bytes.click = try click(.character(" "), state: &state, layer: layer, engine: engine)
        _ = state.apply(.key(.tab))
        bytes.candidateSwitch = try layer.bytes(for: state).count
        for _ in 0..<3 { _ = state.apply(.key(.down)) }
        _ = try layer.bytes(for: state)
        bytes.refiningClick = try click(.character("x"), state: &state, layer: layer, engine: engine)
        return bytes
    }

    /// Milliseconds from the key to the bytes of the frame with its prediction.
    private static func timeClick(_ key: Key, state: inout EditorState, layer: ImageLayer, engine: SegmentationEngine) throws -> Double {
        let started = ProcessInfo.processInfo.systemUptime
        _ = try click(key, state: &state, layer: layer, engine: engine)
        return (ProcessInfo.processInfo.systemUptime - started) * 1000
    }

    /// A prompt key through to the frame with its prediction, drawing the frame that shows the
    /// new mark on the way, as the editor does; the bytes of both frames.
    private static func click(_ key: Key, state: inout EditorState, layer: ImageLayer, engine: SegmentationEngine) throws -> Int {
        let effects = state.apply(.key(key))
        let markBytes = try layer.bytes(for: state).count
        let requests = effects.compactMap { effect -> PredictRequest? in
            if case .predict(let request) = effect { return request } else { return nil }
        }
        guard !requests.isEmpty else { throw EditorError("the benchmark's key \(key) asked for no prediction") }
        for request in requests {
            let result = try engine.predict(slot: 0, prompting: request.prompting, maskWidth: request.maskWidth,
                                            maskHeight: request.maskHeight)
            _ = state.apply(.prediction(requestID: request.id, result: result))
        }
        let maskBytes = try layer.bytes(for: state).count
        guard maskBytes > 0 else { throw EditorError("the benchmark's prediction changed no pixel") }
        return markBytes + maskBytes
    }
}
