import ArgumentParser
import Foundation
import Segmentation
import TerminalUI

extension RendererKind: ExpressibleByArgument {}

/// `samterm edit` (also plain `samterm IMAGE...`): the interactive editor.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment images interactively, in any terminal (locally or over SSH).",
        discussion: """
            Move the crosshair with the arrows or h/j/k/l (Shift: 10 cells), Space or Enter for a \
            foreground point, x for a background point, b for a box, Tab or 1 2 3 for a candidate, \
            n to accept the object and start another, e to export, q to quit; ? shows every key. \
            The mouse works too: left click foreground, right click background, drag for a box.

            Every change is saved at once in the image's session (IMAGE.samterm.json, or \
            --session-dir); opening the image again restores its objects. Encoded images are cached \
            under $XDG_CACHE_HOME/samterm (or ~/.cache/samterm).

            A video file (or a folder of frames with --video) opens as a video: clicks and boxes \
            prompt the object on the current frame, < and > step frames (PageUp/PageDown ten), t \
            tracks the objects forward from the frame and T backward (Esc stops), u takes back a \
            prompt or a whole tracking run; the timeline under the image shows each object's \
            frames. The work is saved in VIDEO.samterm-video.json.
            """)

    @Argument(help: "PNG or JPEG images, or folders of them; or one video file, or one folder of frames with --video.")
    var inputs: [String]

    @Flag(help: "Open the one folder given as the frames of a video (JPEG or PNG, in name order).")
    var video = false

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "kitty, sixel, truecolor, 256 or mono (default: the best the terminal supports; `samterm inspect --terminal` says which and why).")
    var renderer: RendererKind?

    @Option(help: "Export into this folder instead of samterm-export/ beside each image.")
    var out: String?

    @Option(help: "Export formats, comma separated: png, labelmap, cutout, coco, overlay, polygons.")
    var formats: String = ExportFormat.defaults.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("A fixed class list for `L`: a file with one name per line, or a,b,c (saved in each image's session).",
                               valueName: "file-or-list"))
    var classes: String?

    @Option(help: ArgumentHelp("The object index `S` searches (default: \(ObjectIndex.fileName) in the image's folder or above).",
                               valueName: "file"))
    var db: String?

    @Option(help: ArgumentHelp("Thresholds `A` and `s` find automatic masks with: predicted IoU and stability score "
                               + "(default: the model's; `t` steps through laxer ones).", valueName: "iou,stability"))
    var autoThresholds: String?

    @Option(help: ArgumentHelp("The command `!` offers for an object's cut-out ({} is its path), e.g. a local "
                               + "vision-language model's command line (see README).", valueName: "cmd"))
    var describeCommand: String?

    @Option(help: "Seconds a `!` command may run before it is stopped.")
    var describeTimeout: Double = 60

    @Option(help: ArgumentHelp("Keep session files in this folder instead of beside each image (IMAGE.samterm.json).",
                               valueName: "dir"))
    var sessionDir: String?

    @Flag(help: "Neither read nor write the cache of encoded images.")
    var noCache = false

    @Option(help: ArgumentHelp("Read key bindings from this file instead of $XDG_CONFIG_HOME/samterm/keys.conf "
                               + "(~/.config/samterm/keys.conf); lines `action = key`, see README.", valueName: "file"))
    var keys: String?

    func run() throws {
        let videoInput = try openVideo()
        let images = try videoInput?.frameNames ?? Self.expand(inputs, sessionFolder: sessionDir)
        let exportFormats: [ExportFormat]
        do {
            exportFormats = try ExportFormat.parseList(formats)
        } catch {
            throw UsageError("--formats \(formats): \(error)")
        }
        if let sessionDir {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: sessionDir, isDirectory: &isFolder), isFolder.boolValue else {
                throw UsageError("--session-dir \(sessionDir): no such folder")
            }
        }
        // A mistake in the keymap is a usage error: the editor does not start with keys other
        // than the ones asked for.
        let keymap: ActiveKeymap
        do {
            keymap = try KeymapFile.load(path: keys ?? KeymapFile.defaultPath(), required: keys != nil)
        } catch {
            throw UsageError("\(error)")
        }
        try modelOptions.checkDevice()
        let checkpoint = try modelOptions.checkpointPath()
        guard FileManager.default.isReadableFile(atPath: checkpoint) else {
            // Named as given, so a blank or mistyped --checkpoint is recognisable in the message.
            throw UsageError("\(modelOptions.checkpoint == nil ? "checkpoint" : "--checkpoint") \(checkpoint): no such readable file")
        }
        var configuration = EditorConfiguration(
            imagePaths: images, checkpointPath: checkpoint, modelName: modelOptions.model, device: modelOptions.device,
            threads: modelOptions.threads, kernels: modelOptions.kernels, precision: modelOptions.precision,
            renderer: renderer, outputDirectory: out, exportFormats: exportFormats,
            useEmbeddingCache: !noCache, sessionDirectory: sessionDir)
        configuration.keymap = keymap
        configuration.video = videoInput
        configuration.classes = try ClassList.parse(option: classes)?.names
        configuration.indexPath = db
        guard describeTimeout > 0 else { throw UsageError("--describe-timeout \(describeTimeout): must be more than 0 seconds") }
        configuration.describeCommand = describeCommand
        configuration.describeTimeout = describeTimeout
        if let autoThresholds {
            let values = autoThresholds.split(separator: ",", omittingEmptySubsequences: false).map { Float(String($0)) }
            guard values.count == 2, let iou = values[0], let stability = values[1], (0...1).contains(iou), (0...1).contains(stability) else {
                throw UsageError("--auto-thresholds \(autoThresholds): expected IOU,STABILITY, each from 0 to 1 (e.g. 0.7,0.9)")
            }
            configuration.automaticThresholds = AutomaticThresholds(predictedIoU: iou, stability: stability)
        }
        // Named by its input, so a script that runs the editor by mistake sees which call it was.
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw EditorError("samterm edit \(inputs[0]): needs a terminal: standard input and output must be a tty "
                              + "(samterm segment works without one)")
        }
        let status = try EditorApp.run(configuration)
        if status != 0 { throw ExitCode(status) }
    }

    /// The video to edit, when the input is one (a video file, or a folder with --video).
    private func openVideo() throws -> VideoInput? {
        let isVideoFile = inputs.count == 1 && VideoFile.hasVideoExtension(inputs[0])
        guard video || isVideoFile else { return nil }
        guard inputs.count == 1 else { throw UsageError("--video: give one video file or one folder of frames (got \(inputs.count) inputs)") }
        guard FileManager.default.fileExists(atPath: inputs[0]) else { throw UsageError("\(inputs[0]): no such video file or folder") }
        // A damaged video or a session that is not this video's: one line naming the file, exit 1.
        return try VideoInput(source: inputs[0])
    }

    /// Files as given, in the order given; folders become their PNG and JPEG files, sorted by
    /// name (ImageInputs).
    static func expand(_ inputs: [String], sessionFolder: String? = nil) throws -> [String] {
        let images = try inputs.flatMap { try ImageInputs.paths(named: $0, sessionFolder: sessionFolder) }
        if images.isEmpty { throw UsageError("no images given") }
        return images
    }
}
