/*
 * mozjpeg's compressor behind a small C interface for mozjpeg.rs: trellis
 * quantisation (about a fifth fewer bytes than jpeg-encoder at the same
 * SSIMULACRA2 on the photo corpus), as turbo.c drives the decoder.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not
 * return: it longjmps back to the setjmp below, so the jump only crosses
 * libjpeg's own C frames and Rust gets an error code, never an unwind
 * through C.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"

typedef struct {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} imgb_enc;

static void enc_error(j_common_ptr c) {
    imgb_enc *e = (imgb_enc *)c->client_data;
    (*c->err->format_message)(c, e->message);
    longjmp(e->jump, 1);
}

/* Warnings from a compressor are about its own settings: nothing to show. */
static void enc_quiet(j_common_ptr c, int level) {
    (void)c;
    (void)level;
}

/*
 * Encodes `height` rows of `width` pixels of `components` bytes (1: grey,
 * 3: RGB). `h_samp`, `v_samp`: the luma sampling factors (2, 2 is 4:2:0).
 * On success returns 0 with the file in *out (free it with imgb_enc_free);
 * on failure -1 with the reason in `message`.
 */
int imgb_mozjpeg_encode(const unsigned char *pixels, unsigned int width, unsigned int height, int components,
                        int quality, int h_samp, int v_samp, int progressive, const unsigned char *icc,
                        unsigned int icc_len, unsigned char **out, unsigned long *out_len, char *message,
                        size_t message_len) {
    imgb_enc *e = calloc(1, sizeof *e);
    /* Where jpeg_mem_dest keeps the file as it grows: freed here on failure. */
    unsigned char *volatile buffer = NULL;
    unsigned long length = 0;
    if (!e) {
        snprintf(message, message_len, "out of memory");
        return -1;
    }
    e->cinfo.err = jpeg_std_error(&e->err);
    e->err.error_exit = enc_error;
    e->err.emit_message = enc_quiet;
    e->cinfo.client_data = e;
    if (setjmp(e->jump)) {
        snprintf(message, message_len, "%s", e->message);
        jpeg_destroy_compress(&e->cinfo);
        free(buffer);
        free(e);
        return -1;
    }
    jpeg_create_compress(&e->cinfo);
    jpeg_mem_dest(&e->cinfo, (unsigned char **)&buffer, &length);
    e->cinfo.image_width = width;
    e->cinfo.image_height = height;
    e->cinfo.input_components = components;
    e->cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    /* mozjpeg's default profile: trellis quantisation, progressive scans. */
    jpeg_set_defaults(&e->cinfo);
    /* Searching scan layouts takes half the time for a tenth of the gain. */
    jpeg_c_set_bool_param(&e->cinfo, JBOOLEAN_OPTIMIZE_SCANS, FALSE);
    if (progressive) {
        jpeg_simple_progression(&e->cinfo);
    } else {
        e->cinfo.scan_info = NULL;
        e->cinfo.num_scans = 0;
    }
    jpeg_set_quality(&e->cinfo, quality, TRUE);
    if (components == 3) {
        e->cinfo.comp_info[0].h_samp_factor = h_samp;
        e->cinfo.comp_info[0].v_samp_factor = v_samp;
        e->cinfo.comp_info[1].h_samp_factor = e->cinfo.comp_info[1].v_samp_factor = 1;
        e->cinfo.comp_info[2].h_samp_factor = e->cinfo.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&e->cinfo, TRUE);
    if (icc && icc_len) {
        jpeg_write_icc_profile(&e->cinfo, icc, icc_len);
    }
    while (e->cinfo.next_scanline < height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)e->cinfo.next_scanline * width * components);
        jpeg_write_scanlines(&e->cinfo, &row, 1);
    }
    jpeg_finish_compress(&e->cinfo);
    jpeg_destroy_compress(&e->cinfo);
    free(e);
    *out = buffer;
    *out_len = length;
    return 0;
}

void imgb_enc_free(unsigned char *p) {
    free(p);
}
