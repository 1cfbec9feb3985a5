// Thread settings of the libraries under LibTorch, for code that knows better than their defaults.
//
// OpenBLAS built with pthreads (Debian's default BLAS for LibTorch) runs its own thread pool
// inside every large enough GEMM, also when the GEMM is one task among several on ATen's
// threads; two thread pools then fight over the same cores. Code that splits its GEMMs across
// ATen's threads itself holds a SingleThreadedBlas while it runs.
#pragma once

namespace sam {

// Sets OpenBLAS to one thread for the guard's lifetime and restores the previous count after;
// does nothing with any other BLAS (MKL, for one, already runs serially inside parallel regions).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to restore
};

// Makes ATen's ops on the calling thread serial for the guard's lifetime (OpenMP's thread count
// is per calling thread). The mask decoder's tensors are small: between its GEMMs, OpenMP's
// idle workers spin and OpenBLAS's yield, and on a machine with few cores the two pools take
// turns on the same cores, doubling a click's latency. Serial element-wise work, with OpenBLAS
// keeping its threads for the products, is the fastest split measured (docs/performance.md).
// True when OpenMP's idle workers sleep (OMP_WAIT_POLICY=passive, which samterm sets for
// itself) rather than spin for a while after each parallel region (OpenMP's default).
bool openmp_workers_sleep();

class SerialAten {
 public:
  SerialAten();
  ~SerialAten();
  SerialAten(const SerialAten&) = delete;
  SerialAten& operator=(const SerialAten&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to restore
};

}  // namespace sam
