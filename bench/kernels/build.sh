#!/bin/sh
# Builds the kernel harnesses (kquant.cpp: the matrix kernels; attention.cpp: flash attention and the fp16 row
# conversions) against an engine build tree made by scripts/build-wasm.mjs: the patched llama.cpp sources and the
# compiled ggml objects of its simd build.
#   bench/kernels/build.sh [WORK (default .cache/wasm-build)] [relaxed]
#   then node bench/kernels/run.cjs [bench [seconds [gemm|gemv|all [type]]]]   and   node bench/kernels/run.cjs attention [bench]
# With "relaxed" it builds kquant against the relaxed engine build's kernels (arch/wasm/relaxed.c, clang 16, as
# wasm/build/CMakeLists.txt does) into out-relaxed/: node24 bench/kernels/run.cjs relaxed [bench ...] (Node 22+).
# Needs emcc (apt-get install emscripten). Run it under nice on a shared machine; the benchmark under the CPU lock.
set -e
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(cd "${1:-$HERE/../../.cache/wasm-build}" && pwd)
L=$WORK/llama.cpp
B=$WORK/build-simd/llama.cpp/ggml/src
VARIANT=${2:-simd}
OUT=$HERE/out
[ "$VARIANT" = relaxed ] && OUT=$HERE/out-relaxed
mkdir -p "$OUT"
rm -f "$OUT"/*
RELAXED_OBJ=
RELAXED_DEF=
if [ "$VARIANT" = relaxed ]; then
  clang-16 --target=wasm32-unknown-emscripten --sysroot="$(em-config CACHE)/sysroot" -O3 -msimd128 -mrelaxed-simd -pthread \
    -c "$L/ggml/src/ggml-cpu/arch/wasm/relaxed.c" -o "$OUT/relaxed.o"
  RELAXED_OBJ=$OUT/relaxed.o
  RELAXED_DEF=-DOXI_RELAXED_SIMD
fi
FLAGS="$RELAXED_DEF -DGGML_USE_CPU_REPACK -D_XOPEN_SOURCE=600 -O3 -DNDEBUG -msimd128 -pthread -std=gnu++17 -I$L/ggml/include -I$L/ggml/src -I$L/ggml/src/ggml-cpu"
# the harness calls ggml's repack kernels and per-row dots as the engine links them; the two repack sources are
# compiled fresh so that an edited kernel can be checked without a full engine build
em++ $FLAGS -c "$L/ggml/src/ggml-cpu/arch/wasm/repack.cpp" -o "$OUT/wasm-repack.o"
em++ $FLAGS -c "$L/ggml/src/ggml-cpu/repack.cpp" -o "$OUT/repack.o"
em++ $FLAGS -c "$HERE/kquant.cpp" -o "$OUT/kquant.o"
OBJS=$(find "$B/CMakeFiles/ggml-cpu.dir" -name '*.o' ! -name 'repack.cpp.o' | sort)
em++ -O3 -msimd128 -pthread -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB -sINITIAL_MEMORY=256MB -sEXIT_RUNTIME=1 \
  -Wno-pthreads-mem-growth "$OUT/kquant.o" "$OUT/wasm-repack.o" "$OUT/repack.o" $RELAXED_OBJ $OBJS "$B/libggml-base.a" -o "$OUT/kquant.js"
if [ "$VARIANT" = relaxed ]; then
  mv "$OUT/kquant.js" "$OUT/kquant.cjs"
  echo '{ "type": "commonjs" }' > "$OUT/package.json"
  echo "built $OUT/kquant.cjs"
  exit 0
fi
# attention runs ggml's graph on 2 threads too: a pool, so that thread creation does not wait on the event loop
em++ $FLAGS -c "$HERE/attention.cpp" -o "$OUT/attention.o"
em++ -O3 -msimd128 -pthread -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB -sINITIAL_MEMORY=256MB -sEXIT_RUNTIME=1 \
  -sPTHREAD_POOL_SIZE=2 -Wno-pthreads-mem-growth "$OUT/attention.o" "$OUT/wasm-repack.o" "$OUT/repack.o" $OBJS \
  "$B/libggml-base.a" -o "$OUT/attention.js"
# the package is ESM; the emscripten loader and its pthread worker script are CommonJS
mv "$OUT/kquant.js" "$OUT/kquant.cjs"
mv "$OUT/attention.js" "$OUT/attention.cjs"
echo '{ "type": "commonjs" }' > "$OUT/package.json"
echo "built $OUT/kquant.cjs $OUT/attention.cjs"
