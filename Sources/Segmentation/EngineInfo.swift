import SamEngine

/// What the engine runs on, for `samterm inspect --system` and bug reports.
public enum EngineInfo {
    /// One line: LibTorch version, BLAS in use, threads, CUDA.
    public static var system: String { String(cString: sam_system_info()) }
}
