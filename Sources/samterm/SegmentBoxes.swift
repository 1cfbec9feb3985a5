import ArgumentParser
import Foundation
import Segmentation

/// `segment --boxes`' options: where the boxes come from and what is made of them.
struct DetectorBoxesOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Detector boxes: a COCO results list or dataset (JSON), or a folder of YOLO detection labels.",
                               valueName: "file-or-dir"))
    var boxes: String?

    @Option(help: ArgumentHelp("With a COCO results list: the COCO file naming its images and categories.", valueName: "coco.json"))
    var images: String?

    @Option(name: .customLong("min-score"), parsing: .unconditional,
            help: ArgumentHelp("Leave out detections scored below S.", valueName: "S"))
    var minScore: Double?

    @Option(help: "Dataset formats to write from the masks: coco-dataset (default), yolo, voc, labelme.")
    var format: String?

    @Option(help: ArgumentHelp("Class list for the dataset files (file or a,b,c; default: the detections' own).",
                               valueName: "file-or-list"))
    var classes: String?

    @Flag(help: "coco-dataset: polygons instead of compressed RLE.")
    var polygons = false

    var isGiven: Bool { boxes != nil || images != nil || minScore != nil || format != nil || classes != nil || polygons }

    func validate() throws {
        if let minScore, !minScore.isFinite { throw ValidationError("--min-score \(minScore): not a number") }
        _ = try formats()
    }

    func formats() throws -> [DatasetFormat] {
        guard let format else { return [.cocoDataset] }
        var formats: [DatasetFormat] = []
        for item in format.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard let found = DatasetFormat(rawValue: name) else {
                throw ValidationError("--format \(format): \"\(name)\" is not a dataset format (coco-dataset, yolo, voc, labelme)")
            }
            if !formats.contains(found) { formats.append(found) }
        }
        if formats.isEmpty { throw ValidationError("--format \(format): no format named") }
        return formats
    }
}

/// The detector-to-masks pipeline: read the boxes, make each image's session (BoxesBatchJob,
/// with progress, resume and --shard as every batch), then the dataset files from them all.
struct SegmentBoxes {
    let options: DetectorBoxesOptions
    let file: String
    let out: String
    let batch: BatchOptions
    let modelOptions: ModelOptions

    func run() throws {
        let classes = try ClassList.parse(option: options.classes)
        let detections: DetectionSet
        do {
            detections = try DetectionReader.read(path: file, images: options.images)
        } catch let problem as DetectionProblem {
            throw ExportFailure("--boxes \(problem)")
        }
        for problem in detections.problems { FileHandle.standardError.write(Data("error: \(problem): left out\n".utf8)) }
        var failed = !detections.problems.isEmpty

        nonisolated(unsafe) var names: [String: DatasetImage.Name] = [:]
        var allInputs: [String] = []
        var boxProblems = 0
        do {
            try batch.run(command: "segment --boxes", check: { inputs in
                try OutputFolders.checkDistinct(inputs)
                allInputs = inputs
                for name in DatasetExport.names(for: inputs) { names[name.path] = name }
            }, makeJob: {
                try BoxesBatchJob(model: modelOptions.loadModel(), detections: detections, minScore: options.minScore,
                                  out: out, names: names)
            }, afterwards: { job in
                boxProblems = job?.problems.count ?? 0
            })
        } catch let exit as ExitCode {
            failed = true
            if exit.rawValue != 1 { throw exit }
        }
        failed = failed || boxProblems > 0

        if let shard = batch.shard {
            print("shard \(shard): sessions in \(BoxesBatchJob.sessionFolder(in: out)); once every shard is done, write the dataset with "
                  + "samterm export \(batch.inputs.joined(separator: " ")) --session-dir \(BoxesBatchJob.sessionFolder(in: out)) "
                  + "--format \(try options.formats().map(\.rawValue).joined(separator: ",")) --out \(out) --force")
        } else {
            let stores = allInputs.map { SessionStore(imagePath: $0, folder: BoxesBatchJob.sessionFolder(in: out)) }.filter(\.exists)
            var datasetOptions = DatasetOptions()
            datasetOptions.polygons = options.polygons
            // The dataset files are this command's own outputs: a rerun replaces them.
            let run = DatasetExportRun(formats: try options.formats(), out: out, classes: classes ?? detections.classes,
                                       force: true, options: datasetOptions,
                                       masks: SessionMasks(modelOptions: modelOptions, replay: false))
            failed = try run.run(stores) || failed
        }
        if failed { throw ExitCode(1) }
    }
}
