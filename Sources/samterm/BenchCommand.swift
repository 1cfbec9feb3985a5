import ArgumentParser
import Foundation
import Segmentation
import TerminalUI

#if canImport(Glibc)
import Glibc
#endif

/// `samterm bench`: the figures docs/performance.md quotes, measured the way a user meets them.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure model load, set_image, click-to-masks and click-to-display.",
        discussion: """
            click-to-masks: one positive point, multimask, every candidate upsampled to the \
            original size.

            click-to-display: the same prompt, only the best candidate, at the display size: what \
            the editor needs.

            --editor adds the editor's path without a terminal: a point key (and a refining one) to \
            the bytes of the truecolor frame showing its mask at 200x60 cells, a pen step and the \
            clean-ups (f, i) to theirs, and a zoom key to a whole sixel frame of a 1024x768 view; and the bytes each action writes in kitty, sixel, \
            truecolor and 256 colours (first frame, cursor move, click, refining click, candidate \
            switch).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The image to encode (a bundled sample by default).")
    var image: String = "Resources/samples/astronaut.jpg"

    @Option(help: "Resize the image to WIDTHxHEIGHT first (the reference figures use 1024x768); 'none' keeps it.")
    var size: String = "1024x768"

    @Option(help: "Display size for click-to-display, WIDTHxHEIGHT.")
    var display: String = "400x300"

    @Option(help: "Runs of set_image.")
    var runs: Int = 5

    @Option(help: "Clicks timed for each of click-to-masks and click-to-display.")
    var clicks: Int = 20

    @Flag(help: "Also time the editor's frames (see above), each --clicks times.")
    var editor = false

    @Option(help: ArgumentHelp("Measure the object index instead, at this many made-up objects (no model): size and query time.",
                               valueName: "objects"))
    var index: Int?

    @Option(help: ArgumentHelp("With --index: the index file (made when it does not hold that many objects; default: a temporary file).",
                               valueName: "file"))
    var db: String?

    @Option(help: ArgumentHelp("Measure video tracking instead: forward propagation over this many frames of the image sliding sideways, for one object and for three (boxes on the first frame); frames per second and peak RSS. Needs a SAM 2 model with its memory modules.",
                               valueName: "frames"))
    var video: Int?

    @Flag(help: "Print JSON with the keys load_ms, set_image_ms, predict_ms, predict_display_ms, peak_rss_mb, device, blas (with --editor also point_to_frame_ms, refine_to_frame_ms, stroke_to_frame_ms, fill_holes_to_frame_ms, remove_islands_to_frame_ms, sixel_frame_ms, sixel_frame_bytes, frame_bytes).")
    var json = false

    func validate() throws {
        if runs < 1 || clicks < 1 { throw ValidationError("--runs and --clicks must be at least 1.") }
        if size != "none" && Self.dimensions(size) == nil { throw ValidationError("--size \(size) is not WIDTHxHEIGHT.") }
        if Self.dimensions(display) == nil { throw ValidationError("--display \(display) is not WIDTHxHEIGHT.") }
        if let index, index < 10 { throw ValidationError("--index \(index): at least 10 objects") }
        if db != nil && index == nil { throw ValidationError("--db goes with --index") }
        if let video, video < 2 { throw ValidationError("--video \(video): at least 2 frames") }
        if video != nil && index != nil { throw ValidationError("--video and --index: one at a time") }
    }

    func run() throws {
        if let index {
            let path = db ?? NSTemporaryDirectory() + "samterm-bench-index-\(index).sqlite"
            let report = try IndexBench(objects: index, path: path, queries: clicks).run()
            if json {
                let data = try JSONSerialization.data(withJSONObject: report.json, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(report.text + "\n" + "file              \(path)")
            }
            return
        }
        var picture = try RGBImage.load(path: image)
        if let target = Self.dimensions(size) { picture = picture.resized(width: target.width, height: target.height) }
        let (model, loadMs) = try measure { try modelOptions.loadModel() }
        if let video {
            let bench = VideoBench(model: model, picture: picture, frames: video)
            let runs = [try bench.run(objects: 1), try bench.run(objects: 3)]
            let peak = Self.peakRSSMegabytes()
            if json {
                var object: [String: Any] = ["model": model.name, "device": model.device, "image": "\(picture.width)x\(picture.height)",
                                             "frames": video, "load_ms": (loadMs * 10).rounded() / 10,
                                             "peak_rss_mb": (peak * 10).rounded() / 10]
                for run in runs {
                    object["video_fps_\(run.objects)"] = (run.framesPerSecond * 1000).rounded() / 1000
                    object["video_first_frame_ms_\(run.objects)"] = (run.firstFrameMs * 10).rounded() / 10
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("model             \(model.name) on \(model.device), \(video) frames of \(picture.width)x\(picture.height)")
                for run in runs {
                    print("\(run.objects) object\(run.objects == 1 ? " " : "s")         "
                          + String(format: "%.3f frames/s   (prompted frame %.0f ms)", run.framesPerSecond, run.firstFrameMs))
                }
                print("peak RSS          \(String(format: "%.0f", peak)) MB")
            }
            return
        }
        let predictor = try Predictor(model: model)

        var setImage: [Double] = []
        for _ in 0..<runs { setImage.append(try measure { try predictor.setImage(picture) }.1) }

        let click = Prompt(points: [PromptPoint(x: Float(picture.width) * 0.5, y: Float(picture.height) * 0.4, label: .foreground)])
        let displaySize = Self.dimensions(display)!
        let displayOptions = MaskOutputOptions(size: displaySize, bestMaskOnly: true)
        var predict: [Double] = [], predictDisplay: [Double] = []
        for _ in 0..<clicks { predict.append(try measure { try predictor.predict(click) }.1) }
        for _ in 0..<clicks { predictDisplay.append(try measure { try predictor.predict(click, options: displayOptions) }.1) }

        let peakRSS = Self.peakRSSMegabytes()  // before --editor adds a predictor of its own
        let frames = editor ? try FrameBenchmark.run(model: model, image: picture, runs: clicks) : nil
        let report = BenchReport(
            model: model.name, device: model.device, blas: Self.blas(from: EngineInfo.system),
            image: "\(picture.width)x\(picture.height)", display: display, loadMs: loadMs,
            setImage: Summary(setImage), predict: Summary(predict), predictDisplay: Summary(predictDisplay),
            frames: frames, peakRSSMegabytes: peakRSS)
        print(json ? try report.jsonText() : report.text)
    }

    /// The largest image a --size may ask for: the same 100 megapixels as an image file.
    static let maxPixels = 100_000_000

    static func dimensions(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] <= maxPixels / parts[1] else { return nil }
        return (parts[0], parts[1])
    }

    /// The "blas: ..." field of the engine's system line.
    static func blas(from system: String) -> String {
        system.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("blas:") }
            .map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }

    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // Linux reports kilobytes
    }
}

/// Median and 90th percentile of a series of timings.
struct Summary {
    let median: Double
    let p90: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        p90 = sorted[min(sorted.count - 1, Int((0.9 * Double(sorted.count - 1)).rounded()))]
    }

    var json: [String: Double] { ["median": (median * 100).rounded() / 100, "p90": (p90 * 100).rounded() / 100] }
    var text: String { String(format: "median %8.1f ms   p90 %8.1f ms", median, p90) }
}

struct BenchReport {
    let model, device, blas, image, display: String
    let loadMs: Double
    let setImage, predict, predictDisplay: Summary
    let frames: FrameBenchmark.Report?
    let peakRSSMegabytes: Double

    func jsonText() throws -> String {
        var object: [String: Any] = [
            "model": model, "device": device, "blas": blas, "image": image, "display": display,
            "load_ms": (loadMs * 100).rounded() / 100,
            "set_image_ms": setImage.json, "predict_ms": predict.json, "predict_display_ms": predictDisplay.json,
            "peak_rss_mb": (peakRSSMegabytes * 10).rounded() / 10,
        ]
        if let frames {
            object["point_to_frame_ms"] = Summary(frames.pointToFrame).json
            object["refine_to_frame_ms"] = Summary(frames.refineToFrame).json
            object["sixel_frame_ms"] = Summary(frames.sixelFrame).json
            object["stroke_to_frame_ms"] = Summary(frames.strokeToFrame).json
            object["fill_holes_to_frame_ms"] = Summary(frames.fillHolesToFrame).json
            object["remove_islands_to_frame_ms"] = Summary(frames.removeIslandsToFrame).json
            object["sixel_frame_bytes"] = frames.sixelBytes
            object["frame_bytes"] = Dictionary(uniqueKeysWithValues: frames.textBytes.map { entry in
                (entry.renderer.rawValue, ["first_frame": entry.bytes.firstFrame, "cursor_move": entry.bytes.cursorMove,
                                           "click": entry.bytes.click, "refining_click": entry.bytes.refiningClick,
                                           "candidate_switch": entry.bytes.candidateSwitch])
            })
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    var text: String {
        var text = """
        model             \(model) on \(device), image \(image)
        blas              \(blas)
        load              \(String(format: "%.1f", loadMs)) ms
        set_image         \(setImage.text)
        click-to-masks    \(predict.text)
        click-to-display  \(predictDisplay.text)   (\(display), best candidate)
        peak RSS          \(String(format: "%.0f", peakRSSMegabytes)) MB
        """
        if let frames {
            text += """

            point to frame    \(Summary(frames.pointToFrame).text)   (truecolor, \(frames.truecolorColumns)x\(frames.truecolorRows) cells of image)
            refine to frame   \(Summary(frames.refineToFrame).text)   (second point with the first one's logits)
            stroke to frame   \(Summary(frames.strokeToFrame).text)   (pen down, one cursor step)
            fill holes        \(Summary(frames.fillHolesToFrame).text)   (f, under 100 px, to its frame)
            remove islands    \(Summary(frames.removeIslandsToFrame).text)   (i, under 100 px, to its frame)
            sixel frame       \(Summary(frames.sixelFrame).text)   (\(frames.sixelWidth)x\(frames.sixelHeight) view, \(frames.sixelBytes / 1024) KiB)
            """
            for (renderer, bytes) in frames.textBytes {
                text += "\n" + "bytes \(renderer.rawValue)".padding(toLength: 18, withPad: " ", startingAt: 0)
                    + "first frame \(bytes.firstFrame), cursor move \(bytes.cursorMove), click \(bytes.click), "
                    + "refining click \(bytes.refiningClick), candidate switch \(bytes.candidateSwitch)"
            }
        }
        return text
    }
}
