// Thread settings of the libraries under LibTorch, for code that knows better than their defaults.
//
// OpenBLAS built with pthreads (Debian's default BLAS for LibTorch) runs its own thread pool
// inside every large enough GEMM, also when the GEMM is one task among several on ATen's
// threads; two thread pools then fight over the same cores (its idle workers spin and yield
// between products). Code that splits its GEMMs across ATen's threads itself — the encoders
// and the mask decoder — holds a SingleThreadedBlas while it runs.
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

}  // namespace sam
