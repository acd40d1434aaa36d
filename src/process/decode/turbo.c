/*
 * The libjpeg(-turbo) decoder behind a small C interface for turbo.rs.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not
 * return. Here it longjmps back to the setjmp in the shim function that
 * called into the library, so the jump only ever crosses libjpeg's own C
 * frames and every function below returns an error code to Rust instead:
 * no Rust frame is skipped and no unwinding passes through C. This is how
 * libvips and Pillow drive libjpeg too.
 *
 * Warnings (corrupt data the library works around) do not stop the decode;
 * they are sorted here into "the data ran out" and "the data is damaged"
 * so that Rust can apply --allow-truncated as it does for every format.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

/* A source that reads an open file with pread, from `offset` up to `end`
 * (the size the file had when it was opened): a big input is never held
 * whole in memory, and a file that grows meanwhile is not followed. */
typedef struct {
    struct jpeg_source_mgr pub;
    int fd;
    unsigned long long offset;
    unsigned long long end;
    /* errno of a failed read: the file's fault, not the JPEG's. */
    int read_errno;
    JOCTET buffer[1 << 16];
} file_source;

struct imgb_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    jmp_buf jump;
    /* The fatal error, or the first damage warning. */
    char message[JMSG_LENGTH_MAX];
    char damage[JMSG_LENGTH_MAX];
    int truncated;
    int damaged;
    JOCTET *icc;
    unsigned int icc_len;
    file_source file;
};

typedef struct imgb_jpeg imgb_jpeg;

/* What the frame header says; filled by imgb_jpeg_header. */
typedef struct {
    unsigned int width;
    unsigned int height;
    int components;
    /* J_COLOR_SPACE of the stored data. */
    int colour_space;
    int progressive;
    int adobe;
    /* Bytes of DCT coefficients in the whole image: what libjpeg keeps in
     * memory for a progressive or multi-scan file. */
    unsigned long long coefficient_bytes;
} imgb_jpeg_info;

static void on_error(j_common_ptr c) {
    imgb_jpeg *h = (imgb_jpeg *)c->client_data;
    (*c->err->format_message)(c, h->message);
    longjmp(h->jump, 1);
}

/* Whether the scan that just came up short met the end of the image: then
 * the file was cut (and perhaps given back an EOI marker) and what libjpeg
 * fills in is missing from it. A scan that meets another marker early is
 * damaged data inside a file that goes on. */
static int at_the_end(j_common_ptr c) {
    return c->is_decompressor && ((j_decompress_ptr)c)->unread_marker == JPEG_EOI;
}

static void on_message(j_common_ptr c, int level) {
    imgb_jpeg *h = (imgb_jpeg *)c->client_data;
    int code = c->err->msg_code;
    if (level >= 0) {
        return; /* trace output */
    }
    c->err->num_warnings++;
    if (code == JWRN_JPEG_EOF || (code == JWRN_HIT_MARKER && at_the_end(c))) {
        /* The source ran out, or the last scan's data did. */
        h->truncated = 1;
    } else if (code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM ||
               code == JWRN_BOGUS_ICC) {
        /* Stray bytes between markers or odd header fields: the pixels are
         * all there. */
    } else {
        if (!h->damaged) {
            (*c->err->format_message)(c, h->damage);
        }
        h->damaged = 1;
    }
}

imgb_jpeg *imgb_jpeg_new(void) {
    /* volatile: read again after the longjmp. */
    imgb_jpeg *volatile h = (imgb_jpeg *)calloc(1, sizeof(imgb_jpeg));
    if (!h) {
        return NULL;
    }
    h->cinfo.err = jpeg_std_error(&h->err);
    h->err.error_exit = on_error;
    h->err.emit_message = on_message;
    h->cinfo.client_data = h;
    if (setjmp(h->jump)) {
        free(h);
        return NULL;
    }
    jpeg_create_decompress(&h->cinfo);
    return h;
}

void imgb_jpeg_free(imgb_jpeg *h) {
    if (h) {
        jpeg_destroy_decompress(&h->cinfo);
        free(h->icc);
        free(h);
    }
}

const char *imgb_jpeg_message(const imgb_jpeg *h) { return h->message; }
const char *imgb_jpeg_damage(const imgb_jpeg *h) { return h->damaged ? h->damage : NULL; }
int imgb_jpeg_truncated(const imgb_jpeg *h) { return h->truncated; }

static void file_init(j_decompress_ptr c) { (void)c; }

static void file_term(j_decompress_ptr c) { (void)c; }

static boolean file_fill(j_decompress_ptr c) {
    file_source *s = (file_source *)c->src;
    ssize_t n = 0;
    if (s->offset < s->end) {
        unsigned long long left = s->end - s->offset;
        size_t want = left < sizeof s->buffer ? (size_t)left : sizeof s->buffer;
        do {
            n = pread(s->fd, s->buffer, want, (off_t)s->offset);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            s->read_errno = errno;
            ERREXIT(c, JERR_FILE_READ);
        }
    }
    if (n == 0) {
        /* As jpeg_mem_src does at the end: warn, then give an EOI so that
         * the rest of the image is filled in and the warning decides. */
        WARNMS(c, JWRN_JPEG_EOF);
        s->buffer[0] = (JOCTET)0xFF;
        s->buffer[1] = (JOCTET)JPEG_EOI;
        n = 2;
    } else {
        s->offset += (unsigned long long)n;
    }
    s->pub.next_input_byte = s->buffer;
    s->pub.bytes_in_buffer = (size_t)n;
    return TRUE;
}

static void file_skip(j_decompress_ptr c, long n) {
    file_source *s = (file_source *)c->src;
    if (n <= 0) {
        return;
    }
    if ((size_t)n <= s->pub.bytes_in_buffer) {
        s->pub.next_input_byte += n;
        s->pub.bytes_in_buffer -= (size_t)n;
        return;
    }
    /* Past the buffer: move the file offset instead of reading. */
    unsigned long long beyond = (unsigned long long)n - s->pub.bytes_in_buffer;
    s->pub.bytes_in_buffer = 0;
    s->offset = beyond > s->end - s->offset ? s->end : s->offset + beyond;
}

/* What both sources share once the source is set. */
static void read_header(imgb_jpeg *h, long max_memory, imgb_jpeg_info *info) {
    h->cinfo.mem->max_memory_to_use = max_memory;
    jpeg_save_markers(&h->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&h->cinfo, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(&h->cinfo, TRUE);
    if (jpeg_read_icc_profile(&h->cinfo, &h->icc, &h->icc_len) == FALSE) {
        h->icc = NULL;
        h->icc_len = 0;
    }
    info->width = h->cinfo.image_width;
    info->height = h->cinfo.image_height;
    info->components = h->cinfo.num_components;
    info->colour_space = h->cinfo.jpeg_color_space;
    info->progressive = h->cinfo.progressive_mode;
    info->adobe = h->cinfo.saw_Adobe_marker;
    info->coefficient_bytes = 0;
    for (int i = 0; i < h->cinfo.num_components; i++) {
        jpeg_component_info *c = &h->cinfo.comp_info[i];
        info->coefficient_bytes += (unsigned long long)c->width_in_blocks * c->height_in_blocks * sizeof(JBLOCK);
    }
}

/* Reads the headers of the `len` bytes at `data`, which must outlive `h`.
 * `max_memory` caps what libjpeg's own memory manager hands out for its
 * big buffers (the coefficients of a progressive image): there is no
 * backing store, so going over is an error, not a temporary file. */
int imgb_jpeg_header(imgb_jpeg *h, const unsigned char *data, unsigned long len, long max_memory,
                     imgb_jpeg_info *info) {
    if (setjmp(h->jump)) {
        return -1;
    }
    jpeg_mem_src(&h->cinfo, data, len);
    read_header(h, max_memory, info);
    return 0;
}

/* The same for the first `len` bytes of the open file `fd`, which must stay
 * open while `h` lives; read in 64 KiB pieces as the decode goes. */
int imgb_jpeg_header_fd(imgb_jpeg *h, int fd, unsigned long long len, long max_memory, imgb_jpeg_info *info) {
    if (setjmp(h->jump)) {
        return -1;
    }
    file_source *s = &h->file;
    s->fd = fd;
    s->offset = 0;
    s->end = len;
    s->pub.init_source = file_init;
    s->pub.fill_input_buffer = file_fill;
    s->pub.skip_input_data = file_skip;
    s->pub.resync_to_restart = jpeg_resync_to_restart;
    s->pub.term_source = file_term;
    s->pub.bytes_in_buffer = 0;
    s->pub.next_input_byte = NULL;
    h->cinfo.src = &s->pub;
    read_header(h, max_memory, info);
    return 0;
}

/* errno of a failed read of the file, or 0. */
int imgb_jpeg_read_errno(const imgb_jpeg *h) { return h->file.read_errno; }

/* The ICC profile put together from the APP2 markers, or NULL. */
const unsigned char *imgb_jpeg_icc(const imgb_jpeg *h, unsigned int *len) {
    *len = h->icc_len;
    return h->icc;
}

/* The first APP1 segment holding EXIF (with its "Exif\0\0" header), or NULL. */
const unsigned char *imgb_jpeg_exif(const imgb_jpeg *h, unsigned int *len) {
    jpeg_saved_marker_ptr m;
    for (m = h->cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            *len = m->data_length;
            return m->data;
        }
    }
    *len = 0;
    return NULL;
}

/* Starts decoding at 1/`denom` scale into `out_colour_space`; says the
 * size of the rows that will come out. */
int imgb_jpeg_start(imgb_jpeg *h, unsigned int denom, int out_colour_space, unsigned int *width,
                    unsigned int *height, int *components) {
    if (setjmp(h->jump)) {
        return -1;
    }
    h->cinfo.scale_num = 1;
    h->cinfo.scale_denom = denom;
    h->cinfo.out_color_space = (J_COLOR_SPACE)out_colour_space;
    jpeg_start_decompress(&h->cinfo);
    *width = h->cinfo.output_width;
    *height = h->cinfo.output_height;
    *components = h->cinfo.output_components;
    return 0;
}

/* Decodes every row into `out`, rows `stride` bytes apart. */
int imgb_jpeg_read(imgb_jpeg *h, unsigned char *out, size_t stride) {
    JSAMPROW rows[16];
    if (setjmp(h->jump)) {
        return -1;
    }
    while (h->cinfo.output_scanline < h->cinfo.output_height) {
        JDIMENSION first = h->cinfo.output_scanline;
        JDIMENSION n = h->cinfo.output_height - first;
        JDIMENSION i;
        if (n > 16) {
            n = 16;
        }
        for (i = 0; i < n; i++) {
            rows[i] = out + (size_t)(first + i) * stride;
        }
        if (jpeg_read_scanlines(&h->cinfo, rows, n) == 0) {
            strcpy(h->message, "the decoder gave no rows");
            return -1;
        }
    }
    /* Every row is out; what follows the last scan is not needed. */
    jpeg_abort_decompress(&h->cinfo);
    return 0;
}
