import SamEngine

/// Element type of a checkpoint tensor, named as torch names it.
public enum TensorDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, int64, int32, uint8, bool, float64, int16, int8

    init(_ dtype: sam_dtype) {
        switch dtype {
        case SAM_DTYPE_FLOAT32: self = .float32
        case SAM_DTYPE_FLOAT16: self = .float16
        case SAM_DTYPE_BFLOAT16: self = .bfloat16
        case SAM_DTYPE_INT64: self = .int64
        case SAM_DTYPE_INT32: self = .int32
        case SAM_DTYPE_UINT8: self = .uint8
        case SAM_DTYPE_BOOL: self = .bool
        case SAM_DTYPE_FLOAT64: self = .float64
        case SAM_DTYPE_INT16: self = .int16
        default: self = .int8
        }
    }
}

/// One tensor of a checkpoint as the file stores it: a view (shape, strides, offset) of a storage.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]
    public let strides: [Int]      // in elements
    public let storageOffset: Int  // in elements
    public let count: Int          // number of values
}

/// A torch.save checkpoint opened by the engine's own reader (no Python, no pickle code run).
/// Immutable once opened, so it may be read from any thread.
public final class Checkpoint: @unchecked Sendable {
    public let name: String
    public let tensors: [TensorInfo]
    /// The detected model preset ("sam2.1_hiera_t", ..., "sam_vit_b"), or "unknown".
    public let modelName: String
    private let handle: OpaquePointer

    /// Opens the file at `path`; throws `EngineError` (.io or .format) naming it and the reason.
    public convenience init(path: String) throws {
        var handle: OpaquePointer?
        try EngineError.check { sam_checkpoint_open(path, &handle, $0) }
        try self.init(handle: handle!, name: path)
    }

    /// Reads a checkpoint held in memory; `name` stands for it in error messages.
    public convenience init(bytes: [UInt8], name: String) throws {
        var handle: OpaquePointer?
        try bytes.withUnsafeBytes { raw in
            try EngineError.check { sam_checkpoint_open_bytes(raw.baseAddress, raw.count, name, &handle, $0) }
        }
        try self.init(handle: handle!, name: name)
    }

    private init(handle: OpaquePointer, name: String) throws {
        self.handle = handle
        self.name = name
        self.modelName = String(cString: sam_checkpoint_model_name(handle))
        var tensors: [TensorInfo] = []
        let count = sam_checkpoint_tensor_count(handle)
        tensors.reserveCapacity(count)
        for index in 0..<count {
            var info = sam_tensor_info()
            do {
                try EngineError.check { sam_checkpoint_tensor_info(handle, index, &info, $0) }
            } catch {
                sam_checkpoint_free(handle)
                throw error
            }
            let rank = Int(info.rank)
            let shape = withUnsafeBytes(of: info.shape) { Array($0.bindMemory(to: Int64.self).prefix(rank)) }
            let strides = withUnsafeBytes(of: info.strides) { Array($0.bindMemory(to: Int64.self).prefix(rank)) }
            tensors.append(TensorInfo(
                name: String(cString: info.name),
                dtype: TensorDType(info.dtype),
                shape: shape.map { Int($0) },
                strides: strides.map { Int($0) },
                storageOffset: Int(info.storage_offset),
                count: Int(info.numel)))
        }
        self.tensors = tensors
    }

    deinit { sam_checkpoint_free(handle) }

    /// Total number of values over all tensors.
    public var valueCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The values of tensor `index` in row-major order of its shape, as doubles.
    public func values(at index: Int) throws -> [Double] {
        guard tensors.indices.contains(index) else {
            throw EngineError(status: .argument, message: "\(name): tensor index \(index) is out of range (\(tensors.count) tensors)")
        }
        let count = tensors[index].count
        var failure: Error?
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                try EngineError.check { sam_checkpoint_tensor_values(handle, index, buffer.baseAddress, count, $0) }
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return values
    }

    /// The values of the tensor called `name`, or nil when the checkpoint has none of that name.
    public func values(named name: String) throws -> [Double]? {
        guard let index = tensors.firstIndex(where: { $0.name == name }) else { return nil }
        return try values(at: index)
    }
}
