// Attention harness, built by bench/kernels/build.sh against an engine build tree: flash attention
// (ggml_flash_attn_ext with F16 K/V, as llama.cpp's KV cache holds them) on the engine's ggml objects against a
// double-precision reference (GQA ratios, a small batch, masked keys, the split-KV path at >= 512 keys, 1 and 2
// threads), the fp16 row conversions against ggml's scalar ones, bit for bit, and silu / swiglu against double precision.
//   node bench/kernels/run.cjs attention [bench]      (bench: microseconds per call, GQA 9/3 against 9/9 heads, then
//                                                     a 64-token prompt batch over 512 keys)
#include "ggml.h"
#include "ggml-cpu.h"
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static uint32_t rng = 777;
static uint32_t next() { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static float frand() { return (next() & 0xffffff) / float(0x1000000) * 2 - 1; }
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

static int failures = 0;

// ggml_cpu_fp16_to_fp32 / ggml_cpu_fp32_to_fp16 (vectorized for wasm) against ggml's scalar conversions
static void check_conversions() {
    std::vector<ggml_fp16_t> h(65536 + 3);
    std::vector<float> f(h.size());
    for (size_t i = 0; i < h.size(); i++) h[i] = (ggml_fp16_t) i; // every value, then a scalar tail
    ggml_cpu_fp16_to_fp32(h.data(), f.data(), (int64_t) h.size());
    int bad = 0;
    for (size_t i = 0; i < h.size(); i++) {
        const float ref = ggml_fp16_to_fp32(h[i]);
        if (std::memcmp(&ref, &f[i], 4) != 0 && !(std::isnan(ref) && std::isnan(f[i]))) bad++;
    }
    // every rounding boundary (the midpoints between neighbouring fp16 values, a float either side, both signs), then
    // random bit patterns (NaN, infinity, subnormals, overflow)
    std::vector<float> x;
    for (uint32_t i = 0; i < 0x7c00; i++) {
        const float mid = (ggml_fp16_to_fp32((ggml_fp16_t) i) + ggml_fp16_to_fp32((ggml_fp16_t) (i + 1))) / 2;
        for (float v : {mid, std::nextafter(mid, INFINITY), std::nextafter(mid, 0.0f)}) {
            x.push_back(v);
            x.push_back(-v);
        }
    }
    for (int i = 0; i < 4000000; i++) {
        const uint32_t r = next();
        float v;
        std::memcpy(&v, &r, 4);
        x.push_back(v);
    }
    std::vector<ggml_fp16_t> y(x.size());
    ggml_cpu_fp32_to_fp16(x.data(), y.data(), (int64_t) x.size());
    int bad2 = 0;
    for (size_t i = 0; i < x.size(); i++) if (y[i] != ggml_fp32_to_fp16(x[i])) bad2++;
    if (bad || bad2) failures++;
    printf("%s fp16 -> fp32 rows: %d of 65539 differ; fp32 -> fp16 rows: %d of %d differ\n", bad || bad2 ? "FAIL" : "ok  ",
           bad, bad2, (int) x.size());
}

// silu and swiglu (the FFN's gate: ggml_v_silu, a vector expf within 1.5 ulp) against double precision, over
// [-110, 110] (where expf overflows or flushes) and a dense sweep of [-12, 12] (a row length not a multiple of 4)
static void check_silu() {
    const int n = 1 << 20 | 3;
    ggml_init_params ip = { (size_t) 64 * 1024 * 1024, nullptr, false };
    ggml_context * ctx = ggml_init(ip);
    ggml_tensor * x = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, n);
    ggml_tensor * g = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, n);
    for (int i = 0; i < n; i++) {
        ((float *) x->data)[i] = i % 2 ? 110.0f * frand() : 24.0f * (float) i / n - 12.0f;
        ((float *) g->data)[i] = frand();
    }
    ggml_tensor * y = ggml_silu(ctx, x);
    ggml_tensor * z = ggml_swiglu_split(ctx, x, g);
    ggml_cgraph * gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, y);
    ggml_build_forward_expand(gf, z);
    ggml_graph_compute_with_ctx(ctx, gf, 1);
    double err = 0, errz = 0;
    for (int i = 0; i < n; i++) {
        const double xi = ((float *) x->data)[i], ref = xi / (1 + std::exp(-xi));
        const double refz = ref * ((float *) g->data)[i];
        // relative to the value, absolute below 1e-20 (past x = -88 expf overflows and silu flushes to -0, as the scalar one does)
        err = std::max(err, std::fabs(((float *) y->data)[i] - ref) / std::max(std::fabs(ref), 1e-20));
        errz = std::max(errz, std::fabs(((float *) z->data)[i] - refz) / std::max(std::fabs(refz), 1e-20));
    }
    const bool ok = err < 1e-6 && errz < 1e-6;
    if (!ok) failures++;
    printf("%s silu / swiglu over %d values: max rel err %.2e / %.2e\n", ok ? "ok  " : "FAIL", n, err, errz);
    ggml_free(ctx);
}

// one flash attention against the reference; with reps > 0 also timed (seconds per call)
// (visible > 0: only the first `visible` keys unmasked, as in decode where llama.cpp pads the keys to a multiple of 256)
static double run(int D, int N, int H, int HKV, int NKV, int threads, bool masked, int reps, int visible = 0) {
    ggml_init_params ip = { (size_t) 64 * 1024 * 1024 + (size_t) NKV * D * HKV * 8, nullptr, false };
    ggml_context * ctx = ggml_init(ip);
    ggml_tensor * q = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, D, N, H, 1);
    ggml_tensor * k = ggml_new_tensor_4d(ctx, GGML_TYPE_F16, D, NKV, HKV, 1);
    ggml_tensor * v = ggml_new_tensor_4d(ctx, GGML_TYPE_F16, D, NKV, HKV, 1);
    ggml_tensor * m = ggml_new_tensor_4d(ctx, GGML_TYPE_F16, NKV, N, 1, 1);
    std::vector<float> Q(D * N * H), K(D * NKV * HKV), V(D * NKV * HKV), MK(NKV * N);
    for (size_t i = 0; i < Q.size(); i++) ((float *) q->data)[i] = Q[i] = frand();
    for (size_t i = 0; i < K.size(); i++) {
        ggml_fp16_t h = ggml_fp32_to_fp16(frand() * 2);
        ((ggml_fp16_t *) k->data)[i] = h; K[i] = ggml_fp16_to_fp32(h);
        h = ggml_fp32_to_fp16(frand());
        ((ggml_fp16_t *) v->data)[i] = h; V[i] = ggml_fp16_to_fp32(h);
    }
    for (int n = 0; n < N; n++)
        for (int j = 0; j < NKV; j++) {
            // causal-like: the last N keys are visible only up to the row's own position; a few holes
            const bool hidden = (masked && ((j > NKV - N + n) || (j % 7 == 3))) || (visible > 0 && j >= visible);
            MK[n * NKV + j] = hidden ? -INFINITY : 0.0f;
            ((ggml_fp16_t *) m->data)[n * NKV + j] = ggml_fp32_to_fp16(MK[n * NKV + j]);
        }
    const float scale = 1.0f / std::sqrt((float) D);
    ggml_tensor * out = ggml_flash_attn_ext(ctx, q, k, v, m, scale, 0.0f, 0.0f);
    ggml_cgraph * gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, out);
    ggml_graph_compute_with_ctx(ctx, gf, threads);

    double maxerr = 0, maxref = 0;
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) {
            const int hk = h / (H / HKV);
            // Q rounded through F16, as ggml's F16 K dot sees it
            std::vector<double> s(NKV);
            double mx = -INFINITY;
            for (int j = 0; j < NKV; j++) {
                double d = 0;
                for (int e = 0; e < D; e++)
                    d += (double) ggml_fp16_to_fp32(ggml_fp32_to_fp16(Q[(h * N + n) * D + e])) * K[(hk * NKV + j) * D + e];
                s[j] = d * scale + MK[n * NKV + j];
                mx = std::max(mx, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < NKV; j++) sum += s[j] == -INFINITY ? 0 : std::exp(s[j] - mx);
            for (int e = 0; e < D; e++) {
                double o = 0;
                for (int j = 0; j < NKV; j++)
                    if (s[j] != -INFINITY) o += std::exp(s[j] - mx) * V[(hk * NKV + j) * D + e];
                o /= sum;
                const float got = *(float *) ((char *) out->data + n * out->nb[2] + h * out->nb[1] + e * out->nb[0]);
                maxerr = std::max(maxerr, std::fabs(got - o));
                maxref = std::max(maxref, std::fabs(o));
            }
        }
    const bool ok = maxerr <= 2e-3 * std::max(maxref, 1e-3);
    if (!ok) failures++;
    double t = 0;
    if (reps > 0) {
        const double t0 = now();
        for (int r = 0; r < reps; r++) ggml_graph_compute_with_ctx(ctx, gf, threads);
        t = (now() - t0) / reps;
    }
    printf("%s D %3d N %d heads %2d/%d keys %4d threads %d%s: max |err| %.2e (max |out| %.2f)\n", ok ? "ok  " : "FAIL", D, N,
           H, HKV, NKV, threads, masked ? " masked" : visible > 0 ? " padded" : "", maxerr, maxref);
    if (reps > 0) printf("      %.1f us per call\n", t * 1e6);
    ggml_free(ctx);
    return t;
}

int main(int argc, char ** argv) {
    const bool bench = argc > 1;
    ggml_cpu_init();
    check_conversions();
    check_silu();
    for (int threads : {1, 2}) {
        run(64, 1, 9, 3, 37, threads, true, 0);
        run(64, 1, 9, 9, 37, threads, false, 0);
        run(64, 3, 8, 2, 100, threads, true, 0);
        run(128, 1, 16, 8, 300, threads, true, 0);
        run(64, 1, 9, 3, 700, threads, true, 0);   // split-KV path
        run(64, 1, 12, 1, 600, threads, false, 0); // one K/V head, more rows than a group
        run(80, 2, 6, 3, 65, threads, true, 0);    // head size not a multiple of 16
        run(64, 70, 9, 3, 200, threads, true, 0);  // a prompt batch: ggml's tiled path (64-row tiles)
        run(64, 1, 9, 3, 256, threads, false, 0, 130); // decode: keys padded past the last one seen
        run(64, 1, 9, 3, 768, threads, false, 0, 520); // the same on the split-KV path: one chunk sees none
        run(64, 2, 9, 3, 256, threads, true, 0, 17);   // a batch of 2 whose last visible key is in a block's middle
    }
    if (bench) {
        for (int nkv : {256, 1024, 4096}) {
            run(64, 1, 9, 3, nkv, 1, false, 200);
            run(64, 1, 9, 9, nkv, 1, false, 200);
        }
        run(64, 1, 9, 3, 256, 1, false, 200, 130); // decode at 130 tokens: 256 keys, 126 of them padding
        run(64, 64, 9, 3, 512, 1, true, 20);
        run(64, 1, 9, 3, 256, 2, false, 200); // decode on 2 threads
    }
    printf("%s\n", failures ? "FAILED" : "all flash-attention checks passed");
    return failures ? 1 : 0;
}
