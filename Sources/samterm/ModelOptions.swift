import ArgumentParser
import Foundation
import Segmentation

extension ComputeDevice: ExpressibleByArgument {}
extension ComputeKernels: ExpressibleByArgument {}
extension ComputePrecision: ExpressibleByArgument {}

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

    @Option(help: "auto (the CPU's own kernels on the CPU) or generic (the path a GPU runs, on any device).")
    var kernels: ComputeKernels = .auto

    @Option(help: "fp32, bf16 or fp16 products (auto: bf16 on a GPU that supports it, else fp32).")
    var precision: ComputePrecision = .auto

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

    /// Refuses `--device cuda` where it cannot run, before anything is loaded or written.
    func checkDevice() throws {
        guard device == .cuda else { return }
        if !EngineInfo.cudaBuilt {
            throw UsageError("--device cuda: this LibTorch (\(EngineInfo.torchVersion)) has no CUDA; build samterm "
                             + "against a CUDA LibTorch (see README, GPU boxes)")
        }
        if EngineInfo.cudaDevices.isEmpty { throw UsageError("--device cuda: no CUDA device found") }
    }

    /// Loads the model and says where it runs, on standard error so that JSON output stays clean.
    func loadModel() throws -> Model {
        try checkDevice()
        let path = try checkpointPath()
        let loaded: Model
        do {
            loaded = try Model(path: path, modelName: model, device: device, threads: threads, kernels: kernels,
                               precision: precision)
        } catch let error as EngineError where error.status == .device {
            throw UsageError(error.message)
        }
        FileHandle.standardError.write(Data("\(Self.runningOn(loaded))\n".utf8))
        return loaded
    }

    /// "Running on: cuda (NVIDIA H100 80GB HBM3)" or "Running on: cpu", with the model and, where
    /// they are not the defaults, the kernels and precision.
    static func runningOn(_ model: Model) -> String {
        var line = "Running on: \(model.device)"
        if model.device == "cuda", let name = EngineInfo.cudaDevices.first?.split(separator: " ", maxSplits: 1).last {
            line += " (\(name))"
        }
        var details = [model.name]
        if model.device == "cpu" && model.kernels == "generic" { details.append("generic kernels") }
        if model.precision != "fp32" { details.append(model.precision) }
        return line + "; model " + details.joined(separator: ", ")
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
