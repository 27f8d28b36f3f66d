#include "ct_xz.h"
#include <lzma.h>
#include <stdlib.h>

int ct_xz_decompress(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK) return -1;
  size_t cap = in_len * 4 + 4096;
  if (cap > max_out) cap = max_out;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    lzma_end(&strm);
    return -1;
  }
  strm.next_in = in;
  strm.avail_in = in_len;
  strm.next_out = buf;
  strm.avail_out = cap;
  for (;;) {
    lzma_ret r = lzma_code(&strm, LZMA_FINISH);
    if (r == LZMA_STREAM_END) break;
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) goto fail;
    // Room left but no progress: the input ended early (truncated or corrupt).
    if (strm.avail_out != 0) {
      if (r == LZMA_BUF_ERROR) goto fail;
      continue;
    }
    // Output full: grow, within the limit.
    if (cap >= max_out) goto fail;
    size_t used = cap;
    size_t ncap = cap * 2 > max_out ? max_out : cap * 2;
    uint8_t *nbuf = realloc(buf, ncap);
    if (!nbuf) goto fail;
    buf = nbuf;
    strm.next_out = buf + used;
    strm.avail_out = ncap - used;
    cap = ncap;
  }
  *out_len = cap - strm.avail_out;
  *out = buf;
  lzma_end(&strm);
  return 0;
fail:
  free(buf);
  lzma_end(&strm);
  return -1;
}

void ct_xz_free(uint8_t *buffer) { free(buffer); }
