// The CPU's hand-written kernels, each against ATen's own operation on random shapes with the
// edge sizes (one row or column, sizes around the vector width and the 16-feature panels).

import SamEngine
import Segmentation
import XCTest

final class KernelTests: XCTestCase {
    /// Largest absolute difference from ATen over 200 seeded cases. The element-wise kernels'
    /// own approximations (a rational erf, a polynomial exp) stay within a few float ulps of
    /// values near 1; the products sum up to 600 terms of magnitude 1 in another order.
    static let tolerances: [(kernel: String, tolerance: Double)] = [
        ("gelu", 1e-5), ("layer_norm_gelu", 1e-5), ("layer_norm_rows", 1e-5),
        ("column_softmax", 1e-6), ("packed_linear", 1e-4), ("cpu_attention", 1e-5),
    ]

    func testEveryKernelMatchesATen() throws {
        for (kernel, tolerance) in Self.tolerances {
            var worst = 0.0
            var error = sam_error()
            let status = sam_kernel_check(kernel, 20261202, 200, &worst, &error)
            if status == SAM_ERROR_DEVICE { continue }  // no AVX2: the ATen path runs instead
            XCTAssertEqual(status, SAM_OK, kernel)
            print("kernel \(kernel): worst difference from ATen \(worst)")
            XCTAssertLessThanOrEqual(worst, tolerance, kernel)
        }
    }

    func testAnUnknownKernelIsAnArgumentError() {
        var worst = 0.0
        var error = sam_error()
        XCTAssertEqual(sam_kernel_check("fft", 1, 1, &worst, &error), SAM_ERROR_ARGUMENT)
    }
}
