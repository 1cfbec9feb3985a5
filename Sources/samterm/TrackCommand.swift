import ArgumentParser
import Foundation
import Segmentation

extension TrackDirection: ExpressibleByArgument {}

/// `samterm track`: objects prompted on some frames of a video, followed through the others
/// with SAM 2's memory (the official SAM2VideoPredictor's semantics), written as datasets use.
struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track objects through a video with SAM 2's memory.",
        discussion: """
            INPUT is a video file (decoded with FFmpeg, frame by frame) or a folder of JPEG/PNG \
            frames (in name order; numerically when every name is a number). Frames are numbered \
            from 0; --range A:B (B excluded) and --every N choose which are tracked.

            --prompts FILE is a JSON list of {"frame", "object", "points", "labels", "box"}: \
            points [[x, y], ...] in frame pixels with labels 1 (foreground) or 0 (background), \
            and/or a box [x0, y0, x1, y1]; object ids are positive. For one object on one frame, \
            --frame F with --point X,Y[,L] and/or --box X0,Y0,X1,Y1 says the same (--object, \
            default 1).

            Outputs in OUT: png (OUT/OBJECT/FRAME.png, 8-bit, 255 inside), labelmap \
            (OUT/labelmap/FRAME.png, pixel = object id), coco (OUT/annotations.json: an image per \
            frame, track_id on each annotation), mots (OUT/mots.txt, as the MOTS tools read it). \
            Masks do not overlap: where objects meet, the one with the higher logit keeps the pixel.

            A killed run resumes: run the same command again. Frames already written are not \
            written again, but are tracked again (a frame's masks depend on the memories of the \
            frames before it, which are not saved). A folder holding another run's frames is \
            refused. There is no --shard: tracking is sequential through the memory, so a shard \
            starting mid-video would need every frame before it; split a long video into separate \
            runs with their own prompts (--range) instead.
            """)

    @Argument(help: ArgumentHelp("A video file or a folder of frames.", valueName: "input"))
    var input: String

    @Option(help: ArgumentHelp("The prompts: a JSON list of {frame, object, points, labels, box}.", valueName: "file"))
    var prompts: String?

    @Option(help: ArgumentHelp("Folder for the outputs (made when missing).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Outputs, comma-separated: png, labelmap, coco, mots.", valueName: "list"))
    var format = "png"

    @Flag(help: "Track backward from the latest prompted frame (same as --direction backward).")
    var reverse = false

    @Option(help: "forward (from the earliest prompted frame), backward (from the latest) or both.")
    var direction: TrackDirection?

    @Option(help: ArgumentHelp("Frames A:B to track (B excluded; either may be left out).", valueName: "A:B"))
    var range: String?

    @Option(help: ArgumentHelp("Track every Nth frame of the range.", valueName: "N"))
    var every: String?

    @Option(help: "The frame of --point / --box.")
    var frame: Int?

    @Option(help: "The object id of --point / --box.")
    var object = 1

    @Option(name: .customLong("point"), parsing: .unconditionalSingleValue,
            help: "A point X,Y[,LABEL] on --frame; LABEL 1 = foreground (default), 0 = background. Repeatable.")
    var points: [PointArgument] = []

    @Option(parsing: .unconditional, help: "A box X0,Y0,X1,Y1 on --frame.")
    var box: BoxArgument?

    @Option(help: ArgumentHelp("Frame features kept in memory, in MiB (older ones are computed again when needed).",
                               valueName: "mib"))
    var featureBudget = 256

    @Flag(help: "Neither read nor write frames' features in the cache of encoded images (frames pushed out of memory are encoded again).")
    var noCache = false

    @Option(help: "The COCO category and the name of the objects.")
    var category = "object"

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        let shorthand = frame != nil || !points.isEmpty || box != nil
        if prompts != nil && shorthand {
            throw ValidationError("--prompts and --frame/--point/--box: give the prompts one way, not both")
        }
        if prompts == nil && !shorthand {
            throw ValidationError("no prompts: give --prompts FILE, or --frame F with --point and/or --box")
        }
        if shorthand {
            guard let frame else { throw ValidationError("--point/--box need --frame F (the frame they are on)") }
            if frame < 0 { throw ValidationError("--frame \(frame): frames are numbered from 0") }
            if points.isEmpty && box == nil { throw ValidationError("--frame \(frame): give --point and/or --box") }
            if object < 1 { throw ValidationError("--object \(object): object ids are positive") }
        }
        if reverse, let direction, direction != .backward {
            throw ValidationError("--reverse and --direction \(direction.rawValue) disagree")
        }
        if featureBudget < 0 { throw ValidationError("--feature-budget \(featureBudget): not negative") }
    }

    func run() throws {
        let formats: [TrackOutputFormat]
        do { formats = try TrackOutputFormat.parseList(format) } catch { throw UsageError("\(error)") }
        let source = try openFrameSource(path: input)
        let selection: FrameSelection
        do { selection = try FrameSelection(range: range, every: every, frameCount: source.frameCount) } catch {
            throw UsageError("\(error)")
        }
        let (prompts, promptsPath) = try readPrompts()
        let direction = self.direction ?? (reverse ? .backward : .forward)
        do {
            _ = try TrackRun.check(prompts, promptsPath: promptsPath, source: source, selection: selection)
        } catch let error as TrackPromptError where self.prompts == nil {
            throw UsageError("\(promptsPath): \(error.reason)")  // the shorthand's arguments are at fault
        }
        let model = try modelOptions.loadModel()
        var options = VideoTracker.Options.samterm
        options.featureBudgetBytes = featureBudget << 20
        let cache = noCache ? nil : EmbeddingCache(directory: EmbeddingCache.defaultDirectory())
        options.featureCache = cache?.videoFeatures(modelKey: EmbeddingCache.modelKey(modelName: model.name,
                                                                                      checkpointPath: try modelOptions.checkpointPath()),
                                                    frames: source, start: selection.start, step: selection.step)
        let run = try TrackRun(model: model, source: source, selection: selection, prompts: prompts,
                               promptsPath: promptsPath, options: options)
        let writer = try TrackOutputWriter(
            folder: out, video: TrackVideoInfo(source),
            options: TrackOutputOptions(formats: formats, categoryName: category,
                                        run: TrackRun.fingerprint(source: source, selection: selection, prompts: prompts,
                                                                  model: model.name, direction: direction)))
        let total = run.frameCount(direction)
        let done = selection.sourceIndices.filter(writer.isFinished).count
        if done > 0 {
            FileHandle.standardError.write(Data(("resuming: \(done) frame\(done == 1 ? " was" : "s were") written by an "
                + "earlier run into \(out); tracking goes through them again and writes the rest\n").utf8))
        }
        let progress = ProgressReporter(total: total, style: ProgressReporter.styleForStandardError(),
                                        rateUnit: ("frames/s", "fps"))
        let started = ProcessInfo.processInfo.systemUptime
        progress.begin(source.name(of: selection.sourceIndex(0)))
        let summary = try run.run(direction, writer: writer) { frame, written in
            progress.end(written ? .processed : .skipped)
            progress.begin(source.name(of: frame))
            return true
        }
        _ = progress.finish()
        cache?.prune()
        let seconds = ProcessInfo.processInfo.systemUptime - started
        let objects = Set(prompts.map(\.object)).count
        print("Tracked \(objects) object\(objects == 1 ? "" : "s") through \(summary.tracked) frames in "
              + ProgressReporter.durationText(seconds) + String(format: " (%.2f frames/s)", Double(summary.tracked) / max(seconds, 1e-9))
              + "; wrote \(summary.written) frame\(summary.written == 1 ? "" : "s") (\(formats.map(\.rawValue).joined(separator: ", "))) to \(out)")
    }

    /// The prompts, and how errors name where they came from.
    private func readPrompts() throws -> ([TrackPrompt], String) {
        if let prompts { return (try TrackPrompts.read(path: prompts), prompts) }
        let prompt = TrackPrompt(frame: frame!, object: object, points: points.map(\.point), box: box?.box, entry: 1)
        return ([prompt], "--frame \(frame!)")
    }
}
