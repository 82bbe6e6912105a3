// Imported first by main: libuv's thread pool (default 4 threads) serves statfs, file reads and
// DNS lookups; a few hung network mounts could occupy all of it, so Vigil asks for 16 unless
// UV_THREADPOOL_SIZE is already set. Must be set before first use.
process.env.UV_THREADPOOL_SIZE ??= '16';
