import SamEngine

/// Where a model runs.
public enum ComputeDevice: String, Sendable, CaseIterable {
    /// CUDA when LibTorch has it and a GPU is present, else the CPU.
    case auto
    case cpu
    case cuda
}

/// A Segment Anything model loaded from an official checkpoint (SAM 2 / 2.1).
///
/// Use a model, and the predictors made from it, from one thread at a time.
public final class Model: @unchecked Sendable {
    let handle: OpaquePointer

    /// The preset in use, e.g. "sam2.1_hiera_t".
    public let name: String
    /// "cpu" or "cuda".
    public let device: String
    /// Side of the square low-resolution mask logits (256 for every official model).
    public let lowResSize: Int

    /// Loads `path`; `modelName` nil detects the preset from the checkpoint's tensors.
    /// - Parameter threads: 0 keeps LibTorch's default.
    /// - Throws: `EngineError` — .io / .format (the file), .argument (an unknown model name),
    ///   .model (the tensors do not fit the preset; the message lists them), .device.
    public init(path: String, modelName: String? = nil, device: ComputeDevice = .auto, threads: Int = 0) throws {
        var handle: OpaquePointer?
        try device.rawValue.withCString { deviceName in
            try withOptionalCString(modelName) { name in
                var options = sam_model_options(model_name: name, device: deviceName, threads: Int32(clamping: threads))
                try EngineError.check { sam_model_load(path, &options, &handle, $0) }
            }
        }
        self.handle = handle!
        self.name = String(cString: sam_model_name(handle))
        self.device = String(cString: sam_model_device(handle))
        self.lowResSize = Int(sam_model_low_res_size(handle))
    }

    deinit { sam_model_free(handle) }
}

/// Runs `body` with a C string for `text`, or NULL when it is nil.
func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) throws -> Result) rethrows -> Result {
    guard let text else { return try body(nil) }
    return try text.withCString { try body($0) }
}
