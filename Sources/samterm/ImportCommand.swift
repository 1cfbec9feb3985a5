import ArgumentParser
import Foundation
import Segmentation

/// `samterm import`: turns existing annotations (COCO, YOLO, LabelMe) into sessions, one per
/// image, so each opens in the editor with its annotations as objects.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make sessions from existing annotations (COCO, YOLO, LabelMe), one per image.",
        discussion: """
            coco: FILE is an annotations JSON; images are found by file_name under --images (default: \
            the JSON's folder). yolo: DIR is a dataset folder (data.yaml, labels/, images/) or a labels \
            folder with --images. labelme: FILE.json or a folder of them; imagePath is relative to the JSON.

            Each annotation becomes an object with its class and mask (polygons are kept as they are). \
            An image that already has a session is left alone unless --force; one open in a samterm \
            editor is never replaced. Each problem is one line on stderr and the rest goes on; the exit \
            status is 1 if anything was skipped.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case coco, yolo, labelme
    }

    @Argument(help: ArgumentHelp("The annotations: a COCO JSON, a YOLO folder, a LabelMe JSON or folder.", valueName: "file-or-dir"))
    var input: String

    @Option(help: "coco, yolo or labelme.")
    var format: Format

    @Option(help: ArgumentHelp("Folder the images are in (COCO: file_name's root; YOLO: beside a labels folder).", valueName: "dir"))
    var images: String?

    @Option(help: ArgumentHelp("Folder for the sessions, when they are not to sit beside their images.", valueName: "dir"))
    var sessionDir: String?

    @Flag(help: "Replace sessions that exist (keeping nothing of them).")
    var force = false

    func validate() throws {
        guard FileManager.default.fileExists(atPath: input) else { throw ValidationError("\(input): no such file or folder") }
        if let images {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--images \(images): no such folder")
            }
        }
    }

    func run() throws {
        let dataset: ImportedDataset
        switch format {
        case .coco: dataset = COCOReader.read(path: input, imageRoot: images)
        case .yolo:
            dataset = YOLOReader.read(folder: input, imageRoot: images) { path in
                let image = try RGBImage.load(path: path)
                return (image.width, image.height)
            }
        case .labelme: dataset = LabelMeReader.read(path: input)
        }
        var failures = 0
        for problem in dataset.problems { report(problem); failures += 1 }
        if let sessionDir { try? FileManager.default.createDirectory(atPath: sessionDir, withIntermediateDirectories: true) }
        for image in dataset.images {
            do {
                print(try write(image, classes: format == .labelme ? nil : dataset.classes.map {
                    ClassList(names: $0, fixed: true, cocoIDs: dataset.classIDs)
                }))
            } catch {
                report("\(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// Writes the image's session; returns its path.
    private func write(_ image: ImportedImage, classes: ClassList?) throws -> String {
        guard FileManager.default.fileExists(atPath: image.path) else { throw ExportFailure("\(image.path): no such image; skipped") }
        let decoded = try RGBImage.load(path: image.path)
        guard decoded.width == image.width, decoded.height == image.height else {
            throw ExportFailure("\(image.path): the annotations say \(image.width)x\(image.height), the image is "
                                + "\(decoded.width)x\(decoded.height); skipped")
        }
        let store = SessionStore(imagePath: image.path, folder: sessionDir)
        let objects = image.objects.enumerated().map { index, object in
            Session.Object(id: index + 1, category: object.className, color: ObjectPalette.color(at: index),
                           base: Session.BaseMask(counts: object.counts, polygons: object.polygons, source: object.source),
                           confidence: object.score, mask: Session.StoredMask(counts: object.counts, score: 1))
        }
        var session = Session(image: Session.ImageReference(path: store.imageReferencePath(for: image.path),
                                                            sha256: try SHA256.hexDigest(ofFileAt: image.path),
                                                            width: decoded.width, height: decoded.height),
                              model: Session.noModel, objects: objects)
        session.classes = classes?.names
        session.classIDs = classes?.cocoIDs

        let acquisition = try SessionLock.acquire(sessionPath: store.path)
        guard case .acquired(let lock) = acquisition else {
            if case .heldBy(let holder) = acquisition {
                throw ExportFailure("\(store.path): a samterm editor has it open (\(holder.description)); not replaced")
            }
            throw ExportFailure("\(store.path): cannot lock it; not replaced")
        }
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: store.path) && !force {
            throw ExportFailure("\(store.path): \(image.path) already has a session; --force replaces it")
        }
        try store.save(session)
        return store.path
    }

    private func report(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
