import ArgumentParser
import Foundation
import Segmentation

/// `samterm export`: writes images' segmented objects, from their sessions, in the formats
/// viewers and datasets use: per image (masks, label map, cut-outs, COCO per image, overlay) or
/// one dataset for all the images (COCO, YOLO, VOC, LabelMe).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export images' objects (from their sessions) as masks, cut-outs, COCO, YOLO, VOC or LabelMe files; a video's as `track` writes them.",
        discussion: """
            INPUTS are session files (IMAGE.samterm.json), images whose sessions lie beside them (or in \
            --session-dir), folders of images (those without a session are left out) or @LIST files. \
            Masks saved in the sessions are used as they are; objects without one, or every object with \
            --replay, are recomputed by replaying their prompts through the model (--checkpoint, else \
            $SAMTERM_CHECKPOINT, else the one `make checkpoints` fetched).

            Per-image formats, written into --out or each image's folder: png (one 0/255 mask per \
            object), labelmap (object i = value i; 16-bit beyond 255 objects), cutout (RGBA per object, \
            cropped to its box), coco (COCO JSON, compressed RLE), overlay (the image with every mask in \
            its colour), polygons (COCO JSON with polygons).

            Dataset formats, one set of files for all the images in --out DIR: coco-dataset \
            (DIR/annotations.json; --polygons for polygons), yolo (DIR/labels/NAME.txt, DIR/images/, \
            DIR/data.yaml), voc (DIR/SegmentationClass/, DIR/SegmentationObject/, DIR/ImageSets/, \
            DIR/labelmap.txt), labelme (NAME.json in DIR, or beside each image without --out). Classes \
            are the objects' classes (else their names): --classes fixes the list and its ids; without \
            it, the ids an earlier export wrote into DIR are kept and new classes follow.

            Per-image files written are recorded in the sessions, so that samterm never lists them as \
            images to open (unless a samterm editor has the image open: then a warning says they are not recorded).

            A video (a video file, a folder of frames with --video, or its CLIP.samterm-video.json) edited \
            in samterm: every frame's masks as the editor saved them, into --out DIR as `samterm track` \
            writes them (DIR/OBJECT/FRAME.png, DIR/labelmap/, DIR/annotations.json, DIR/mots.txt).
            """)

    @Argument(help: ArgumentHelp("Session files, images with sessions, folders or @LIST files.", valueName: "inputs"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Comma-separated formats: png, labelmap, cutout, coco, overlay, polygons, coco-dataset, yolo, voc, "
                               + "labelme (default: png,coco); for a video: png, labelmap, coco, mots (default: png)."))
    var format: String?

    @Flag(help: "The input is a folder of frames edited as a video (`samterm edit DIR --video`).")
    var video = false

    @Option(help: ArgumentHelp("Folder for the files (default: each image's folder; dataset formats need it, but labelme).",
                               valueName: "dir"))
    var out: String?

    @Flag(help: "Overwrite existing files (without it, nothing is written if any target exists).")
    var force = false

    /// Used only when masks must be replayed.
    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Recompute every mask from its prompts instead of using the masks saved in the session.")
    var replay = false

    @Option(help: ArgumentHelp("Folder holding sessions, when they are not beside their images.", valueName: "dir"))
    var sessionDir: String?

    @Option(help: "Polygon simplification tolerance in pixels (default 1 for polygons, 0.5 for the dataset formats).")
    var polygonTolerance: Double?

    @Option(help: ArgumentHelp("Class list for dataset formats: a file with one name per line, or a,b,c. Ids follow the order.",
                               valueName: "file-or-list"))
    var classes: String?

    @Flag(help: "coco-dataset: polygons instead of compressed RLE.")
    var polygons = false

    @Flag(help: "yolo: copy the images into DIR/images instead of linking them.")
    var copyImages = false

    @Option(help: ArgumentHelp("voc: mark a band this many pixels wide along each object's boundary as 255 (void).",
                               valueName: "pixels"))
    var vocVoidBorder = 0

    /// The formats asked for, per image and dataset.
    struct Formats {
        var perImage: [ExportFormat] = []
        var dataset: [DatasetFormat] = []

        init(parsing text: String) throws {
            for item in text.split(separator: ",") {
                let name = item.trimmingCharacters(in: .whitespaces).lowercased()
                if let format = ExportFormat(rawValue: name) {
                    if !perImage.contains(format) { perImage.append(format) }
                } else if let format = DatasetFormat(rawValue: name) {
                    if !dataset.contains(format) { dataset.append(format) }
                } else {
                    let known = ExportFormat.allCases.map(\.rawValue) + DatasetFormat.allCases.map(\.rawValue)
                    throw ValidationError("--format \(text): unknown export format \"\(name)\" (known: \(known.joined(separator: ", ")))")
                }
            }
            if perImage.isEmpty && dataset.isEmpty { throw ValidationError("--format \(text): no format named") }
        }
    }

    var imageFormats: String { format ?? ExportFormat.defaults.map(\.rawValue).joined(separator: ",") }

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("<inputs>: give at least one session, image, folder or @LIST.") }
        if let source = try videoSource() { return try validateVideo(source) }
        let formats = try Formats(parsing: imageFormats)
        if let polygonTolerance, !(polygonTolerance >= 0 && polygonTolerance.isFinite) {
            throw ValidationError("--polygon-tolerance \(polygonTolerance): must be a number of pixels, 0 or more")
        }
        if out == nil, let format = formats.dataset.first(where: { $0 != .labelme }) {
            throw ValidationError("--format \(format.rawValue) writes one dataset for all the images: give --out DIR")
        }
        if vocVoidBorder < 0 { throw ValidationError("--voc-void-border \(vocVoidBorder): a width in pixels, 0 or more") }
        if formats.dataset.isEmpty {
            for (given, name) in [(classes != nil, "--classes"), (polygons, "--polygons"), (copyImages, "--copy-images")] where given {
                throw ValidationError("\(name) applies to the dataset formats (coco-dataset, yolo, voc, labelme)")
            }
        }
    }

    func run() throws {
        if let source = try videoSource() { return try exportVideo(source) }
        let formats = try Formats(parsing: imageFormats)
        let classList = try ClassList.parse(option: classes)
        let stores = try ExportInputs(sessionDir: sessionDir).stores(for: inputs)
        let masks = SessionMasks(modelOptions: modelOptions, replay: replay)
        var failed = false
        if !formats.perImage.isEmpty {
            for store in stores.sessions {
                do {
                    guard let opened = try OpenedSession.open(store) else {
                        throw ExportFailure("\(store.path): no session found; open the image in samterm first")
                    }
                    try exportPerImage(opened, formats: formats.perImage, masks: masks)
                } catch let error where stores.sessions.count > 1 && !(error is UsageError) {
                    // One image's trouble is its own: said in one line, the others are exported.
                    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                    failed = true
                }
            }
        }
        if !formats.dataset.isEmpty {
            var options = DatasetOptions()
            options.polygons = polygons
            if let polygonTolerance { options.polygonTolerance = polygonTolerance }
            options.copyImages = copyImages
            options.vocVoidBorder = vocVoidBorder
            let run = DatasetExportRun(formats: formats.dataset, out: out, classes: classList,
                                       force: force, options: options, masks: masks)
            failed = try run.run(stores.sessions) || failed
        }
        for skipped in stores.withoutSession { warn("\(skipped): no session: left out") }
        if failed { throw ExitCode(1) }
    }

    private func exportPerImage(_ opened: OpenedSession, formats: [ExportFormat], masks: SessionMasks) throws {
        let prompted = opened.objects
        guard !prompted.isEmpty else {
            throw ExportFailure("\(opened.store.path): the session has no object with prompts or edits; nothing to export")
        }
        let objectMasks = try masks.masks(of: opened)
        let objects = zip(prompted, objectMasks).map { object, result in
            ExportObject(id: object.id, name: object.name, color: object.color, mask: result.mask, score: result.score,
                         steps: object.steps)
        }
        var exporter = Exporter(image: opened.image, imagePath: opened.imagePath, objects: objects, model: opened.session.model,
                                noOverlaps: opened.session.noOverlaps ?? false)
        if let polygonTolerance { exporter.polygonTolerance = polygonTolerance }
        let written = try exporter.write(formats: formats, to: out ?? exporter.imageFolder, force: force)
        for path in written { print(path) }
        record(written, in: opened.store)
    }

    /// Adds the files written to the session's record of exports, as the editor does, so that
    /// listing their folder never takes them for images. Nothing is removed (this command never
    /// replaces a file without --force). Skipped, with a warning, when a samterm editor has the
    /// image open (its own saves would otherwise be diverted) or the session cannot be written.
    private func record(_ written: [String], in store: SessionStore) {
        let acquisition: SessionLock.Acquisition
        do {
            acquisition = try SessionLock.acquire(sessionPath: store.path)
        } catch {
            return warn("\(store.path): the files written are not recorded in the session: \(error)")
        }
        guard case .acquired(let lock) = acquisition else {
            if case .heldBy(let holder) = acquisition {
                warn("\(store.path): the files written are not recorded in the session: a samterm editor has it open (\(holder.description))")
            }
            return
        }
        defer { lock.release() }
        do {
            guard var session = try store.load() else { return }
            let earlier = session.exports ?? []
            let added = written.map(store.recordedPath(ofExport:)).filter { !earlier.contains($0) }
            guard !added.isEmpty else { return }
            session.exports = earlier + added
            try store.save(session)
        } catch {
            warn("\(store.path): the files written are not recorded in the session: \(error)")
        }
    }
}

extension ClassList {
    /// `--classes` parsed, its problems usage errors; nil when not given.
    static func parse(option: String?) throws -> ClassList? {
        guard let option else { return nil }
        do { return try parse(argument: option) } catch { throw UsageError("--classes \(error)") }
    }
}

/// A failure to report as it is (exit status 1): the message names the file and the reason.
struct ExportFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
