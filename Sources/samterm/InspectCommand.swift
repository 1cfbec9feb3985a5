import ArgumentParser
import Foundation
import Segmentation
import TerminalUI

/// `samterm inspect`: what a checkpoint holds and which model it is, without building the model.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint: detected model, tensors, values, dtypes, load time (or the runtime, or the terminal).")

    @Argument(help: "A torch.save checkpoint (.pt / .pth).")
    var checkpoint: String?

    @Flag(help: "Print JSON with the keys model, tensors, values, dtypes, load_ms.")
    var json = false

    @Flag(help: "Print the engine's runtime: LibTorch version, BLAS, threads, CUDA and its devices.")
    var system = false

    @Flag(help: "Ask the terminal what the editor asks (DA1, XTSMGRAPHICS, cell size) and print its answers, TERM, TMUX, COLORTERM and the renderer chosen.")
    var terminal = false

    func validate() throws {
        if checkpoint == nil && !system && !terminal {
            throw ValidationError("Missing expected argument '<checkpoint>' (or pass --system or --terminal).")
        }
        if terminal && json {
            throw ValidationError("--terminal prints text only, not --json.")
        }
    }

    func run() throws {
        if terminal {
            print(try TerminalProbe.report(environment: ProcessInfo.processInfo.environment))
            if checkpoint == nil && !system { return }
        }
        let report = try checkpoint.map(CheckpointReport.init(path:))
        if json {
            print(try jsonText(report))
            return
        }
        if system {
            print("system      \(EngineInfo.system)")
            print("libtorch    \(EngineInfo.torchVersion), \(EngineInfo.cudaBuilt ? "with" : "without") CUDA")
            let devices = EngineInfo.cudaDevices
            print("devices     cpu" + (devices.isEmpty ? "" : ", " + devices.joined(separator: ", ")))
        }
        if let report { print(report.text) }
    }

    private func jsonText(_ report: CheckpointReport?) throws -> String {
        var object: [String: Any] = [:]
        if let report {
            object["model"] = report.model
            object["tensors"] = report.tensors
            object["values"] = report.values
            object["dtypes"] = report.dtypes
            object["load_ms"] = (report.loadMilliseconds * 1000).rounded() / 1000
        }
        if system {
            object["system"] = EngineInfo.system
            object["libtorch"] = EngineInfo.torchVersion
            object["cuda_built"] = EngineInfo.cudaBuilt
            object["cuda_devices"] = EngineInfo.cudaDevices
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The figures `inspect` prints for one checkpoint.
struct CheckpointReport {
    let path: String
    let model: String
    let tensors: Int
    let values: Int
    let dtypes: [String: Int]
    let loadMilliseconds: Double

    /// Opens the checkpoint, timing the whole open (reading the archive, the pickle, detection).
    init(path: String) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let checkpoint = try Checkpoint(path: path)
        let elapsed = clock.now - start
        self.path = path
        model = checkpoint.modelName
        tensors = checkpoint.tensors.count
        values = checkpoint.valueCount
        dtypes = Dictionary(checkpoint.tensors.map { ($0.dtype.rawValue, 1) }, uniquingKeysWith: +)
        loadMilliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    var text: String {
        let dtypeList = dtypes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\($0.key) \(grouped($0.value))" }
            .joined(separator: ", ")
        return """
            checkpoint  \(path)
            model       \(model)
            tensors     \(grouped(tensors))
            values      \(grouped(values))
            dtypes      \(dtypeList.isEmpty ? "none" : dtypeList)
            load        \(String(format: "%.1f", loadMilliseconds)) ms
            """
    }
}

/// 38962754 -> "38,962,754", independent of the locale.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (offset, digit) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return value < 0 ? "-" + result : result
}
