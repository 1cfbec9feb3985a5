// LibTorch's OpenMP runtime reads OMP_WAIT_POLICY once, when it is loaded, which happens
// before any of samterm's code runs. Its default lets idle workers spin for a while after
// every parallel region; on a machine with few cores they then steal the cores OpenBLAS's
// threads need, and a click takes about twice as long (docs/performance.md). So samterm
// starts itself again, once, with the passive policy, unless the user chose a policy.
#if canImport(Glibc)
import Glibc
#endif

enum OpenMPWaitPolicy {
    static func relaunchIfUnset() {
        #if os(Linux)
        guard getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: carry on as we are, and do not claim a policy that
        // the loaded runtime does not follow.
        unsetenv("OMP_WAIT_POLICY")
        #endif
    }
}
