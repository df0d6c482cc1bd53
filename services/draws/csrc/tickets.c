/* draws._native: SHA-256 tickets and population Merkle leaves, over all cores.
 *
 * Byte-identical to hashlib (tests compare them). SHA-NI through intrinsics when the CPU has
 * it (checked at run time), portable C otherwise; pthreads split the rows across threads;
 * the GIL is released while hashing.
 *
 *   tickets_u64(key32, uscc_column, threads) -> bytes   n × uint64 (native order) = the first
 *       8 bytes of SHA-256(0x01 ‖ key ‖ 0x12 ‖ uscc), read big-endian: numeric order equals
 *       the byte order of the ticket's prefix
 *   tickets_at(key32, uscc_column, indices_int64) -> bytes   32-byte tickets of those rows
 *   chunk_leaves(uscc, stratum, status, checks, chunk, threads[, attributes]) -> bytes
 *       32 × ⌈n/chunk⌉; with the /3 attributes (three blocks of n big-endian u16), each
 *       chunk's rows of every block follow its four columns (spec §14.13)
 *   sha256(data) -> bytes, has_sha_ni() -> bool, force_portable(flag)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define USCC_LEN 18

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(uint32_t s[8], const uint8_t *p, size_t blocks) {
    while (blocks--) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                   (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                          K256[i] + w[i];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
        p += 64;
    }
}

#ifdef HAVE_X86
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_shani(uint32_t s[8], const uint8_t *p, size_t blocks) {
    const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&s[0]);
    __m128i st1 = _mm_loadu_si128((const __m128i *)&s[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    st1 = _mm_shuffle_epi32(st1, 0x1B);
    __m128i st0 = _mm_alignr_epi8(tmp, st1, 8);
    st1 = _mm_blend_epi16(st1, tmp, 0xF0);
    while (blocks--) {
        __m128i abef = st0, cdgh = st1, m[16], msg;
        for (int g = 0; g < 16; g++) {
            if (g < 4) {
                m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), MASK);
            } else {
                __m128i x = _mm_sha256msg1_epu32(m[g - 4], m[g - 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(m[g - 1], m[g - 2], 4));
                m[g] = _mm_sha256msg2_epu32(x, m[g - 1]);
            }
            msg = _mm_add_epi32(m[g], _mm_loadu_si128((const __m128i *)&K256[4 * g]));
            st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
            msg = _mm_shuffle_epi32(msg, 0x0E);
            st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
        }
        st0 = _mm_add_epi32(st0, abef);
        st1 = _mm_add_epi32(st1, cdgh);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(st0, 0x1B);
    st1 = _mm_shuffle_epi32(st1, 0xB1);
    st0 = _mm_blend_epi16(tmp, st1, 0xF0);
    st1 = _mm_alignr_epi8(st1, tmp, 8);
    _mm_storeu_si128((__m128i *)&s[0], st0);
    _mm_storeu_si128((__m128i *)&s[4], st1);
}

/* Two independent one-block hashes from the IV, interleaved: SHA-NI's round instruction has a
 * long latency, so two chains in flight nearly double the throughput of one thread. */
__attribute__((target("sha,sse4.1,ssse3")))
static void one_block_x2_shani(const uint8_t *pa, const uint8_t *pb, uint32_t *oa, uint32_t *ob) {
    const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&IV[0]);
    __m128i init1 = _mm_loadu_si128((const __m128i *)&IV[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    init1 = _mm_shuffle_epi32(init1, 0x1B);
    __m128i init0 = _mm_alignr_epi8(tmp, init1, 8);
    init1 = _mm_blend_epi16(init1, tmp, 0xF0);
    __m128i a0 = init0, a1 = init1, b0 = init0, b1 = init1, ma[16], mb[16], x, y;
    for (int g = 0; g < 16; g++) {
        if (g < 4) {
            ma[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pa + 16 * g)), MASK);
            mb[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pb + 16 * g)), MASK);
        } else {
            x = _mm_sha256msg1_epu32(ma[g - 4], ma[g - 3]);
            y = _mm_sha256msg1_epu32(mb[g - 4], mb[g - 3]);
            x = _mm_add_epi32(x, _mm_alignr_epi8(ma[g - 1], ma[g - 2], 4));
            y = _mm_add_epi32(y, _mm_alignr_epi8(mb[g - 1], mb[g - 2], 4));
            ma[g] = _mm_sha256msg2_epu32(x, ma[g - 1]);
            mb[g] = _mm_sha256msg2_epu32(y, mb[g - 1]);
        }
        __m128i k = _mm_loadu_si128((const __m128i *)&K256[4 * g]);
        x = _mm_add_epi32(ma[g], k);
        y = _mm_add_epi32(mb[g], k);
        a1 = _mm_sha256rnds2_epu32(a1, a0, x);
        b1 = _mm_sha256rnds2_epu32(b1, b0, y);
        x = _mm_shuffle_epi32(x, 0x0E);
        y = _mm_shuffle_epi32(y, 0x0E);
        a0 = _mm_sha256rnds2_epu32(a0, a1, x);
        b0 = _mm_sha256rnds2_epu32(b0, b1, y);
    }
    a0 = _mm_add_epi32(a0, init0); a1 = _mm_add_epi32(a1, init1);
    b0 = _mm_add_epi32(b0, init0); b1 = _mm_add_epi32(b1, init1);
    /* back to the word order a..h */
    tmp = _mm_shuffle_epi32(a0, 0x1B); a1 = _mm_shuffle_epi32(a1, 0xB1);
    _mm_storeu_si128((__m128i *)&oa[0], _mm_blend_epi16(tmp, a1, 0xF0));
    _mm_storeu_si128((__m128i *)&oa[4], _mm_alignr_epi8(a1, tmp, 8));
    tmp = _mm_shuffle_epi32(b0, 0x1B); b1 = _mm_shuffle_epi32(b1, 0xB1);
    _mm_storeu_si128((__m128i *)&ob[0], _mm_blend_epi16(tmp, b1, 0xF0));
    _mm_storeu_si128((__m128i *)&ob[4], _mm_alignr_epi8(b1, tmp, 8));
}

static int cpu_has_sha(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(b & (1u << 29))) return 0; /* SHA */
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & (1u << 19)) && (c & (1u << 9)); /* SSE4.1, SSSE3 */
}
#endif

typedef void (*compress_fn)(uint32_t *, const uint8_t *, size_t);
static compress_fn COMPRESS = compress_portable;
static int SHA_NI = 0;

static void digest_words(const uint32_t s[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s[i] >> 24); out[4 * i + 1] = (uint8_t)(s[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s[i] >> 8); out[4 * i + 3] = (uint8_t)s[i];
    }
}

/* Full SHA-256 of a buffer (any length). */
static void sha256_buf(const uint8_t *data, size_t len, uint8_t out[32]) {
    uint32_t s[8];
    memcpy(s, IV, sizeof s);
    size_t full = len / 64;
    if (full) COMPRESS(s, data, full);
    uint8_t tail[128] = {0};
    size_t rest = len - full * 64;
    memcpy(tail, data + full * 64, rest);
    tail[rest] = 0x80;
    size_t tl = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
    COMPRESS(s, tail, tl / 64);
    digest_words(s, out);
}

/* ---- tickets ---- */

typedef struct {
    const uint8_t *key, *uscc;
    const int64_t *idx;
    uint64_t *out64;
    uint8_t *out32;
    Py_ssize_t start, end;
} ticket_job;

static void ticket_block(uint8_t block[64], const uint8_t *key) {
    memset(block, 0, 64);
    block[0] = 0x01;
    memcpy(block + 1, key, 32);
    block[33] = USCC_LEN;
    block[52] = 0x80;
    block[62] = 0x01; /* 52 bytes = 416 bits = 0x01A0 */
    block[63] = 0xA0;
}

static void *ticket_u64_worker(void *arg) {
    ticket_job *j = arg;
    uint8_t block[64];
    ticket_block(block, j->key);
    Py_ssize_t i = j->start;
#ifdef HAVE_X86
    if (COMPRESS == compress_shani) {
        uint8_t block2[64];
        memcpy(block2, block, 64);
        for (; i + 1 < j->end; i += 2) {
            uint32_t sa[8], sb[8];
            memcpy(block + 34, j->uscc + (size_t)i * USCC_LEN, USCC_LEN);
            memcpy(block2 + 34, j->uscc + (size_t)(i + 1) * USCC_LEN, USCC_LEN);
            one_block_x2_shani(block, block2, sa, sb);
            j->out64[i] = (uint64_t)sa[0] << 32 | sa[1];
            j->out64[i + 1] = (uint64_t)sb[0] << 32 | sb[1];
        }
    }
#endif
    for (; i < j->end; i++) {
        uint32_t s[8];
        memcpy(s, IV, sizeof s);
        memcpy(block + 34, j->uscc + (size_t)i * USCC_LEN, USCC_LEN);
        COMPRESS(s, block, 1);
        j->out64[i] = (uint64_t)s[0] << 32 | s[1];
    }
    return NULL;
}

static void *ticket_at_worker(void *arg) {
    ticket_job *j = arg;
    uint8_t block[64];
    ticket_block(block, j->key);
    for (Py_ssize_t i = j->start; i < j->end; i++) {
        uint32_t s[8];
        memcpy(s, IV, sizeof s);
        memcpy(block + 34, j->uscc + (size_t)j->idx[i] * USCC_LEN, USCC_LEN);
        COMPRESS(s, block, 1);
        digest_words(s, j->out32 + (size_t)i * 32);
    }
    return NULL;
}

static void run_threads(void *(*fn)(void *), ticket_job *jobs, int threads) {
    pthread_t tid[64];
    int started[64] = {0};
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tid[t], NULL, fn, &jobs[t]) == 0;
    fn(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else fn(&jobs[t]);
    }
}

static int clamp_threads(int threads, Py_ssize_t n) {
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (n < 4096) threads = 1;
    return threads;
}

static PyObject *tickets_u64(PyObject *self, PyObject *args) {
    Py_buffer key, uscc;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "y*y*|i", &key, &uscc, &threads)) return NULL;
    PyObject *result = NULL;
    if (key.len != 32 || uscc.len % USCC_LEN) {
        PyErr_SetString(PyExc_ValueError, "key must be 32 bytes, the USCC column a multiple of 18");
        goto done;
    }
    Py_ssize_t n = uscc.len / USCC_LEN;
    result = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!result) goto done;
    threads = clamp_threads(threads, n);
    ticket_job jobs[64];
    for (int t = 0; t < threads; t++)
        jobs[t] = (ticket_job){key.buf, uscc.buf, NULL, (uint64_t *)PyBytes_AS_STRING(result), NULL,
                               n * t / threads, n * (t + 1) / threads};
    Py_BEGIN_ALLOW_THREADS run_threads(ticket_u64_worker, jobs, threads);
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&uscc);
    return result;
}

static PyObject *tickets_at(PyObject *self, PyObject *args) {
    Py_buffer key, uscc, idx;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "y*y*y*|i", &key, &uscc, &idx, &threads)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = uscc.len / USCC_LEN, m = idx.len / 8;
    if (key.len != 32 || uscc.len % USCC_LEN || idx.len % 8) {
        PyErr_SetString(PyExc_ValueError, "bad key, USCC column or index array");
        goto done;
    }
    const int64_t *ix = idx.buf;
    for (Py_ssize_t i = 0; i < m; i++)
        if (ix[i] < 0 || ix[i] >= n) {
            PyErr_SetString(PyExc_IndexError, "row index out of range");
            goto done;
        }
    result = PyBytes_FromStringAndSize(NULL, m * 32);
    if (!result) goto done;
    threads = clamp_threads(threads, m);
    ticket_job jobs[64];
    for (int t = 0; t < threads; t++)
        jobs[t] = (ticket_job){key.buf, uscc.buf, ix, NULL, (uint8_t *)PyBytes_AS_STRING(result),
                               m * t / threads, m * (t + 1) / threads};
    Py_BEGIN_ALLOW_THREADS run_threads(ticket_at_worker, jobs, threads);
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&uscc);
    PyBuffer_Release(&idx);
    return result;
}

/* ---- Merkle leaves of population chunks ---- */

typedef struct {
    const uint8_t *u, *s, *st, *c;
    Py_ssize_t n, chunk, first, last; /* chunk numbers */
    uint8_t *out;
    int failed;
    const uint8_t *attrs; /* NULL before /3 */
} leaf_job;

static void *leaf_worker(void *arg) {
    leaf_job *j = arg;
    size_t cap = 5 + (size_t)j->chunk * (USCC_LEN + 3 + (j->attrs ? 6 : 0));
    uint8_t *buf = malloc(cap);
    if (!buf) { j->failed = 1; return NULL; }
    for (Py_ssize_t k = j->first; k < j->last; k++) {
        Py_ssize_t a = k * j->chunk, b = a + j->chunk < j->n ? a + j->chunk : j->n, m = b - a;
        uint8_t *w = buf;
        *w++ = 0x00;
        *w++ = (uint8_t)(m >> 24); *w++ = (uint8_t)(m >> 16); *w++ = (uint8_t)(m >> 8); *w++ = (uint8_t)m;
        memcpy(w, j->u + (size_t)a * USCC_LEN, (size_t)m * USCC_LEN); w += m * USCC_LEN;
        memcpy(w, j->s + a, m); w += m;
        memcpy(w, j->st + a, m); w += m;
        memcpy(w, j->c + a, m); w += m;
        for (int block = 0; j->attrs && block < 3; block++) {
            memcpy(w, j->attrs + 2 * ((size_t)block * j->n + a), 2 * (size_t)m);
            w += 2 * m;
        }
        sha256_buf(buf, (size_t)(w - buf), j->out + (size_t)k * 32);
    }
    free(buf);
    return NULL;
}

static PyObject *chunk_leaves(PyObject *self, PyObject *args) {
    Py_buffer u, s, st, c, at = {0};
    Py_ssize_t chunk;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "y*y*y*y*n|iy*", &u, &s, &st, &c, &chunk, &threads, &at))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = s.len;
    if (u.len != n * USCC_LEN || st.len != n || c.len != n || chunk < 1 || chunk > 1 << 20 ||
        (at.len != 0 && at.len != 6 * n)) {
        PyErr_SetString(PyExc_ValueError, "columns differ in length or bad chunk size");
        goto done;
    }
    Py_ssize_t leaves = (n + chunk - 1) / chunk;
    result = PyBytes_FromStringAndSize(NULL, leaves * 32);
    if (!result) goto done;
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (leaves < 64) threads = 1;
    leaf_job jobs[64];
    for (int t = 0; t < threads; t++)
        jobs[t] = (leaf_job){u.buf, s.buf, st.buf, c.buf, n, chunk, leaves * t / threads,
                             leaves * (t + 1) / threads, (uint8_t *)PyBytes_AS_STRING(result), 0,
                             at.len ? (const uint8_t *)at.buf : NULL};
    Py_BEGIN_ALLOW_THREADS
    pthread_t tid[64];
    int started[64] = {0};
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tid[t], NULL, leaf_worker, &jobs[t]) == 0;
    leaf_worker(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else leaf_worker(&jobs[t]);
    }
    Py_END_ALLOW_THREADS
    for (int t = 0; t < threads; t++)
        if (jobs[t].failed) {
            Py_CLEAR(result);
            PyErr_NoMemory();
        }
done:
    PyBuffer_Release(&u);
    PyBuffer_Release(&s);
    PyBuffer_Release(&st);
    PyBuffer_Release(&c);
    if (at.obj) PyBuffer_Release(&at);
    return result;
}

static PyObject *py_sha256(PyObject *self, PyObject *args) {
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    uint8_t out[32];
    Py_BEGIN_ALLOW_THREADS sha256_buf(data.buf, (size_t)data.len, out);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *has_sha_ni(PyObject *self, PyObject *noargs) { return PyBool_FromLong(SHA_NI); }

static PyObject *force_portable(PyObject *self, PyObject *args) {
    int flag;
    if (!PyArg_ParseTuple(args, "p", &flag)) return NULL;
#ifdef HAVE_X86
    COMPRESS = (!flag && SHA_NI) ? compress_shani : compress_portable;
#else
    COMPRESS = compress_portable;
#endif
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"tickets_u64", tickets_u64, METH_VARARGS, "first 8 ticket bytes (big-endian) as uint64 per row"},
    {"tickets_at", tickets_at, METH_VARARGS, "full 32-byte tickets of the given rows"},
    {"chunk_leaves", chunk_leaves, METH_VARARGS, "Merkle leaf hashes of the population chunks"},
    {"sha256", py_sha256, METH_VARARGS, "SHA-256 of a buffer"},
    {"has_sha_ni", has_sha_ni, METH_NOARGS, "whether SHA-NI is in use"},
    {"force_portable", force_portable, METH_VARARGS, "use the portable C compression (tests)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "draws._native", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__native(void) {
#ifdef HAVE_X86
    SHA_NI = cpu_has_sha();
    if (SHA_NI) COMPRESS = compress_shani;
#endif
    return PyModule_Create(&MODULE);
}
