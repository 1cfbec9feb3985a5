import SamEngine

/// What the engine runs on, for `samterm inspect --system` and bug reports.
public enum EngineInfo {
    /// One line: LibTorch version, BLAS in use, threads, CUDA.
    public static var system: String { String(cString: sam_system_info()) }

    /// LibTorch's version, as "2.15.0".
    public static var torchVersion: String {
        let version = sam_runtime().torch_version
        return "\(version.0).\(version.1).\(version.2)"
    }

    /// Whether this LibTorch was built with CUDA.
    public static var cudaBuilt: Bool { sam_runtime().cuda_built != 0 }

    /// The CUDA devices LibTorch sees, by name ("cuda:0 NVIDIA H100 80GB HBM3").
    public static var cudaDevices: [String] {
        (0..<Int(sam_runtime().cuda_devices)).map { index in
            let name = String(cString: sam_cuda_device_name(Int32(index)))
            return "cuda:\(index)" + (name.isEmpty ? "" : " \(name)")
        }
    }
}
