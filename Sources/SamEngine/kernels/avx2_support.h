// Whether the hand-written AVX2/FMA kernels (cpu_attention, cpu_linear) can run here.
#pragma once

namespace sam {

// True on x86 CPUs with AVX2 and FMA (checked once); false on every other architecture.
bool avx2_kernels_available();

}  // namespace sam
