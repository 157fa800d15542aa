//! PNG files from pixels, as kindly writes them: the QR code on each letter
//! and the pictures of pages in the run's report. A leaf module.

/// `pixels`, row by row (each row padded to a whole byte), as a PNG of
/// `width` x `height` pixels of `color` at `depth` bits, compressed as
/// `compression` says and filtered row by row as png chooses.
pub fn encode(
    pixels: &[u8],
    (width, height): (u32, u32),
    (color, depth): (png::ColorType, png::BitDepth),
    compression: png::DeflateCompression,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    encoder.set_deflate_compression(compression);
    encoder.write_header()?.write_image_data(pixels)?;
    Ok(png)
}
