import SamEngine

/// Where a model runs.
public enum ComputeDevice: String, Sendable, CaseIterable {
    /// CUDA when LibTorch has it and a GPU is present, else the CPU.
    case auto
    case cpu
    case cuda
}

/// Which code computes: the CPU's own kernels and decoder plan, or the device-independent path
/// a GPU runs (`generic` makes the CPU take it too, so that it is tested).
public enum ComputeKernels: String, Sendable, CaseIterable {
    case auto
    case generic
}

/// The precision of the model's products, as `torch.autocast` runs them.
public enum ComputePrecision: String, Sendable, CaseIterable {
    /// bf16 on a CUDA device that supports it, else fp32.
    case auto
    case fp32
    case bf16
    case fp16
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
    /// "cpu-kernels" or "generic": the code that computes.
    public let kernels: String
    /// "fp32", "bf16" or "fp16".
    public let precision: String
    /// Side of the square low-resolution mask logits (256 for every official model).
    public let lowResSize: Int

    /// Loads `path`; `modelName` nil detects the preset from the checkpoint's tensors.
    /// - Parameter threads: 0 keeps LibTorch's default.
    /// - Throws: `EngineError` — .io / .format (the file), .argument (an unknown model name),
    ///   .model (the tensors do not fit the preset; the message lists them), .device.
    /// - Parameter decoderOrder: the order of the CPU decoder's image/token attentions
    ///   (tests run each; both give the same masks).
    public init(path: String, modelName: String? = nil, device: ComputeDevice = .auto, threads: Int = 0,
                kernels: ComputeKernels = .auto, precision: ComputePrecision = .auto,
                decoderOrder: DecoderOrder = .auto) throws {
        var handle: OpaquePointer?
        try device.rawValue.withCString { deviceName in
            try withOptionalCString(modelName) { name in
                var options = sam_model_options()
                options.model_name = name
                options.device = deviceName
                options.threads = Int32(clamping: threads)
                options.kernels = kernels == .generic ? SAM_KERNELS_GENERIC : SAM_KERNELS_AUTO
                options.precision = precision.engineValue
                options.decoder_order = decoderOrder.engineValue
                try EngineError.check { sam_model_load(path, &options, &handle, $0) }
            }
        }
        self.handle = handle!
        self.name = String(cString: sam_model_name(handle))
        self.device = String(cString: sam_model_device(handle))
        self.kernels = String(cString: sam_model_kernels(handle))
        self.precision = String(cString: sam_model_precision(handle))
        self.lowResSize = Int(sam_model_low_res_size(handle))
    }

    deinit { sam_model_free(handle) }
}

/// Runs `body` with a C string for `text`, or NULL when it is nil.
func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) throws -> Result) rethrows -> Result {
    guard let text else { return try body(nil) }
    return try text.withCString { try body($0) }
}

/// The order in which the CPU's decoder plan evaluates attentions between the image and the
/// prompt tokens; both give the same result.
public enum DecoderOrder: String, Sendable, CaseIterable {
    case auto
    case reference
    case reordered

    var engineValue: sam_decoder_order {
        switch self {
        case .auto: return SAM_DECODER_ORDER_AUTO
        case .reference: return SAM_DECODER_ORDER_REFERENCE
        case .reordered: return SAM_DECODER_ORDER_REORDERED
        }
    }
}

extension ComputePrecision {
    var engineValue: sam_precision {
        switch self {
        case .auto: return SAM_PRECISION_AUTO
        case .fp32: return SAM_PRECISION_FP32
        case .bf16: return SAM_PRECISION_BF16
        case .fp16: return SAM_PRECISION_FP16
        }
    }
}
