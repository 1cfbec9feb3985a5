import ArgumentParser
import Foundation
import Segmentation

/// The dataset half of `samterm export`: every session's objects, one image at a time, into
/// the dataset writers (DatasetExport). An image that cannot be read is reported and left out;
/// the rest goes on, and the run fails at the end.
struct DatasetExportRun {
    let formats: [DatasetFormat]
    /// --out: the dataset's folder (nil: LabelMe files beside the images).
    let out: String?
    /// --classes, parsed (ClassList.parse).
    let classes: ClassList?
    /// Replace files that exist (--force).
    let force: Bool
    /// Formats' options; `labelmeFolder` and `model` are set here.
    let options: DatasetOptions
    let masks: SessionMasks

    /// Returns true when anything was reported as a problem (the command then exits 1).
    func run(_ stores: [SessionStore]) throws -> Bool {
        var failed = false
        func problem(_ message: String) {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            failed = true
        }
        // Sessions are read first (small files) for their images' names and class lists.
        var sessions: [(store: SessionStore, session: Session)] = []
        for store in stores {
            do {
                if let session = try store.load() { sessions.append((store, session)) }
            } catch {
                problem("\(error)")
            }
        }
        let classes = try classList(sessions.map(\.session))
        let names = DatasetExport.names(for: sessions.map { $0.store.resolvedImagePath(of: $0.session) })

        var options = self.options
        options.labelmeFolder = out
        options.model = sessions.lazy.map(\.session.model).first { !$0.isEmpty }
        let folder = out ?? "."
        let export = DatasetExport(formats: formats, folder: folder, options: options, classes: classes)

        let (clashes, existing) = export.plan(names)
        if !clashes.isEmpty { throw ExportFailure(clashes.joined(separator: "\n")) }
        if !existing.isEmpty && !force { throw ExportFailure("\(ExportError.filesExist(existing))") }

        var objectCount = 0, imageCount = 0
        for ((store, session), name) in zip(sessions, names) {
            do {
                guard let opened = try OpenedSession.open(store, loaded: session) else { continue }
                let image = try datasetImage(opened, name: name)
                let skipped = try export.add(image)
                skipped.warnings.forEach { warn($0) }
                skipped.problems.forEach(problem)
                objectCount += image.objects.count - skipped.warnings.count - skipped.problems.count
                imageCount += 1
            } catch let error as FileWriteError {
                throw ExportError.writeFailed(error)
            } catch {
                problem("\(error)")
            }
        }
        try export.finish()
        let where_ = out ?? "beside the images"
        print("\(formats.map(\.rawValue).joined(separator: ",")): \(imageCount) images, \(objectCount) objects, "
              + "\(export.classes.names.count) classes in \(where_)")
        return failed
    }

    /// --classes, else the class list the sessions share (refused when they disagree), else
    /// none: the export continues DIR's earlier list.
    private func classList(_ sessions: [Session]) throws -> ClassList? {
        if let classes { return classes }
        let lists = sessions.compactMap(\.classList)
        guard let first = lists.first else { return nil }
        if let other = lists.first(where: { $0.names != first.names }) {
            throw UsageError("the sessions have different class lists (\(first.names.joined(separator: ",")) and "
                             + "\(other.names.joined(separator: ","))): give the one to use with --classes")
        }
        return first
    }

    private func datasetImage(_ opened: OpenedSession, name: DatasetImage.Name) throws -> DatasetImage {
        let objects = opened.objects
        let found = try masks.masks(of: opened)
        var finalMasks = found.map(\.mask)
        if opened.session.noOverlaps ?? false { finalMasks = MaskSculpting.exclusive(finalMasks) }
        let datasetObjects = objects.indices.map { index -> DatasetObject in
            let object = objects[index]
            // The source's own polygons, while the mask is still the one they describe.
            var polygons: [Polygon]?
            if object.isBaseOnly, let flat = object.base?.polygons, finalMasks[index] == found[index].mask {
                polygons = flat.map { coordinates in
                    Polygon(points: stride(from: 0, to: coordinates.count - 1, by: 2).map {
                        PolygonPoint(x: coordinates[$0], y: coordinates[$0 + 1])
                    })
                }
            }
            return DatasetObject(id: object.id, className: object.className, mask: finalMasks[index],
                                 score: object.confidence ?? found[index].score, polygons: polygons)
        }
        return DatasetImage(path: opened.imagePath, fileName: name.fileName, width: opened.image.width,
                            height: opened.image.height, objects: datasetObjects)
    }
}
