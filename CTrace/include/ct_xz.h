// xz decompression (liblzma) for MiniDebugInfo: the .gnu_debugdata section some distributions
// put in stripped binaries holds an xz-compressed ELF with the function symbols.
#ifndef CT_XZ_H
#define CT_XZ_H
#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

// Decompresses an .xz buffer. On success returns 0 and a malloc'd buffer the caller frees with
// ct_xz_free; -1 (and *out NULL) when the data is not valid xz or would exceed max_out bytes.
int ct_xz_decompress(const uint8_t *in, size_t in_len, size_t max_out, uint8_t *_Nullable *_Nonnull out,
                     size_t *out_len);
void ct_xz_free(uint8_t *_Nullable buffer);

#pragma clang assume_nonnull end
#endif
