// The wasm repack kernels (arch/wasm/repack.cpp: Q4_K/Q5_K/Q6_K 8x4, Q4_0/Q8_0 4x4, the Q8_K 4x4 activation
// quantizer) against ggml's generic kernels and the per-row vec_dot:
// correctness on random blocks (several shapes, odd column counts) and GMAC/s on one thread.
// Built by bench/kernels/build.sh against an engine build tree, run by bench/kernels/run.cjs.
#include "ggml.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "repack.h"
#include "quants.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

typedef void (*kernel_t)(int, float *, size_t, const void *, const void *, int, int);
typedef void (*vec_dot_t)(int, float *, size_t, const void *, size_t, const void *, size_t, int);
typedef void (*quant_t)(const float *, void *, int64_t);

struct kquant {
    const char * name;
    ggml_type type;
    kernel_t gemv, gemv_ref, gemm, gemm_ref;
    vec_dot_t vec_dot;
    ggml_type act;     // activation type: Q8_K or Q8_0
    quant_t quant_mat;  // 4 columns interleaved (gemm)
    quant_t quant_row;  // one column (gemv and the per-row path)
    int rows;           // rows interleaved per group
};

static const kquant TYPES[] = {
    { "q4_K", GGML_TYPE_Q4_K, ggml_gemv_q4_K_8x4_q8_K, ggml_gemv_q4_K_8x4_q8_K_generic, ggml_gemm_q4_K_8x4_q8_K,
      ggml_gemm_q4_K_8x4_q8_K_generic, ggml_vec_dot_q4_K_q8_K, GGML_TYPE_Q8_K, ggml_quantize_mat_q8_K_4x4, quantize_row_q8_K, 8 },
    { "q5_K", GGML_TYPE_Q5_K, ggml_gemv_q5_K_8x4_q8_K, ggml_gemv_q5_K_8x4_q8_K_generic, ggml_gemm_q5_K_8x4_q8_K,
      ggml_gemm_q5_K_8x4_q8_K_generic, ggml_vec_dot_q5_K_q8_K, GGML_TYPE_Q8_K, ggml_quantize_mat_q8_K_4x4, quantize_row_q8_K, 8 },
    { "q6_K", GGML_TYPE_Q6_K, ggml_gemv_q6_K_8x4_q8_K, ggml_gemv_q6_K_8x4_q8_K_generic, ggml_gemm_q6_K_8x4_q8_K,
      ggml_gemm_q6_K_8x4_q8_K_generic, ggml_vec_dot_q6_K_q8_K, GGML_TYPE_Q8_K, ggml_quantize_mat_q8_K_4x4, quantize_row_q8_K, 8 },
    { "q4_0", GGML_TYPE_Q4_0, ggml_gemv_q4_0_4x4_q8_0, ggml_gemv_q4_0_4x4_q8_0_generic, ggml_gemm_q4_0_4x4_q8_0,
      ggml_gemm_q4_0_4x4_q8_0_generic, ggml_vec_dot_q4_0_q8_0, GGML_TYPE_Q8_0, ggml_quantize_mat_q8_0_4x4, quantize_row_q8_0, 4 },
    { "q8_0", GGML_TYPE_Q8_0, ggml_gemv_q8_0_4x4_q8_0, ggml_gemv_q8_0_4x4_q8_0_generic, ggml_gemm_q8_0_4x4_q8_0,
      ggml_gemm_q8_0_4x4_q8_0_generic, ggml_vec_dot_q8_0_q8_0, GGML_TYPE_Q8_0, ggml_quantize_mat_q8_0_4x4, quantize_row_q8_0, 4 },
};

static uint32_t rng = 12345;
static uint32_t next() { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static float frand() { return (next() & 0xffffff) / float(0x1000000) * 2 - 1; }
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// random blocks: every byte random (worst-case scales and quants), then finite small d/dmin
static std::vector<uint8_t> random_weights(ggml_type type, int rows, int k) {
    const size_t row = ggml_row_size(type, k);
    std::vector<uint8_t> w(row * rows);
    for (auto & b : w) b = next() & 0xff;
    const size_t bsz = ggml_type_size(type);
    for (size_t off = 0; off < w.size(); off += bsz) {
        ggml_fp16_t d = ggml_fp32_to_fp16(0.001f + 0.01f * std::fabs(frand()));
        ggml_fp16_t dm = ggml_fp32_to_fp16(0.001f + 0.01f * std::fabs(frand()));
        if (type == GGML_TYPE_Q8_0) {
            memcpy(&w[off], &d, 2);  // block_q8_0: d, qs (-127..127, as ggml's quantizer writes them)
            for (size_t i = off + 2; i < off + bsz; i++) if (w[i] == 0x80) w[i] = 0x81;
        } else if (type == GGML_TYPE_Q4_0) {
            memcpy(&w[off], &d, 2);
        } else if (type == GGML_TYPE_Q6_K) {
            memcpy(&w[off + bsz - 2], &d, 2);  // block_q6_K: ql, qh, scales, d
        } else {
            memcpy(&w[off], &d, 2);  // block_q4_K / block_q5_K: d, dmin, ...
            memcpy(&w[off + 2], &dm, 2);
        }
    }
    return w;
}

// the repacked copy, made by ggml's CPU repack buffer (the engine's own path)
struct repacked {
    ggml_context * ctx;
    ggml_backend_buffer_t buf;
    ggml_tensor * t;
};
static repacked repack(ggml_type type, int rows, int k, const std::vector<uint8_t> & w) {
    ggml_init_params ip = { ggml_tensor_overhead() * 2, nullptr, true };
    repacked r;
    r.ctx = ggml_init(ip);
    r.t = ggml_new_tensor_2d(r.ctx, type, k, rows);
    ggml_backend_buffer_type_t bt = ggml_backend_cpu_repack_buffer_type();
    r.buf = ggml_backend_buft_alloc_buffer(bt, ggml_backend_buft_get_alloc_size(bt, r.t) + 64);
    ggml_backend_tensor_alloc(r.buf, r.t, ggml_backend_buffer_get_base(r.buf));
    if (!r.t->extra) {
        fprintf(stderr, "%s %dx%d: the repack buffer does not repack this type\n", ggml_type_name(type), rows, k);
        exit(1);
    }
    ggml_backend_tensor_set(r.t, w.data(), 0, w.size());
    return r;
}
static void release(repacked & r) {
    ggml_backend_buffer_free(r.buf);
    ggml_free(r.ctx);
}

static double max_rel(const std::vector<float> & a, const std::vector<float> & b) {
    double scale = 0, err = 0;
    for (size_t i = 0; i < a.size(); i++) scale = std::fmax(scale, std::fabs(b[i]));
    for (size_t i = 0; i < a.size(); i++) err = std::fmax(err, std::fabs(a[i] - b[i]));
    return scale ? err / scale : err;
}

static int failures = 0;

// rows x k weights, cols activation columns; checks gemv (cols == 1) or gemm (+ gemv for cols % 4)
static void check(const kquant & q, int rows, int k, int cols) {
    auto w = random_weights(q.type, rows, k);
    repacked r = repack(q.type, rows, k, w);
    std::vector<float> x(size_t(cols) * k);
    for (auto & v : x) v = frand();
    const size_t q8row = ggml_row_size(q.act, k);
    // activations as the repack path lays them out: groups of 4 columns interleaved, the rest one block_q8_K row each
    std::vector<uint8_t> act(q8row * cols), plain(q8row * cols);
    const int c4 = cols - cols % 4;
    for (int c = 0; c < c4; c += 4) q.quant_mat(&x[size_t(c) * k], &act[q8row * c], k);
    for (int c = c4; c < cols; c++) q.quant_row(&x[size_t(c) * k], &act[q8row * c], k);
    for (int c = 0; c < cols; c++) q.quant_row(&x[size_t(c) * k], &plain[q8row * c], k);
    const void * ref_w = r.t->data;
#if defined(OXI_RELAXED_SIMD)
    // the relaxed build stores Q4_0's nibbles as they are; ggml's generic kernels read them xored with 0x88
    std::vector<uint8_t> xored;
    if (q.type == GGML_TYPE_Q4_0) {
        xored.assign((const uint8_t *) r.t->data, (const uint8_t *) r.t->data + ggml_nbytes(r.t));
        for (size_t b = 0; b < xored.size(); b += sizeof(block_q4_0x4))
            for (size_t i = 0; i < sizeof(block_q4_0x4::qs); i++) xored[b + offsetof(block_q4_0x4, qs) + i] ^= 0x88;
        ref_w = xored.data();
    }
    // and Q6_K in its own layout (oxi_q6_K_relaxed_layout): ggml's, interleaved again from the rows, for the generic ones
    std::vector<uint8_t> q6;
    if (q.type == GGML_TYPE_Q6_K) {
        q6.assign((const uint8_t *) r.t->data, (const uint8_t *) r.t->data + ggml_nbytes(r.t));
        const int nb = k / QK_K;
        const block_q6_K * src = (const block_q6_K *) w.data();
        block_q6_Kx8 * dst = (block_q6_Kx8 *) q6.data();
        for (int g = 0; g < rows / 8; g++) {
            for (int x = 0; x < nb; x++, dst++) {
                for (int i = 0; i < QK_K; i++) memcpy(&dst->ql[4 * i], &src[(8 * g + i % 8) * nb + x].ql[4 * (i / 8)], 4);
                for (int i = 0; i < QK_K / 2; i++) memcpy(&dst->qh[4 * i], &src[(8 * g + i % 8) * nb + x].qh[4 * (i / 8)], 4);
            }
        }
        ref_w = q6.data();
    }
#endif
    std::vector<float> out(size_t(cols) * rows), ref(out.size()), row(out.size());
    if (c4) {
        q.gemm(k, out.data(), rows, r.t->data, act.data(), c4, rows);
        q.gemm_ref(k, ref.data(), rows, ref_w, act.data(), c4, rows);
    }
    for (int c = c4; c < cols; c++) {
        q.gemv(k, &out[size_t(c) * rows], rows, r.t->data, &act[q8row * c], 1, rows);
        q.gemv_ref(k, &ref[size_t(c) * rows], rows, ref_w, &act[q8row * c], 1, rows);
    }
    const size_t wrow = ggml_row_size(q.type, k);
    for (int c = 0; c < cols; c++)
        for (int i = 0; i < rows; i++) q.vec_dot(k, &row[size_t(c) * rows + i], 0, &w[wrow * i], 0, &plain[q8row * c], 0, 1);
    const double e_ref = max_rel(out, ref), e_row = max_rel(out, row);
    // same integer sums, float order differs: ~1e-6 of the largest output; the per-row path also quantizes the gemm's
    // activations with quantize_row_q8_K (same values, possibly another sign on an exact tie)
    const bool ok = e_ref < 1e-5 && e_row < 1e-4;
    if (!ok) failures++;
    printf("%s %s rows=%d k=%d cols=%d: max rel err vs generic %.2e, vs per-row %.2e\n", ok ? "ok  " : "FAIL", q.name,
           rows, k, cols, e_ref, e_row);
    release(r);
}

// the wasm Q8_K 4x4 activation quantizer against ggml's scalar one, byte for byte: random rows, the largest magnitude
// reached twice with either sign first, an all-zero super-block, rounding ties (half-integers scaled by exactly -1)
static void check_quant_mat_q8_K() {
    const int k = 4 * QK_K;
    const size_t size = 4 * ggml_row_size(GGML_TYPE_Q8_K, k);
    std::vector<float> x(4 * k);
    std::vector<uint8_t> a(size), b(size);
    int bad = 0;
    for (int trial = 0; trial < 300; trial++) {
        for (auto & v : x) v = frand() * float(1 + trial % 7);
        if (trial % 3 == 0) x[5] = 9.0f, x[200] = -9.0f;
        if (trial % 3 == 1) x[k + 7] = -9.0f, x[k + 100] = 9.0f;
        if (trial % 5 == 0) std::fill(x.begin() + 2 * k + QK_K, x.begin() + 2 * k + 2 * QK_K, 0.0f);
        if (trial % 2 == 0) {
            for (int i = 0; i < k; i++) x[3 * k + i] = float(int(next() % 253) - 126) + 0.5f * float(next() % 2);
            for (int i = 0; i < k; i += QK_K) x[3 * k + i] = -127.0f;
        }
        ggml_quantize_mat_q8_K_4x4(x.data(), a.data(), k);
        ggml_quantize_mat_q8_K_4x4_generic(x.data(), b.data(), k);
        if (memcmp(a.data(), b.data(), size)) bad++;
    }
    if (bad) failures++;
    printf("%s q8_K quantize_mat_4x4: %d of 300 inputs differ from the generic quantizer\n", bad ? "FAIL" : "ok  ", bad);
}

// quantize_row_q8_0 (arch/wasm/quants.c: scale amax/127, truncating conversion, the gemv's activations) against the
// same arithmetic in scalar code, byte for byte: random rows, an all-zero block, values at exactly +-amax
static void check_quant_row_q8_0() {
    const int k = 8 * QK8_0;
    std::vector<float> x(k);
    std::vector<block_q8_0> a(k / QK8_0), b(k / QK8_0);
    int bad = 0;
    for (int trial = 0; trial < 300; trial++) {
        for (auto & v : x) v = frand() * float(1 + trial % 7);
        if (trial % 3 == 0) std::fill(x.begin() + QK8_0, x.begin() + 2 * QK8_0, 0.0f);
        if (trial % 2 == 0) x[5] = -9.0f, x[9] = 9.0f;
        quantize_row_q8_0(x.data(), a.data(), k);
        for (int i = 0; i < k / QK8_0; i++) {
            float amax = 0.0f;
            for (int j = 0; j < QK8_0; j++) amax = std::fmax(amax, std::fabs(x[i * QK8_0 + j]));
            const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
            b[i].d = ggml_fp32_to_fp16(d);
            for (int j = 0; j < QK8_0; j++) b[i].qs[j] = (int8_t) (int32_t) (x[i * QK8_0 + j] * id);
        }
        if (memcmp(a.data(), b.data(), a.size() * sizeof(block_q8_0))) bad++;
    }
    if (bad) failures++;
    printf("%s q8_0 quantize_row: %d of 300 inputs differ from the scalar arithmetic\n", bad ? "FAIL" : "ok  ", bad);
}

static void bench_quant_mat_q8_K(double seconds) {
    const int k = 1536;
    std::vector<float> x(4 * k);
    for (auto & v : x) v = frand();
    std::vector<uint8_t> a(4 * ggml_row_size(GGML_TYPE_Q8_K, k));
    auto rate = [&](quant_t fn) {
        int reps = 0;
        const double t0 = now();
        double t;
        do { fn(x.data(), a.data(), k); reps++; } while ((t = now() - t0) < seconds);
        return 4.0 * k * reps / t / 1e9;
    };
    const double simd = rate(ggml_quantize_mat_q8_K_4x4), generic = rate(ggml_quantize_mat_q8_K_4x4_generic);
    printf("q8_K quantize_mat_4x4 4x%d: %.2f G values/s (generic %.2f, %.2fx)\n", k, simd, generic, simd / generic);
}

// GMAC/s of the repacked gemm/gemv against the per-row vec_dot over the same data
static void bench(const kquant & q, int rows, int k, int cols, double seconds) {
    if (k % ggml_blck_size(q.type)) return;  // e.g. K-quants on a 576-wide model: llama.cpp picks another type there
    auto w = random_weights(q.type, rows, k);
    repacked r = repack(q.type, rows, k, w);
    std::vector<float> x(size_t(cols) * k);
    for (auto & v : x) v = frand();
    const size_t q8row = ggml_row_size(q.act, k), wrow = ggml_row_size(q.type, k);
    std::vector<uint8_t> act(q8row * cols), plain(q8row * cols);
    for (int c = 0; c + 4 <= cols; c += 4) q.quant_mat(&x[size_t(c) * k], &act[q8row * c], k);
    for (int c = 0; c < cols; c++) q.quant_row(&x[size_t(c) * k], &plain[q8row * c], k);
    std::vector<float> out(size_t(cols) * rows);
    const double macs = double(rows) * k * cols;
    auto rate = [&](auto && fn) {
        fn();
        int reps = 0;
        const double t0 = now();
        double t;
        do { fn(); reps++; } while ((t = now() - t0) < seconds);
        return macs * reps / t / 1e9;
    };
    const double tiled = rate([&] {
        if (cols == 1) q.gemv(k, out.data(), rows, r.t->data, plain.data(), 1, rows);
        else q.gemm(k, out.data(), rows, r.t->data, act.data(), cols, rows);
    });
    // per-row: ggml's mul_mat walks 16x16 blocks of (rows, columns)
    const double per_row = rate([&] {
        for (int c0 = 0; c0 < cols; c0 += 16)
            for (int i = 0; i < rows; i++)
                for (int c = c0; c < c0 + 16 && c < cols; c++)
                    q.vec_dot(k, &out[size_t(c) * rows + i], 0, &w[wrow * i], 0, &plain[q8row * c], 0, 1);
    });
    printf("%s %s %dx%d x %d: %.2f GMAC/s (per-row vec_dot %.2f, %.2fx)\n", q.name, cols == 1 ? "gemv" : "gemm", rows,
           k, cols, tiled, per_row, tiled / per_row);
    release(r);
}

int main(int argc, char ** argv) {
    ggml_log_set([](ggml_log_level, const char *, void *) {}, nullptr);  // no "repack tensor" lines
    ggml_cpu_init();
    const bool do_bench = argc > 1 && !strcmp(argv[1], "bench");
    const double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    const char * only = argc > 3 ? argv[3] : "";  // "gemm" or "gemv": bench only that kernel
    const char * type = argc > 4 ? argv[4] : "";  // e.g. "q8_0": bench only that type
    for (const auto & q : TYPES) {
        check(q, 8, 256, 1);
        check(q, 16, 512, 4);
        check(q, 24, 768, 5);   // gemm on 4 columns + one gemv
        check(q, 64, 1536, 7);  // odd column count
        check(q, 40, 256, 12);
        if (q.rows == 4) check(q, 12, 512, 3);  // an odd number of 4-row groups
        if (q.rows == 4) check(q, 8, 2080, 5);  // 65 blocks: the kernels' activation chunks (64 gemv, 16 gemm) and a partial one
    }
    check_quant_mat_q8_K();
    check_quant_row_q8_0();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    if (do_bench) {
        if (!*type || !strcmp(type, "q8_K")) bench_quant_mat_q8_K(seconds);
        for (const auto & q : TYPES) {
            if (*type && strcmp(type, q.name)) continue;
            if (strcmp(only, "gemv")) bench(q, 1536, 512, 128, seconds);
            if (strcmp(only, "gemm")) {
                bench(q, 32000, 512, 1, seconds);
                bench(q, 1536, 512, 1, seconds);
                // SmolLM2-135M's FFN (up/gate, down) and output layer
                bench(q, 1536, 576, 1, seconds);
                bench(q, 576, 1536, 1, seconds);
                bench(q, 49152, 576, 1, seconds);
                // SmolLM2-360M's FFN down, then matrices of 66-112 MB in Q8_0, far past any cache: their weights
                // stream from memory as in a real decode (with 64-block activation chunks, 2560 inputs ran at a third)
                bench(q, 960, 2560, 1, seconds);
                bench(q, 65536, 960, 1, seconds);
                bench(q, 40960, 2560, 1, seconds);
                bench(q, 16384, 6400, 1, seconds);
            }
        }
    }
    return 0;
}
