//! AVIF by rav1e (pure Rust, the `avif-rav1e` feature): AV1 frames tuned
//! for stills, wrapped by avif-serialize.

use image::DynamicImage;

use crate::error::EncodeError;
use crate::job::{EncodeOptions, Subsampling};

/// `--effort` 0–10 to rav1e's speed preset 10–1 (more is faster).
fn rav1e_speed(effort: u8) -> u8 {
    10 - effort.min(9)
}

/// Quality 1–100 to rav1e's quantizer 255–0, on ravif's curve, so a
/// quality means the same file size as it did when ravif encoded for us.
fn rav1e_quantizer(quality: u8) -> usize {
    let q = f32::from(quality.clamp(1, 100)) / 100.0;
    let x = if q >= 0.82 {
        (1.0 - q) * 2.6
    } else if q > 0.25 {
        0.875 - 0.5 * q
    } else {
        1.0 - q
    };
    (x * 255.0).round() as usize
}

/// rav1e straight, not through ravif: ravif writes only 4:4:4 chroma, and
/// 4:2:0 is rav1e's best-supported layout (benches/README.md, T3).
/// avif-serialize (ravif's own container writer) wraps the AV1 data.
pub(super) fn encode(img: &DynamicImage, opts: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>, EncodeError> {
    let sub = opts.subsampling;
    use rav1e::prelude::ChromaSampling;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let sampling = match sub {
        Subsampling::S420 => ChromaSampling::Cs420,
        Subsampling::S422 => ChromaSampling::Cs422,
        Subsampling::S444 => ChromaSampling::Cs444,
    };
    let (sx, sy) = sampling.get_decimation().unwrap_or((0, 0));
    let quantizer = rav1e_quantizer(opts.quality);
    let speed = rav1e_speed(opts.effort);
    let rgb = img.to_rgb8();
    let color =
        av1_frame(w, h, quantizer, speed, sampling, true, |frame| fill_ycbcr(frame, rgb.as_raw(), w, h, sx, sy))?;
    drop(rgb);
    let alpha = if img.color().has_alpha() {
        let a: Vec<u8> = img.to_rgba8().as_raw().chunks_exact(4).map(|p| p[3]).collect();
        Some(av1_frame(w, h, quantizer, speed, ChromaSampling::Cs400, false, |frame| {
            fill_plane(&mut frame.planes[0], &a, w)
        })?)
    } else {
        None
    };
    let mut avif = avif_serialize::Aviffy::new();
    avif.set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601)
        .set_full_color_range(true)
        .set_chroma_subsampling((sx == 1, sy == 1))
        // AV1's profile for the layout: Main 4:2:0, High 4:4:4, Professional 4:2:2.
        .set_seq_profile(match sub {
            Subsampling::S420 => 0,
            Subsampling::S444 => 1,
            Subsampling::S422 => 2,
        })
        .set_width(w as u32)
        .set_height(h as u32)
        .set_bit_depth(8);
    if let Some(exif) = exif {
        avif.set_exif(exif.to_vec());
    }
    let mut out = Vec::new();
    avif.write_slice(&mut out, &color, alpha.as_deref()).map_err(EncodeError::codec)?;
    Ok(out)
}

/// Encodes one still frame, filled by `fill`, and returns its AV1 data.
fn av1_frame(
    w: usize,
    h: usize,
    quantizer: usize,
    speed: u8,
    sampling: rav1e::prelude::ChromaSampling,
    srgb: bool,
    fill: impl FnOnce(&mut rav1e::prelude::Frame<u8>),
) -> Result<Vec<u8>, EncodeError> {
    use rav1e::prelude::*;
    let mut settings = SpeedSettings::from_preset(speed);
    // One key frame: the inter-frame searches would only cost time.
    settings.multiref = false;
    settings.rdo_lookahead_frames = 1;
    settings.scene_detection_mode = SceneDetectionSpeed::None;
    settings.motion.include_near_mvs = false;
    // ravif's still-image tuning (its SpeedTweaks), which rav1e's video
    // presets lack: blocks of at most 16 px and the simple intra modes take
    // 0.55x the time of rav1e's preset 6 on the photo corpus (q50: 65 s
    // against 117 s) for about 4 % more bytes at the same SSIM. Unlike
    // ravif, 4 px blocks stay on through speed 6 (effort 4): 1 % fewer
    // bytes at equal SSIM for 4 % more time.
    let small = if speed <= 6 { BlockSize::BLOCK_4X4 } else { BlockSize::BLOCK_8X8 };
    settings.partition.partition_range = PartitionRange::new(small, BlockSize::BLOCK_16X16);
    settings.partition.encode_bottomup = speed <= 2;
    settings.prediction.prediction_modes =
        if speed <= 1 { PredictionModesSetting::ComplexAll } else { PredictionModesSetting::Simple };
    settings.prediction.fine_directional_intra = speed <= 6;
    settings.transform.rdo_tx_decision = speed <= 4;
    settings.transform.reduced_tx_set = speed == 4 || speed >= 9;
    settings.sgr_complexity = if speed <= 2 { SGRComplexityLevel::Full } else { SGRComplexityLevel::Reduced };
    // Restoration filters help only at low quality (quantizer above q55's).
    let low_quality = quantizer > rav1e_quantizer(55);
    let high_quality = quantizer < rav1e_quantizer(80);
    settings.lrf = low_quality && speed <= 8;
    settings.cdef = low_quality && speed <= 9;
    settings.fast_deblock = speed >= 7 && !high_quality;
    settings.motion.use_satd_subpel = false;
    let mut enc = EncoderConfig::with_speed_preset(speed);
    enc.width = w;
    enc.height = h;
    enc.bit_depth = 8;
    enc.chroma_sampling = sampling;
    enc.pixel_range = PixelRange::Full;
    enc.color_description = srgb.then_some(ColorDescription {
        transfer_characteristics: TransferCharacteristics::SRGB,
        color_primaries: ColorPrimaries::BT709,
        matrix_coefficients: MatrixCoefficients::BT601,
    });
    enc.still_picture = true;
    enc.quantizer = quantizer;
    enc.min_quantizer = quantizer as u8;
    enc.speed_settings = settings;
    enc.tiles = 1;
    // threads 1: the worker pool is the parallelism, one image per thread.
    let cfg = Config::new().with_encoder_config(enc).with_threads(1);
    let mut ctx: Context<u8> = cfg.new_context().map_err(EncodeError::codec)?;
    let mut frame = ctx.new_frame();
    fill(&mut frame);
    ctx.send_frame(frame).map_err(EncodeError::codec)?;
    ctx.flush();
    let mut out = Vec::new();
    loop {
        match ctx.receive_packet() {
            Ok(mut packet) => out.append(&mut packet.data),
            Err(EncoderStatus::Encoded) => continue,
            Err(EncoderStatus::LimitReached) => break,
            Err(e) => return Err(EncodeError::codec(e)),
        }
    }
    Ok(out)
}

/// RGB to full-range BT.601 YCbCr (the matrix ravif and libavif use for
/// 8-bit stills), with each chroma sample the mean of the `2^sx` by `2^sy`
/// pixels it covers (libavif's and libvips' box filter).
fn fill_ycbcr(frame: &mut rav1e::prelude::Frame<u8>, rgb: &[u8], w: usize, h: usize, sx: usize, sy: usize) {
    const KR: f32 = 0.299;
    const KB: f32 = 0.114;
    const KG: f32 = 1.0 - KR - KB;
    let (cw, ch) = ((w + sx) >> sx, (h + sy) >> sy);
    let mut y = vec![0u8; w * h];
    let mut cb = vec![0f32; cw * ch];
    let mut cr = vec![0f32; cw * ch];
    let mut n = vec![0u8; cw * ch];
    for (row, (src, dst)) in rgb.chunks_exact(w * 3).zip(y.chunks_exact_mut(w)).enumerate() {
        let c_row = (row >> sy) * cw;
        for (col, (p, out)) in src.chunks_exact(3).zip(dst.iter_mut()).enumerate() {
            let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
            let luma = KR * r + KG * g + KB * b;
            *out = luma.round() as u8;
            let c = c_row + (col >> sx);
            cb[c] += (b - luma) / (2.0 * (1.0 - KB));
            cr[c] += (r - luma) / (2.0 * (1.0 - KR));
            n[c] += 1;
        }
    }
    let chroma = |sum: Vec<f32>| -> Vec<u8> {
        sum.iter().zip(&n).map(|(s, &k)| (s / f32::from(k) + 128.0).round().clamp(0.0, 255.0) as u8).collect()
    };
    fill_plane(&mut frame.planes[0], &y, w);
    fill_plane(&mut frame.planes[1], &chroma(cb), cw);
    fill_plane(&mut frame.planes[2], &chroma(cr), cw);
}

fn fill_plane(plane: &mut rav1e::prelude::Plane<u8>, data: &[u8], width: usize) {
    plane.copy_from_raw_u8(data, width, 1);
}
