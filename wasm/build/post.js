// oxillama: the worker code (wllama's llama-cpp.js) reads Module.wasmMemory; emscripten 3.1.6 keeps it in a local.
Module['wasmMemory'] = wasmMemory;
