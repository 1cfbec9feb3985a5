import ArgumentParser
import Foundation
import Segmentation

/// `samterm export`: writes an image's segmented objects in dataset formats, from its session.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export an image's objects (from its session) as masks, a label map, cut-outs, COCO JSON or an overlay.",
        discussion: """
            SESSION_OR_IMAGE is a session file (IMAGE.samterm.json) or an image whose session lies \
            beside it (or in --session-dir). Masks saved in the session are used as they are; objects \
            without one, or every object with --replay, are recomputed by replaying their prompts \
            through the model (--checkpoint, else $SAMTERM_CHECKPOINT, else the one `make checkpoints` fetched).

            Formats: png (one 0/255 mask per object), labelmap (object i = value i; 16-bit beyond 255 \
            objects), cutout (RGBA per object, cropped to its box), coco (COCO JSON, compressed RLE), \
            overlay (the image with every mask in its colour), polygons (COCO JSON with polygons).

            The files written are recorded in the session, so that samterm never lists them as images \
            to open (unless a samterm editor has the image open: then a warning says they are not recorded).
            """)

    @Argument(help: ArgumentHelp("A session file or an image with a session.", valueName: "session-or-image"))
    var input: String

    @Option(help: "Comma-separated formats: png, labelmap, cutout, coco, overlay, polygons.")
    var format: String = ExportFormat.defaults.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("Folder for the files (default: the image's folder).", valueName: "dir"))
    var out: String?

    @Flag(help: "Overwrite existing files (without it, nothing is written if any target exists).")
    var force = false

    /// Used only when masks must be replayed.
    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Recompute every mask from its prompts instead of using the masks saved in the session.")
    var replay = false

    @Option(help: ArgumentHelp("Folder holding sessions, when they are not beside their images.", valueName: "dir"))
    var sessionDir: String?

    @Option(help: "Polygon simplification tolerance in pixels (polygons format).")
    var polygonTolerance: Double = 1.0

    func validate() throws {
        do {
            _ = try ExportFormat.parseList(format)
        } catch {
            throw ValidationError("--format \(format): \(error)")
        }
        guard polygonTolerance >= 0 && polygonTolerance.isFinite else {
            throw ValidationError("--polygon-tolerance \(polygonTolerance): must be a number of pixels, 0 or more")
        }
    }

    func run() throws {
        let formats = try ExportFormat.parseList(format)
        let (store, session) = try openSession()
        let imagePath = store.resolvedImagePath(of: session)
        let image = try RGBImage.load(path: imagePath)
        let imageHash = try SHA256.hexDigest(ofFileAt: imagePath)
        guard imageHash == session.image.sha256 else {
            throw SessionError.imageMismatch(path: store.path, sessionSHA256: session.image.sha256, imageSHA256: imageHash)
        }
        guard image.width == session.image.width && image.height == session.image.height else {
            throw ExportFailure("\(store.path): the session says the image is \(session.image.width)x\(session.image.height), "
                                + "\(imagePath) decodes to \(image.width)x\(image.height)")
        }

        let prompted = session.objects.filter { !$0.isEmpty }
        guard !prompted.isEmpty else { throw ExportFailure("\(store.path): the session has no object with prompts or edits; nothing to export") }
        let masks = try masks(of: prompted, session: session, store: store, image: image)
        let objects = zip(prompted, masks).map { object, result in
            ExportObject(id: object.id, name: object.name, color: object.color, mask: result.mask, score: result.score,
                         steps: object.steps)
        }
        var exporter = Exporter(image: image, imagePath: imagePath, objects: objects, model: session.model,
                                noOverlaps: session.noOverlaps ?? false)
        exporter.polygonTolerance = polygonTolerance
        let written = try exporter.write(formats: formats, to: out ?? exporter.imageFolder, force: force)
        for path in written { print(path) }
        record(written, in: store)
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

    /// The session named on the command line, or the one belonging to the image named there.
    private func openSession() throws -> (SessionStore, Session) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw ExportFailure("\(input): no such file")
        }
        guard !isFolder.boolValue else { throw ExportFailure("\(input): is a folder, not a session or an image") }
        let store = input.hasSuffix(SessionStore.fileSuffix) || looksLikeJSON(input)
            ? SessionStore(path: input)
            : SessionStore(imagePath: input, folder: sessionDir)
        guard let session = try store.load() else {
            throw ExportFailure("\(input): no session found (looked for \(store.path)); open the image in samterm first")
        }
        return (store, session)
    }

    private func looksLikeJSON(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 64)) ?? Data()
        return start.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{")
    }

    private struct ObjectMask {
        let mask: BinaryMask
        let score: Double?
    }

    /// Saved masks where the session has them (unless --replay), the rest replayed through the
    /// model, which must be the one the session was made with.
    private func masks(of objects: [Session.Object], session: Session, store: SessionStore,
                       image: RGBImage) throws -> [ObjectMask] {
        var results: [ObjectMask?] = try objects.map { object in
            guard !replay, let stored = object.mask else { return nil }
            return ObjectMask(mask: try stored.decode(width: image.width, height: image.height), score: stored.score)
        }
        // An object painted from nothing, or imported, needs no model.
        for index in results.indices where results[index] == nil && objects[index].steps.isEmpty {
            let start = try objects[index].base?.decode(width: image.width, height: image.height)
                ?? BinaryMask(width: image.width, height: image.height)
            results[index] = ObjectMask(mask: MaskSculpting.apply(objects[index].edits, to: start, imageWidth: image.width,
                                                                  imageHeight: image.height), score: nil)
        }
        let missing = results.indices.filter { results[$0] == nil }
        guard !missing.isEmpty else { return results.map { $0! } }

        let model: Model
        do {
            model = try modelOptions.loadModel()
        } catch let error as UsageError {
            let names = missing.prefix(3).map { objects[$0].displayName }.joined(separator: ", ")
            let why = replay ? "--replay needs the model" : "\(names) \(missing.count == 1 ? "has" : "have") no saved mask and need the model"
            throw UsageError("\(store.path): \(why); \(error)")
        }
        guard model.name == session.model else {
            throw SessionError.modelMismatch(path: store.path, sessionModel: session.model, currentModel: model.name)
        }
        let predictor = try Predictor(model: model)
        try predictor.setImage(image)
        for index in missing {
            let replayed = try SessionReplay.finalMask(of: objects[index], with: predictor, imageWidth: image.width,
                                                       imageHeight: image.height)
            if let stored = objects[index].mask, let saved = try? stored.decode(width: image.width, height: image.height),
               saved != replayed.mask {
                warn("\(store.path): \(objects[index].displayName): the replayed mask differs from the saved one "
                     + "(IoU \(String(format: "%.4f", saved.iou(replayed.mask)))); exporting the replayed one")
            }
            results[index] = ObjectMask(mask: replayed.mask, score: replayed.score.map(Double.init))
        }
        return results.map { $0! }
    }

    private func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}

/// A failure to report as it is (exit status 1): the message names the file and the reason.
struct ExportFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
