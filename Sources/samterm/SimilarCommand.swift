import ArgumentParser
import Foundation
import Segmentation

/// `samterm similar`: the index's objects ranked by likeness to one object, given as an object
/// of a session (IMAGE#N) or segmented from a point or box on an image.
struct Similar: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the indexed objects most like one object.",
        discussion: """
            QUERY is IMAGE#N (object N of the image's session, as the editor numbers it) or IMAGE with \
            --point or --box (segmented first, the best of three candidates for a point). The index is \
            --db, else the first \(ObjectIndex.fileName) found in the image's folder or above (made by \
            `samterm index`). Likeness is the cosine similarity of the objects' embeddings (1: the same); \
            only objects whose embeddings the same model made are compared.
            """)

    @Argument(help: ArgumentHelp("IMAGE#N, or IMAGE with --point / --box.", valueName: "query"))
    var query: String

    @Option(help: "A point on the object: X,Y in image pixels (segments IMAGE first).")
    var point: PointArgument?

    @Option(help: "A box around the object: X0,Y0,X1,Y1 in image pixels (segments IMAGE first).")
    var box: BoxArgument?

    @Option(help: ArgumentHelp("The index file (default: \(ObjectIndex.fileName) in the image's folder or above).", valueName: "file"))
    var db: String?

    @Option(help: "How many objects to list.")
    var top: Int = 10

    @Option(name: .customLong("class"), help: "Only objects of this class.")
    var className: String?

    @Flag(help: "Print JSON: a list of {image, object, class, name, similarity, bbox, area}.")
    var json = false

    @Option(help: ArgumentHelp("Folder holding sessions, when they are not beside their images.", valueName: "dir"))
    var sessionDir: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if top < 1 { throw ValidationError("--top \(top): must be at least 1") }
        if point != nil && box != nil { throw ValidationError("--point and --box: give one of them") }
        if point == nil && box == nil && !query.contains("#") {
            throw ValidationError("<query>: \(query): give IMAGE#N, or IMAGE with --point or --box")
        }
    }

    func run() throws {
        let segmenting = point != nil || box != nil
        let reference = segmenting ? nil : try parsedReference()
        let imagePath = reference?.imagePath ?? query
        guard FileManager.default.fileExists(atPath: imagePath) else { throw ExportFailure("\(imagePath): no such image") }
        let index = try ObjectIndex(path: try indexPath(near: imagePath), create: false)
        let (model, embedding) = try reference.map { try queryEmbedding(of: $0, in: index) } ?? segmentedEmbedding(imagePath)
        let ranking = try index.similar(to: embedding, model: model, className: className, top: top)
        let others = ranking.otherModels.sorted { $0.key < $1.key }.map { "\($0.value) by \($0.key.isEmpty ? "no model" : $0.key)" }
        if ranking.compared == 0 && !others.isEmpty {
            throw ExportFailure("\(index.path): no object there was embedded by \(model) (\(others.joined(separator: ", "))); "
                                + "index the library with \(model)'s checkpoint to compare")
        }
        if !others.isEmpty {
            FileHandle.standardError.write(Data("note: left out objects another model embedded (\(others.joined(separator: ", "))): not comparable with \(model)'s\n".utf8))
        }
        print(json ? Self.json(ranking.matches) : Self.table(ranking.matches))
    }

    private func parsedReference() throws -> ObjectReference {
        do { return try ObjectReference.parse(query) } catch { throw UsageError("<query>: \(error)") }
    }

    private func indexPath(near imagePath: String) throws -> String {
        if let db { return db }
        guard let found = ObjectIndex.locate(near: imagePath) else {
            throw UsageError("--db: no \(ObjectIndex.fileName) in \(imagePath)'s folder or above; give the index file "
                             + "(make one with `samterm index FOLDER`)")
        }
        return imagePath.hasPrefix("/") ? found : Self.relative(found)
    }

    /// The object's embedding as the index holds it; computed from its session when the image
    /// is not indexed (or the object is newer than the index).
    private func queryEmbedding(of reference: ObjectReference, in index: ObjectIndex) throws -> (String, [Float]) {
        let store = SessionStore(imagePath: reference.imagePath, folder: sessionDir)
        if let indexed = try index.object(imagePath: reference.imagePath, number: reference.number),
           let image = try index.image(at: reference.imagePath),
           (try? SHA256.hexDigest(ofFileAt: store.path)) == image.sessionSHA256 {
            return (indexed.model, indexed.embedding)
        }
        guard let opened = try OpenedSession.open(store) else {
            throw ExportFailure("\(reference.imagePath): no session found (looked for \(store.path))")
        }
        let position = try opened.position(ofObject: reference.number, argument: "<query>: \(query)")
        let predictor = try Predictor(model: try modelOptions.loadModel())
        guard opened.session.isModelIndependent || predictor.model.name == opened.session.model else {
            throw SessionError.modelMismatch(path: store.path, sessionModel: opened.session.model, currentModel: predictor.model.name)
        }
        try encodings(for: predictor).setImage(opened.image, sha256: opened.session.image.sha256, on: predictor)
        let masks = try SessionMasks.masks(of: opened, replay: false) { _ in predictor }
        return (predictor.model.name, try predictor.objectEmbedding(of: masks[position].mask))
    }

    private func segmentedEmbedding(_ imagePath: String) throws -> (String, [Float]) {
        let image = try RGBImage.load(path: imagePath)
        try checkPrompt(on: image, imagePath: imagePath)
        let predictor = try Predictor(model: try modelOptions.loadModel())
        try encodings(for: predictor).setImage(image, sha256: try SHA256.hexDigest(ofFileAt: imagePath), on: predictor)
        let prompt = Prompt(points: point.map { [$0.point] } ?? [], box: box?.box, multimask: box == nil)
        let candidates = try predictor.predict(prompt, options: MaskOutputOptions(bestMaskOnly: true))
        guard let mask = candidates.bestMask, !mask.isEmpty else {
            throw ExportFailure("\(imagePath): the \(point != nil ? "point" : "box") gives an empty mask; nothing to compare")
        }
        return (predictor.model.name, try predictor.objectEmbedding(of: mask))
    }

    /// The point or box must lie on the image, as `segment` requires: off it the model still
    /// gives some mask, and a ranking of it would answer a question nobody asked.
    private func checkPrompt(on image: RGBImage, imagePath: String) throws {
        let width = Float(image.width), height = Float(image.height)
        if let point = point?.point, !(0...width).contains(point.x) || !(0...height).contains(point.y) {
            throw UsageError("--point \(point.x),\(point.y) lies outside the \(image.width)x\(image.height) image \(imagePath)")
        }
        if let box = box?.box, box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height {
            throw UsageError("--box \(box.x0),\(box.y0),\(box.x1),\(box.y1) reaches outside the \(image.width)x\(image.height) image \(imagePath)")
        }
    }

    private func encodings(for predictor: Predictor) throws -> CachedEncodings {
        CachedEncodings(modelKey: EmbeddingCache.modelKey(modelName: predictor.model.name,
                                                          checkpointPath: try modelOptions.checkpointPath()))
    }

    private static func relative(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath
        return path.hasPrefix(here + "/") ? String(path.dropFirst(here.count + 1)) : path
    }

    static func table(_ matches: [ObjectIndex.Match]) -> String {
        guard !matches.isEmpty else { return "(no objects)" }
        return matches.enumerated().map { rank, match in
            let label = [match.className, match.name].compactMap { $0 }.joined(separator: " / ")
            return String(format: "%3d  %.4f  ", rank + 1, match.similarity) + "\(match.imagePath)#\(match.number)"
                + (label.isEmpty ? "" : "  \(label)")
        }.joined(separator: "\n")
    }

    static func json(_ matches: [ObjectIndex.Match]) -> String {
        let rows: [[String: Any]] = matches.map { match in
            ["image": match.imagePath, "object": match.number, "class": match.className ?? NSNull(), "name": match.name ?? NSNull(),
             "similarity": (Double(match.similarity) * 1e6).rounded() / 1e6, "bbox": match.box.cocoArray, "area": match.area]
        }
        let data = try? JSONSerialization.data(withJSONObject: rows,
                                               options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
    }
}
