import ArgumentParser
import Foundation
import Segmentation

extension ComputeDevice: ExpressibleByArgument {}

/// The options every command that runs the model shares: which checkpoint, which preset, where.
struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint (.pt / .pth). Default: $SAMTERM_CHECKPOINT, else the one `make checkpoints` fetched.")
    var checkpoint: String?

    @Option(help: "Use this preset instead of detecting it (e.g. sam2.1_hiera_t, sam_vit_b).")
    var model: String?

    @Option(help: "auto (CUDA when available), cpu or cuda.")
    var device: ComputeDevice = .auto

    @Option(help: "CPU threads for LibTorch (0: its default, one per core).")
    var threads: Int = 0

    /// The checkpoint to load: --checkpoint, $SAMTERM_CHECKPOINT, or one in a `checkpoints/`
    /// folder (the working directory's, or the one of the source tree the binary was built in).
    func checkpointPath() throws -> String {
        if let checkpoint { return checkpoint }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SAMTERM_CHECKPOINT"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        if let fetched = Self.fetchedCheckpoint() { return fetched }
        throw UsageError("no checkpoint: pass --checkpoint PATH, set SAMTERM_CHECKPOINT, or run `make checkpoints`")
    }

    /// Loads the model and says where it runs, on standard error so that JSON output stays clean.
    func loadModel() throws -> Model {
        let path = try checkpointPath()
        let model = try Model(path: path, modelName: model, device: device, threads: threads)
        FileHandle.standardError.write(Data("Running on: \(model.device) (\(model.name))\n".utf8))
        return model
    }

    static func fetchedCheckpoint() -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<configuration>/samterm -> the source tree's checkpoints/
        let sourceTree = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folders = [URL(fileURLWithPath: "checkpoints"), sourceTree.appendingPathComponent("checkpoints")]
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            let weights = names.filter { $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }.sorted()
            // The default download first, then any other official file.
            if let pick = weights.first(where: { $0 == "sam2.1_hiera_tiny.pt" }) ?? weights.first {
                return folder.appendingPathComponent(pick).path
            }
        }
        return nil
    }
}

/// A mistake in how samterm was called, found after parsing (a point outside the image, say):
/// reported in one line, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Milliseconds elapsed while running `body`.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    return (result, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
}
