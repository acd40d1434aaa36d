//! Pixels → pixels: crop and resample with fast_image_resize (SIMD Lanczos3),
//! then orientation, letterboxing and alpha flattening on the small result.

use fast_image_resize as fir;
use fir::images::{TypedImage, TypedImageRef};
use fir::pixels::{U8, U8x2, U8x3, U8x4};
use fir::{FilterType, PixelTrait, ResizeAlg, ResizeOptions};
use image::{DynamicImage, GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

use crate::error::{FileError, PixelError};
use crate::geometry::Crop;

/// A resampler that keeps its scratch buffers between images; one per worker.
#[derive(Default)]
pub struct Resampler {
    inner: fir::Resizer,
}

fn resample_typed<P>(
    r: &mut fir::Resizer,
    src: &[u8],
    size: (u32, u32),
    crop: Crop,
    to: (u32, u32),
    alg: ResizeAlg,
) -> Result<Vec<u8>, PixelError>
where
    P: PixelTrait<Component = u8>,
{
    let src = TypedImageRef::<P>::from_buffer(size.0, size.1, src)?;
    let mut out = vec![0u8; to.0 as usize * to.1 as usize * P::size()];
    let mut dst = TypedImage::<P>::from_buffer(to.0, to.1, &mut out)?;
    // Alpha is handled by the caller on the whole image, in place (see
    // `premultiply`); letting the resizer do it costs a full-size copy.
    let opts = ResizeOptions::new().resize_alg(alg).use_alpha(false).crop(crop.x, crop.y, crop.w, crop.h);
    r.resize_typed(&src, &mut dst, &opts)?;
    Ok(out)
}

impl Resampler {
    /// A resampler using the best SIMD extensions of this CPU.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resamples region `crop` of `img` to `to` (Lanczos3). `img` must be 8-bit L, La, Rgb or Rgba.
    pub fn resize(&mut self, img: &DynamicImage, crop: Crop, to: (u32, u32)) -> Result<DynamicImage, FileError> {
        self.resample(img, crop, to, ResizeAlg::Convolution(FilterType::Lanczos3))
    }

    /// A small copy of all of `img` for analysis (see `focus`): each
    /// pixel the mean of a 4 × 4 sample of its area, so its cost does not
    /// grow with the source as a full convolution's does.
    pub(crate) fn preview(&mut self, img: &DynamicImage, to: (u32, u32)) -> Result<DynamicImage, FileError> {
        let (w, h) = img.dimensions();
        let all = Crop { x: 0.0, y: 0.0, w: w as f64, h: h as f64 };
        self.resample(img, all, to, ResizeAlg::SuperSampling(FilterType::Box, 4))
    }

    fn resample(
        &mut self,
        img: &DynamicImage,
        crop: Crop,
        to: (u32, u32),
        alg: ResizeAlg,
    ) -> Result<DynamicImage, FileError> {
        let size = img.dimensions();
        // A crop mapped onto an image shrunk on load (ceil(w/f) wide) can
        // overshoot its edge by a rounding error, which the resizer refuses.
        let (iw, ih) = (size.0 as f64, size.1 as f64);
        let (x, y) = (crop.x.clamp(0.0, iw), crop.y.clamp(0.0, ih));
        let crop = Crop { x, y, w: crop.w.min(iw - x), h: crop.h.min(ih - y) };
        let r = &mut self.inner;
        let fail = |source: PixelError| FileError::Internal { stage: "resizing", source };
        let bad = || fail(PixelError::BufferSize);
        Ok(match img {
            DynamicImage::ImageLuma8(i) => {
                let px = resample_typed::<U8>(r, i.as_raw(), size, crop, to, alg).map_err(fail)?;
                DynamicImage::ImageLuma8(image::GrayImage::from_raw(to.0, to.1, px).ok_or_else(bad)?)
            }
            DynamicImage::ImageLumaA8(i) => {
                let px = resample_typed::<U8x2>(r, i.as_raw(), size, crop, to, alg).map_err(fail)?;
                DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_raw(to.0, to.1, px).ok_or_else(bad)?)
            }
            DynamicImage::ImageRgb8(i) => {
                let px = resample_typed::<U8x3>(r, i.as_raw(), size, crop, to, alg).map_err(fail)?;
                DynamicImage::ImageRgb8(RgbImage::from_raw(to.0, to.1, px).ok_or_else(bad)?)
            }
            DynamicImage::ImageRgba8(i) => {
                let px = resample_typed::<U8x4>(r, i.as_raw(), size, crop, to, alg).map_err(fail)?;
                DynamicImage::ImageRgba8(RgbaImage::from_raw(to.0, to.1, px).ok_or_else(bad)?)
            }
            other => return Err(fail(PixelError::Layout(other.color()))),
        })
    }
}

/// Which in-place alpha operation to run.
#[derive(Clone, Copy)]
enum AlphaOp {
    Multiply,
    Divide,
}

fn alpha_inplace<P: PixelTrait<Component = u8>>(
    buf: &mut [u8],
    size: (u32, u32),
    op: AlphaOp,
) -> Result<(), PixelError> {
    let mut view = TypedImage::<P>::from_buffer(size.0, size.1, buf)?;
    let md = fir::MulDiv::default();
    match op {
        AlphaOp::Multiply => md.multiply_alpha_inplace_typed(&mut view)?,
        AlphaOp::Divide => md.divide_alpha_inplace_typed(&mut view)?,
    }
    Ok(())
}

fn alpha_op(img: &mut DynamicImage, op: AlphaOp) -> Result<(), FileError> {
    let size = img.dimensions();
    let done = match img {
        DynamicImage::ImageLumaA8(i) => alpha_inplace::<U8x2>(i, size, op),
        DynamicImage::ImageRgba8(i) => alpha_inplace::<U8x4>(i, size, op),
        _ => Ok(()),
    };
    done.map_err(|source| FileError::Internal { stage: "weighting alpha", source })
}

/// Premultiplies colour by alpha in place, so that resampling does not
/// bleed the colour of transparent pixels into visible ones.
pub(crate) fn premultiply(img: &mut DynamicImage) -> Result<(), FileError> {
    alpha_op(img, AlphaOp::Multiply)
}

/// Undoes [`premultiply`] on a (small) resized result.
pub(crate) fn unpremultiply(img: &mut DynamicImage) -> Result<(), FileError> {
    alpha_op(img, AlphaOp::Divide)
}

/// Composites onto the background in place, leaving alpha opaque: for
/// outputs without alpha, done once on the decoded image instead of
/// premultiplying (resampling commutes with compositing onto a constant).
pub(crate) fn flatten_in_place(img: &mut DynamicImage, bg: [u8; 3]) {
    let mix = |c: u8, b: u8, a: u32| ((c as u32 * a + b as u32 * (255 - a) + 127) / 255) as u8;
    match img {
        DynamicImage::ImageRgba8(i) => {
            for p in i.pixels_mut() {
                let a = p[3] as u32;
                if a != 255 {
                    *p = Rgba([mix(p[0], bg[0], a), mix(p[1], bg[1], a), mix(p[2], bg[2], a), 255]);
                }
            }
        }
        DynamicImage::ImageLumaA8(i) => {
            // Grey background: the luma of the colour.
            let luma = ((bg[0] as u32 * 299 + bg[1] as u32 * 587 + bg[2] as u32 * 114) / 1000) as u8;
            for p in i.pixels_mut() {
                let a = p[1] as u32;
                if a != 255 {
                    *p = image::LumaA([mix(p[0], luma, a), 255]);
                }
            }
        }
        _ => {}
    }
}

/// Composites an image with alpha onto an opaque background colour.
pub fn flatten(img: DynamicImage, bg: [u8; 3]) -> DynamicImage {
    if !img.color().has_alpha() {
        return img;
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        let mix = |c: u8, b: u8| ((c as u32 * a + b as u32 * (255 - a) + 127) / 255) as u8;
        *o = Rgb([mix(p[0], bg[0]), mix(p[1], bg[1]), mix(p[2], bg[2])]);
    }
    DynamicImage::ImageRgb8(out)
}

/// Centres `img` on a `canvas` filled with the background colour.
pub fn letterbox(img: DynamicImage, canvas: (u32, u32), bg: [u8; 3]) -> DynamicImage {
    if img.dimensions() == canvas {
        return img;
    }
    let (x, y) = ((canvas.0 - img.width()) / 2, (canvas.1 - img.height()) / 2);
    if img.color().has_alpha() {
        let mut c = RgbaImage::from_pixel(canvas.0, canvas.1, Rgba([bg[0], bg[1], bg[2], 255]));
        image::imageops::replace(&mut c, &img.into_rgba8(), x as i64, y as i64);
        DynamicImage::ImageRgba8(c)
    } else {
        let mut c = RgbImage::from_pixel(canvas.0, canvas.1, Rgb(bg));
        image::imageops::replace(&mut c, &img.into_rgb8(), x as i64, y as i64);
        DynamicImage::ImageRgb8(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_past_the_edge_by_a_rounding_error_is_kept_inside() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(322, 218));
        let fx = 322.0 / 2572.0;
        let crop = Crop { x: 0.0, y: 0.0, w: 2572.0, h: 1740.0 }.scaled(fx, 218.0 / 1740.0);
        let out = Resampler::new().resize(&img, Crop { w: crop.w + 1e-9, ..crop }, (256, 173)).unwrap();
        assert_eq!((out.width(), out.height()), (256, 173));
    }

    #[test]
    fn resize_and_crop_produce_the_requested_size() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(400, 200, |x, _| Rgb([(x % 256) as u8, 0, 0])));
        let mut r = Resampler::new();
        let full = Crop { x: 0.0, y: 0.0, w: 400.0, h: 200.0 };
        assert_eq!(r.resize(&img, full, (100, 50)).unwrap().dimensions(), (100, 50));
        let centre = Crop { x: 100.0, y: 0.0, w: 200.0, h: 200.0 };
        assert_eq!(r.resize(&img, centre, (64, 64)).unwrap().dimensions(), (64, 64));
    }

    #[test]
    fn flatten_mixes_with_the_background() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, Rgba([0, 0, 0, 0])));
        let flat = flatten(img, [10, 20, 30]).into_rgb8();
        assert_eq!(flat.get_pixel(1, 1), &Rgb([10, 20, 30]));
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, Rgba([200, 100, 0, 255])));
        assert_eq!(flatten(img, [0, 0, 0]).into_rgb8().get_pixel(0, 0), &Rgb([200, 100, 0]));
    }

    #[test]
    fn letterbox_centres_on_the_canvas() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(4, 2, Rgb([0, 0, 0])));
        let boxed = letterbox(img, (4, 4), [255, 255, 255]).into_rgb8();
        assert_eq!(boxed.dimensions(), (4, 4));
        assert_eq!(boxed.get_pixel(0, 0), &Rgb([255, 255, 255]));
        assert_eq!(boxed.get_pixel(0, 1), &Rgb([0, 0, 0]));
        assert_eq!(boxed.get_pixel(3, 3), &Rgb([255, 255, 255]));
    }

    /// Transparent pixels may hold any colour; it must not bleed into the
    /// visible ones (which is what premultiplying before resampling is for).
    #[test]
    fn transparent_colour_does_not_bleed() {
        let img = RgbaImage::from_fn(64, 64, |x, _| if x < 32 { Rgba([0, 255, 0, 0]) } else { Rgba([255, 0, 0, 255]) });
        let mut img = DynamicImage::ImageRgba8(img);
        premultiply(&mut img).unwrap();
        let mut r = Resampler::new();
        let mut small = r.resize(&img, Crop { x: 0.0, y: 0.0, w: 64.0, h: 64.0 }, (8, 8)).unwrap();
        unpremultiply(&mut small).unwrap();
        let small = small.into_rgba8();
        for p in small.pixels().filter(|p| p[3] > 16) {
            assert!(p[1] < 8 && p[0] > 200, "green bled into a visible pixel: {p:?}");
        }
        assert!(small.pixels().any(|p| p[3] > 16 && p[3] < 240), "no edge pixel checked");
        // Flattening first gives the same colours as flattening the result.
        let mut flat = DynamicImage::ImageRgba8(RgbaImage::from_fn(4, 1, |x, _| Rgba([200, 10, 10, (x * 80) as u8])));
        let expect = flatten(flat.clone(), [0, 0, 255]).into_rgb8();
        flatten_in_place(&mut flat, [0, 0, 255]);
        assert_eq!(flatten(flat, [9, 9, 9]).into_rgb8(), expect);
    }
}
