//! PDQ perceptual hashing, bit-exact with Meta's reference C++ (`pdq/cpp` in ThreatExchange).
//!
//! The pipeline is the reference one: RGB → float luminance, two passes of the Jarosz box filter
//! (rows then columns) with the reference's window size, decimation to 64×64 at the sample
//! centres, the image-domain quality metric, a 2-D DCT keeping coefficients 1..=16 in each
//! direction, and one bit per coefficient: "greater than the median" (Torben's median).
//!
//! Bit-exactness rests on doing every floating-point operation the reference does, in `f32`
//! where it uses `float`, in the same order for each output value and without fused
//! multiply-adds (Rust never contracts `a * b + c`). What is free to change is the order in
//! which *independent* values are computed: the box filter runs one running sum per row or per
//! column, and this implementation advances many of those sums side by side (all columns of a
//! row-major buffer at once; 16 rows at once over a small transposed strip), which the compiler
//! vectorises, where the reference walks one row or column at a time. The second pass in each
//! direction divides and keeps only the 64 rows or columns that decimation samples. A property
//! test checks the result bit for bit against a direct transcription of the reference loops.
//!
//! Luminance follows the `pdqhash` Python binding that produced the reference vectors: the
//! weighted sum is taken in `f64` (numpy promotes `uint8 * 0.299` to float64) and rounded to
//! `f32` once. The C++ command-line tool sums in `f32` instead, which can differ in the last
//! bit of a luminance value ([`LumaRounding`] selects either; on the reference vectors both
//! give the same hashes).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Number of bits in a PDQ hash.
pub const PDQ_BITS: u32 = 256;

/// Images with fewer rows or columns than this hash to all zeroes with quality 0, as in the
/// reference.
pub const MIN_HASHABLE_DIM: usize = 5;

/// The reference's default match threshold (Hamming distance, inclusive).
pub const DEFAULT_DISTANCE_THRESHOLD: u32 = 31;

/// A 256-bit PDQ hash.
///
/// Bit `k` of the reference (`Hash256::setBit(k)`, with `k = 16 * row + column` of the 16×16
/// DCT) is bit `k % 64` of limb `k / 64`. The hexadecimal form is the reference's: 64 lowercase
/// digits, most significant bit (bit 255) first, so it reads as the 256-bit number whose bit `k`
/// is bit `k` of the hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PdqHash(pub [u64; 4]);

impl PdqHash {
    /// The all-zero hash (what the reference gives images smaller than 5×5).
    pub const ZERO: PdqHash = PdqHash([0; 4]);

    /// Hamming distance: the number of differing bits.
    #[inline]
    pub fn distance(&self, other: &PdqHash) -> u32 {
        (self.0[0] ^ other.0[0]).count_ones()
            + (self.0[1] ^ other.0[1]).count_ones()
            + (self.0[2] ^ other.0[2]).count_ones()
            + (self.0[3] ^ other.0[3]).count_ones()
    }

    /// Bit `k` (0..256) in the reference's numbering.
    pub fn bit(&self, k: usize) -> bool {
        (self.0[(k / 64) % 4] >> (k % 64)) & 1 == 1
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Parses exactly 64 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Result<PdqHash, ParseHashError> {
        Self::from_hex_bytes(text.as_bytes())
    }

    /// Parses exactly 64 hexadecimal digits given as ASCII bytes.
    pub fn from_hex_bytes(text: &[u8]) -> Result<PdqHash, ParseHashError> {
        if text.len() != 64 {
            return Err(ParseHashError::Length(text.len()));
        }
        let mut limbs = [0u64; 4];
        for (limb_index, digits) in text.chunks_exact(16).enumerate() {
            let mut value = 0u64;
            for &digit in digits {
                let nibble = match digit {
                    b'0'..=b'9' => digit - b'0',
                    b'a'..=b'f' => digit - b'a' + 10,
                    b'A'..=b'F' => digit - b'A' + 10,
                    _ => return Err(ParseHashError::Digit(digit as char)),
                };
                value = (value << 4) | u64::from(nibble);
            }
            limbs[3 - limb_index] = value;
        }
        Ok(PdqHash(limbs))
    }

    /// The 64-digit lowercase hexadecimal form.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:016x}{:016x}{:016x}{:016x}",
            self.0[3], self.0[2], self.0[1], self.0[0]
        )
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({self})")
    }
}

impl FromStr for PdqHash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PdqHash::from_hex(s)
    }
}

/// Why a string is not a PDQ hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHashError {
    /// Not 64 characters long.
    #[error("a PDQ hash has 64 hexadecimal digits, found {0} characters")]
    Length(usize),
    /// A character outside `0-9a-fA-F`.
    #[error("invalid hexadecimal digit {0:?} in PDQ hash")]
    Digit(char),
}

/// A hash with its quality score (0..=100; the reference treats < 50 as unreliable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqOutput {
    pub hash: PdqHash,
    pub quality: u8,
}

/// The eight dihedral transforms, in the order the reference computes and prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dihedral {
    Original,
    Rotate90,
    Rotate180,
    Rotate270,
    FlipX,
    FlipY,
    FlipPlus1,
    FlipMinus1,
}

impl Dihedral {
    /// All transforms in the reference's output order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The reference tool's short name (`orig`, `rot90`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "orig",
            Dihedral::Rotate90 => "rot90",
            Dihedral::Rotate180 => "rot180",
            Dihedral::Rotate270 => "rot270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipp",
            Dihedral::FlipMinus1 => "flipm",
        }
    }

    /// Coefficient `(row, col)` of the transformed image's DCT, read from the original's.
    ///
    /// Rotations and flips of the 64×64 image only transpose the DCT and flip the sign of the
    /// odd-frequency coefficients (the reference's sign tables in `pdqhashing.cpp`).
    #[inline]
    fn coefficient(self, dct: &[[f32; 16]; 16], row: usize, col: usize) -> f32 {
        let straight = dct[row][col];
        let transposed = dct[col][row];
        match self {
            Dihedral::Original => straight,
            Dihedral::Rotate90 => odd_or_negated(row, transposed),
            Dihedral::Rotate180 => odd_or_negated(row + col + 1, straight),
            Dihedral::Rotate270 => odd_or_negated(col, transposed),
            Dihedral::FlipX => odd_or_negated(row, straight),
            Dihedral::FlipY => odd_or_negated(col, straight),
            Dihedral::FlipPlus1 => transposed,
            Dihedral::FlipMinus1 => odd_or_negated(row + col + 1, transposed),
        }
    }
}

/// `value` when `index` is odd, `-value` when even.
#[inline]
fn odd_or_negated(index: usize, value: f32) -> f32 {
    if index & 1 == 1 { value } else { -value }
}

/// The eight dihedral hashes of one image, sharing one quality score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DihedralOutput {
    /// Indexed like [`Dihedral::ALL`].
    pub hashes: [PdqHash; 8],
    pub quality: u8,
}

impl DihedralOutput {
    /// The hash of one transform.
    pub fn get(&self, transform: Dihedral) -> PdqHash {
        let index = Dihedral::ALL
            .iter()
            .position(|t| *t == transform)
            .unwrap_or(0);
        self.hashes[index]
    }
}

/// How RGB becomes luminance before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LumaRounding {
    /// `0.299 R + 0.587 G + 0.114 B` summed in `f64`, rounded once to `f32`: what the `pdqhash`
    /// Python binding (and so `expected.csv`) does.
    #[default]
    Float64,
    /// The same sum with `f32` coefficients and `f32` arithmetic: what the C++ file hasher does.
    Float32,
}

/// Why a pixel buffer cannot be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdqError {
    /// The buffer does not hold `width * height * channels` samples.
    #[error("pixel buffer has {actual} samples, expected {expected} for {width}x{height}")]
    BufferSize {
        width: usize,
        height: usize,
        expected: usize,
        actual: usize,
    },
}

/// `v * 0.299`, `v * 0.587` and `v * 0.114` in `f64` for every byte value `v`.
fn luma_tables() -> &'static [[f64; 256]; 3] {
    static TABLES: OnceLock<[[f64; 256]; 3]> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = [[0f64; 256]; 3];
        for (table, coefficient) in tables.iter_mut().zip([0.299, 0.587, 0.114]) {
            for (value, entry) in table.iter_mut().enumerate() {
                *entry = value as f64 * coefficient;
            }
        }
        tables
    })
}

/// The reference's 16×64 DCT matrix, row-major (`D[i][j]` at `i * 64 + j`).
fn dct_matrix() -> &'static [f32; 16 * 64] {
    static MATRIX: OnceLock<[f32; 16 * 64]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        // The reference keeps the scale factor in a `float`, then multiplies by a `double`
        // cosine and stores the product as `float`.
        let scale = f64::from((2.0f64 / 64.0).sqrt() as f32);
        let mut matrix = [0f32; 16 * 64];
        for i in 0..16 {
            for j in 0..64 {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64;
                matrix[i * 64 + j] = (scale * angle.cos()) as f32;
            }
        }
        matrix
    })
}

/// The same matrix transposed (`Dt[k][j] = D[j][k]`, 64×16), so the second DCT product can run
/// over 16 outputs at once while summing each in the reference's order.
fn dct_matrix_transposed() -> &'static [f32; 64 * 16] {
    static MATRIX: OnceLock<[f32; 64 * 16]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let d = dct_matrix();
        let mut t = [0f32; 64 * 16];
        for j in 0..16 {
            for k in 0..64 {
                t[k * 16 + j] = d[j * 64 + k];
            }
        }
        t
    })
}

/// The reference's Jarosz window size for downsampling `old` samples to `new`.
pub fn jarosz_window_size(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// A PDQ hasher with reusable scratch buffers; create one per thread and hash many images.
#[derive(Debug, Default)]
pub struct PdqHasher {
    luma_rounding: LumaRounding,
    buffer_a: Vec<f32>,
    buffer_b: Vec<f32>,
    sums: Vec<f32>,
    sampled: Vec<f32>,
    strip: Vec<f32>,
    strip_out: Vec<f32>,
}

impl PdqHasher {
    /// A hasher matching the reference vectors (`LumaRounding::Float64`).
    pub fn new() -> PdqHasher {
        PdqHasher::default()
    }

    /// A hasher with a chosen luminance rounding.
    pub fn with_luma_rounding(luma_rounding: LumaRounding) -> PdqHasher {
        PdqHasher {
            luma_rounding,
            ..PdqHasher::default()
        }
    }

    /// Bytes of scratch memory currently held (grows to about 8 bytes per pixel of the largest
    /// image hashed).
    pub fn scratch_bytes(&self) -> usize {
        4 * (self.buffer_a.capacity()
            + self.buffer_b.capacity()
            + self.sums.capacity()
            + self.sampled.capacity()
            + self.strip.capacity()
            + self.strip_out.capacity())
    }

    /// Hashes packed 8-bit RGB (`width * height * 3` bytes, row-major).
    pub fn hash_rgb(
        &mut self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<PdqOutput, PdqError> {
        self.load_rgb(rgb, width, height)?;
        Ok(self.hash_loaded(width, height))
    }

    /// The eight dihedral hashes of packed 8-bit RGB.
    pub fn dihedral_rgb(
        &mut self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<DihedralOutput, PdqError> {
        self.load_rgb(rgb, width, height)?;
        Ok(self.dihedral_loaded(width, height))
    }

    /// Hashes a luminance image (`width * height` floats, row-major), like the reference's
    /// `pdqHash256FromFloatLuma`.
    pub fn hash_luma(
        &mut self,
        luma: &[f32],
        width: usize,
        height: usize,
    ) -> Result<PdqOutput, PdqError> {
        check_size(luma.len(), width, height, 1)?;
        self.buffer_a.clear();
        self.buffer_a.extend_from_slice(luma);
        Ok(self.hash_loaded(width, height))
    }

    fn load_rgb(&mut self, rgb: &[u8], width: usize, height: usize) -> Result<(), PdqError> {
        check_size(rgb.len(), width, height, 3)?;
        self.buffer_a.clear();
        match self.luma_rounding {
            LumaRounding::Float64 => {
                // The products come from tables: the same IEEE multiplications, done once.
                let [red, green, blue] = luma_tables();
                self.buffer_a.extend(rgb.chunks_exact(3).map(|p| {
                    (red[usize::from(p[0])] + green[usize::from(p[1])] + blue[usize::from(p[2])])
                        as f32
                }));
            }
            LumaRounding::Float32 => self.buffer_a.extend(rgb.chunks_exact(3).map(|p| {
                0.299f32 * f32::from(p[0]) + 0.587f32 * f32::from(p[1]) + 0.114f32 * f32::from(p[2])
            })),
        }
        Ok(())
    }

    /// Hash of the luminance in `buffer_a`.
    fn hash_loaded(&mut self, width: usize, height: usize) -> PdqOutput {
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return PdqOutput {
                hash: PdqHash::ZERO,
                quality: 0,
            };
        }
        let mut block = [[0f32; 64]; 64];
        if width == 64 && height == 64 {
            // The reference skips the blur for input that is already 64×64 (e.g. video frames
            // downsampled by ffmpeg), in the single-hash path only.
            for (row, values) in block.iter_mut().zip(self.buffer_a.chunks_exact(64)) {
                row.copy_from_slice(values);
            }
        } else {
            self.downsample(width, height, &mut block);
        }
        let quality = quality_metric(&block);
        let dct = dct_64_to_16(&block);
        PdqOutput {
            hash: hash_from_dct(&dct, Dihedral::Original),
            quality,
        }
    }

    fn dihedral_loaded(&mut self, width: usize, height: usize) -> DihedralOutput {
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return DihedralOutput {
                hashes: [PdqHash::ZERO; 8],
                quality: 0,
            };
        }
        // The reference's dihedral path always blurs, even a 64×64 input.
        let mut block = [[0f32; 64]; 64];
        self.downsample(width, height, &mut block);
        let quality = quality_metric(&block);
        let dct = dct_64_to_16(&block);
        DihedralOutput {
            hashes: Dihedral::ALL.map(|t| hash_from_dct(&dct, t)),
            quality,
        }
    }

    /// Two passes of the Jarosz box filter over the luminance in `buffer_a` (rows × cols,
    /// row-major), then decimation to 64×64.
    ///
    /// The reference filters along rows (one running sum per row, moving across columns) and
    /// then along columns, twice. A running sum along columns of a row-major buffer advances
    /// all columns together with contiguous loads, so column passes run in place; row passes
    /// run on strips of 16 rows transposed into a small cache-resident buffer. The second row
    /// pass keeps only the 64 sampled columns and the second column pass only the 64 sampled
    /// rows. Each output value sees exactly the reference's additions, subtractions and
    /// divisions in the reference's order.
    fn downsample(&mut self, cols: usize, rows: usize, block: &mut [[f32; 64]; 64]) {
        let window_along_rows = jarosz_window_size(cols, 64);
        let window_along_cols = jarosz_window_size(rows, 64);
        self.buffer_b.resize(rows * cols, 0.0);
        let sample_cols: [usize; 64] = std::array::from_fn(|j| sample_index(j, cols));
        let sample_rows: [usize; 64] = std::array::from_fn(|i| sample_index(i, rows));

        // Pass 1 along rows (a → b), then along columns (b → a).
        let mut strips = Strips::new(&mut self.strip, &mut self.strip_out, cols);
        for (r0, height) in strip_ranges(rows) {
            let rows_in = &self.buffer_a[r0 * cols..(r0 + height) * cols];
            let filtered = strips.filter(
                rows_in,
                height,
                |input, output, steps, lanes, sums| {
                    box_filter_full(input, output, steps, lanes, window_along_rows, sums)
                },
                &mut self.sums,
            );
            for k in 0..height {
                let target = &mut self.buffer_b[(r0 + k) * cols..(r0 + k + 1) * cols];
                for (c, value) in target.iter_mut().enumerate() {
                    *value = filtered[c * height + k];
                }
            }
        }
        box_filter_full(
            &self.buffer_b,
            &mut self.buffer_a,
            rows,
            cols,
            window_along_cols,
            &mut self.sums,
        );

        // Pass 2 along rows, keeping the 64 sampled columns (rows × 64, row-major).
        self.sampled.resize(rows * 64, 0.0);
        for (r0, height) in strip_ranges(rows) {
            let rows_in = &self.buffer_a[r0 * cols..(r0 + height) * cols];
            let filtered = strips.filter(
                rows_in,
                height,
                |input, output, steps, lanes, sums| {
                    box_filter_sampled(
                        input,
                        output,
                        steps,
                        lanes,
                        window_along_rows,
                        &sample_cols,
                        sums,
                    )
                },
                &mut self.sums,
            );
            for k in 0..height {
                let target = &mut self.sampled[(r0 + k) * 64..(r0 + k + 1) * 64];
                for (j, value) in target.iter_mut().enumerate() {
                    *value = filtered[j * height + k];
                }
            }
        }
        // Pass 2 along columns over those 64 columns, keeping the 64 sampled rows.
        let mut flat = [0f32; 64 * 64];
        box_filter_sampled(
            &self.sampled,
            &mut flat,
            rows,
            64,
            window_along_cols,
            &sample_rows,
            &mut self.sums,
        );
        for (out_row, values) in block.iter_mut().zip(flat.chunks_exact(64)) {
            out_row.copy_from_slice(values);
        }
    }
}

/// Rows handled together by a row pass: 16 lanes of running sums.
const STRIP: usize = 16;

/// `(first_row, height)` of each strip of up to `STRIP` rows.
fn strip_ranges(rows: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..rows)
        .step_by(STRIP)
        .map(move |r0| (r0, STRIP.min(rows - r0)))
}

/// Scratch for row passes: a strip of rows transposed to column-major (`cols × height`), so
/// the row filter runs as `height` lanes, and its output.
struct Strips<'a> {
    input: &'a mut Vec<f32>,
    output: &'a mut Vec<f32>,
    cols: usize,
}

impl<'a> Strips<'a> {
    fn new(input: &'a mut Vec<f32>, output: &'a mut Vec<f32>, cols: usize) -> Strips<'a> {
        input.resize(cols * STRIP, 0.0);
        // A sampled pass writes 64 steps, which can be more than `cols`.
        output.resize(cols.max(64) * STRIP, 0.0);
        Strips {
            input,
            output,
            cols,
        }
    }

    /// Transposes `rows_in` (`height × cols`, row-major) into the strip, runs `filter(strip,
    /// output, steps = cols, lanes = height, sums)`, and returns the output (lane-minor).
    fn filter(
        &mut self,
        rows_in: &[f32],
        height: usize,
        filter: impl FnOnce(&[f32], &mut [f32], usize, usize, &mut Vec<f32>),
        sums: &mut Vec<f32>,
    ) -> &[f32] {
        let cols = self.cols;
        let strip = &mut self.input[..cols * height];
        for (k, row) in rows_in.chunks_exact(cols).enumerate() {
            for (c, &value) in row.iter().enumerate() {
                strip[c * height + k] = value;
            }
        }
        filter(strip, &mut self.output[..], cols, height, sums);
        &self.output[..]
    }
}

fn check_size(actual: usize, width: usize, height: usize, channels: usize) -> Result<(), PdqError> {
    let expected = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(channels))
        .unwrap_or(usize::MAX);
    if actual == expected {
        Ok(())
    } else {
        Err(PdqError::BufferSize {
            width,
            height,
            expected,
            actual,
        })
    }
}

/// Hashes packed 8-bit RGB with a fresh hasher (convenience; reuse a [`PdqHasher`] in loops).
pub fn hash_rgb(rgb: &[u8], width: usize, height: usize) -> Result<PdqOutput, PdqError> {
    PdqHasher::new().hash_rgb(rgb, width, height)
}

/// The eight dihedral hashes of packed 8-bit RGB with a fresh hasher.
pub fn dihedral_rgb(rgb: &[u8], width: usize, height: usize) -> Result<DihedralOutput, PdqError> {
    PdqHasher::new().dihedral_rgb(rgb, width, height)
}

/// The input index decimation samples for output index `out` of 64: the centre of its cell.
fn sample_index(out: usize, len: usize) -> usize {
    (((out as f64 + 0.5) * len as f64) / 64.0) as usize
}

/// The reference's 1-D box filter (`box1DFloat`), run on `lanes` independent vectors at once.
///
/// `input` holds `steps × lanes` values; element `(step, lane)` is at `step * lanes + lane`,
/// and the filter runs along `step` for every lane. The four phases (accumulate, write with a
/// growing window, write with the full window, write with a shrinking window) and the per-value
/// arithmetic are the reference's. For each output step, `emit(step, sums, divisor)` receives
/// the running sums and the window size; the output value is `sum / divisor`, a division as in
/// the reference. Letting the caller emit means a pass whose output is only sampled divides
/// only at the sampled steps.
fn box_filter_lanes(
    input: &[f32],
    steps: usize,
    lanes: usize,
    window: usize,
    sums: &mut Vec<f32>,
    mut emit: impl FnMut(usize, &[f32], f32),
) {
    let half_window = (window + 2) / 2;
    let phase_1 = half_window - 1;
    let phase_2 = window + 1 - half_window;
    let phase_3 = steps.saturating_sub(window);
    let phase_4 = half_window - 1;

    sums.clear();
    sums.resize(lanes, 0.0);
    let row = |index: usize| &input[index * lanes..(index + 1) * lanes];
    let (mut left, mut right, mut out) = (0usize, 0usize, 0usize);
    let mut current = 0usize;

    for _ in 0..phase_1 {
        for (sum, &value) in sums.iter_mut().zip(row(right)) {
            *sum += value;
        }
        current += 1;
        right += 1;
    }
    for _ in 0..phase_2 {
        for (sum, &value) in sums.iter_mut().zip(row(right)) {
            *sum += value;
        }
        current += 1;
        emit(out, sums, current as f32);
        right += 1;
        out += 1;
    }
    for _ in 0..phase_3 {
        for ((sum, &add), &sub) in sums.iter_mut().zip(row(right)).zip(row(left)) {
            *sum += add;
            *sum -= sub;
        }
        emit(out, sums, current as f32);
        left += 1;
        right += 1;
        out += 1;
    }
    for _ in 0..phase_4 {
        for (sum, &value) in sums.iter_mut().zip(row(left)) {
            *sum -= value;
        }
        current -= 1;
        emit(out, sums, current as f32);
        left += 1;
        out += 1;
    }
}

/// The box filter writing every output step to `output` (`steps × lanes`).
fn box_filter_full(
    input: &[f32],
    output: &mut [f32],
    steps: usize,
    lanes: usize,
    window: usize,
    sums: &mut Vec<f32>,
) {
    box_filter_lanes(input, steps, lanes, window, sums, |step, sums, divisor| {
        let target = &mut output[step * lanes..(step + 1) * lanes];
        for (dst, &sum) in target.iter_mut().zip(sums) {
            *dst = sum / divisor;
        }
    });
}

/// The box filter writing only the 64 sampled output steps: sample `k` (step `samples[k]`)
/// goes to `output[k * lanes..(k + 1) * lanes]`. `samples` is non-decreasing.
fn box_filter_sampled(
    input: &[f32],
    output: &mut [f32],
    steps: usize,
    lanes: usize,
    window: usize,
    samples: &[usize; 64],
    sums: &mut Vec<f32>,
) {
    let mut next = 0usize;
    box_filter_lanes(input, steps, lanes, window, sums, |step, sums, divisor| {
        while next < 64 && samples[next] == step {
            let target = &mut output[next * lanes..(next + 1) * lanes];
            for (dst, &sum) in target.iter_mut().zip(sums) {
                *dst = sum / divisor;
            }
            next += 1;
        }
    });
}

/// The reference's image-domain quality metric: the sum of vertical and horizontal gradients of
/// the 64×64 block, each scaled to percent of 255 and truncated to an integer, divided by 90
/// and capped at 100.
fn quality_metric(block: &[[f32; 64]; 64]) -> u8 {
    let term = |u: f32, v: f32| (((u - v) * 100.0) / 255.0) as i32;
    let mut gradient_sum: i64 = 0;
    for (upper, lower) in block.iter().zip(block.iter().skip(1)) {
        for (&u, &v) in upper.iter().zip(lower.iter()) {
            gradient_sum += i64::from(term(u, v).abs());
        }
    }
    for row in block.iter() {
        for pair in row.windows(2) {
            gradient_sum += i64::from(term(pair[0], pair[1]).abs());
        }
    }
    (gradient_sum / 90).min(100) as u8
}

/// `B = D A Dᵀ` keeping 16×16 coefficients, each summed over k = 0..64 in order like the
/// reference's `dct64To16`.
fn dct_64_to_16(block: &[[f32; 64]; 64]) -> [[f32; 16]; 16] {
    let d = dct_matrix();
    let dt = dct_matrix_transposed();
    let mut t = [[0f32; 64]; 16];
    for (i, t_row) in t.iter_mut().enumerate() {
        for (k, a_row) in block.iter().enumerate() {
            let coefficient = d[i * 64 + k];
            for (acc, &a) in t_row.iter_mut().zip(a_row.iter()) {
                *acc += coefficient * a;
            }
        }
    }
    let mut b = [[0f32; 16]; 16];
    for (b_row, t_row) in b.iter_mut().zip(t.iter()) {
        for (k, &value) in t_row.iter().enumerate() {
            let dt_row = &dt[k * 16..(k + 1) * 16];
            for (acc, &dk) in b_row.iter_mut().zip(dt_row) {
                *acc += value * dk;
            }
        }
    }
    b
}

/// One bit per coefficient of the transformed DCT: set when greater than the median.
fn hash_from_dct(dct: &[[f32; 16]; 16], transform: Dihedral) -> PdqHash {
    let mut values = [0f32; 256];
    for row in 0..16 {
        for col in 0..16 {
            values[row * 16 + col] = transform.coefficient(dct, row, col);
        }
    }
    let median = torben_median(&values);
    let mut limbs = [0u64; 4];
    for (k, &value) in values.iter().enumerate() {
        if value > median {
            limbs[k / 64] |= 1 << (k % 64);
        }
    }
    PdqHash(limbs)
}

/// Torben Mogensen's median (N. Devillard's implementation, as the reference uses it): no
/// sorting and no copy, with the reference's tie handling.
fn torben_median(m: &[f32]) -> f32 {
    let n = m.len();
    let Some(&first) = m.first() else {
        return 0.0;
    };
    let (mut min, mut max) = (first, first);
    for &value in &m[1..] {
        if value < min {
            min = value;
        }
        if value > max {
            max = value;
        }
    }
    let half = n.div_ceil(2);
    loop {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0usize, 0usize, 0usize);
        let (mut max_lt_guess, mut min_gt_guess) = (min, max);
        for &value in m {
            if value < guess {
                less += 1;
                if value > max_lt_guess {
                    max_lt_guess = value;
                }
            } else if value > guess {
                greater += 1;
                if value < min_gt_guess {
                    min_gt_guess = value;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return if less >= half {
                max_lt_guess
            } else if less + equal >= half {
                guess
            } else {
                min_gt_guess
            };
        }
        // NaN never reaches here: luminance is finite, so every coefficient is.
        if less > greater {
            max = max_lt_guess;
        } else {
            min = min_gt_guess;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_bit_order() {
        let text = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let hash = PdqHash::from_hex(text).expect("valid");
        assert_eq!(hash.to_hex(), text);
        // The last digit holds bits 3..0: 0x2 → bit 1 set, bit 0 clear.
        assert!(hash.bit(1));
        assert!(!hash.bit(0));
        // The first digit holds bits 255..252: 0xf.
        assert!(hash.bit(255) && hash.bit(252));
        assert_eq!(
            PdqHash::from_hex(&text.to_uppercase()).expect("upper case"),
            hash
        );
        assert_eq!(PdqHash::from_hex("abc"), Err(ParseHashError::Length(3)));
        assert!(matches!(
            PdqHash::from_hex(&"g".repeat(64)),
            Err(ParseHashError::Digit('g'))
        ));
    }

    #[test]
    fn distance_counts_differing_bits() {
        let a = PdqHash([0, 0, 0, 0]);
        let b = PdqHash([1, 3, 0, u64::MAX]);
        assert_eq!(a.distance(&b), 67);
        assert_eq!(b.distance(&b), 0);
    }

    #[test]
    fn torben_matches_sorted_median_rule() {
        // For an even count the reference returns the lower middle value when it exists.
        let values: Vec<f32> = (0..256).map(|i| ((i * 37) % 256) as f32).collect();
        assert_eq!(torben_median(&values), 127.0);
        let odd = [5.0f32, 1.0, 3.0];
        assert_eq!(torben_median(&odd), 3.0);
    }

    #[test]
    fn window_sizes_follow_reference() {
        assert_eq!(jarosz_window_size(1024, 64), 8);
        assert_eq!(jarosz_window_size(64, 64), 1);
        assert_eq!(jarosz_window_size(129, 64), 2);
    }

    #[test]
    fn box_filter_matches_scalar_reference_walk() {
        // A direct transcription of the four phases on one vector.
        fn scalar(input: &[f32], window: usize) -> Vec<f32> {
            let half = (window + 2) / 2;
            let mut out = vec![0f32; input.len()];
            let (mut li, mut ri, mut oi, mut cur) = (0, 0, 0, 0usize);
            let mut sum = 0f32;
            for _ in 0..half - 1 {
                sum += input[ri];
                cur += 1;
                ri += 1;
            }
            for _ in 0..window - half + 1 {
                sum += input[ri];
                cur += 1;
                out[oi] = sum / cur as f32;
                ri += 1;
                oi += 1;
            }
            for _ in 0..input.len() - window {
                sum += input[ri];
                sum -= input[li];
                out[oi] = sum / cur as f32;
                li += 1;
                ri += 1;
                oi += 1;
            }
            for _ in 0..half - 1 {
                sum -= input[li];
                cur -= 1;
                out[oi] = sum / cur as f32;
                li += 1;
                oi += 1;
            }
            out
        }
        let input: Vec<f32> = (0..37).map(|i| ((i * 7919) % 255) as f32 * 0.37).collect();
        let mut sums = Vec::new();
        for window in 1..=9 {
            let mut out = vec![0f32; input.len()];
            box_filter_full(&input, &mut out, input.len(), 1, window, &mut sums);
            assert_eq!(out, scalar(&input, window), "window {window}");
        }
    }

    #[test]
    fn tiny_images_hash_to_zero() {
        let rgb = vec![200u8; 4 * 10 * 3];
        let out = hash_rgb(&rgb, 4, 10).expect("size ok");
        assert_eq!(out.hash, PdqHash::ZERO);
        assert_eq!(out.quality, 0);
    }

    #[test]
    fn wrong_buffer_size_is_an_error() {
        assert!(matches!(
            hash_rgb(&[0u8; 10], 2, 2),
            Err(PdqError::BufferSize { expected: 12, .. })
        ));
    }

    #[test]
    fn dihedral_original_equals_plain_hash_off_64x64() {
        let (w, h) = (97, 61);
        let rgb: Vec<u8> = (0..w * h * 3)
            .map(|i| ((i * 31 + i / 7) % 251) as u8)
            .collect();
        let plain = hash_rgb(&rgb, w, h).expect("ok");
        let all = dihedral_rgb(&rgb, w, h).expect("ok");
        assert_eq!(all.get(Dihedral::Original), plain.hash);
        assert_eq!(all.quality, plain.quality);
    }

    /// A direct transcription of the reference's downsampling loops (strided 1-D box filter
    /// along every row, then every column, twice, then decimation), to check the vectorised,
    /// transposed and sampled pipeline against on arbitrary sizes.
    fn reference_block(luma: &[f32], cols: usize, rows: usize) -> [[f32; 64]; 64] {
        fn box_1d(
            input: &[f32],
            output: &mut [f32],
            start: usize,
            len: usize,
            stride: usize,
            window: usize,
        ) {
            let half = (window + 2) / 2;
            let (mut li, mut ri, mut oi) = (start, start, start);
            let mut sum = 0f32;
            let mut current = 0i32;
            for _ in 0..half - 1 {
                sum += input[ri];
                current += 1;
                ri += stride;
            }
            for _ in 0..window - half + 1 {
                sum += input[ri];
                current += 1;
                output[oi] = sum / current as f32;
                ri += stride;
                oi += stride;
            }
            for _ in 0..len.saturating_sub(window) {
                sum += input[ri];
                sum -= input[li];
                output[oi] = sum / current as f32;
                li += stride;
                ri += stride;
                oi += stride;
            }
            for _ in 0..half - 1 {
                sum -= input[li];
                current -= 1;
                output[oi] = sum / current as f32;
                li += stride;
                oi += stride;
            }
        }
        let mut a = luma.to_vec();
        let mut b = vec![0f32; a.len()];
        let window_rows = jarosz_window_size(cols, 64);
        let window_cols = jarosz_window_size(rows, 64);
        for _ in 0..2 {
            for i in 0..rows {
                box_1d(&a, &mut b, i * cols, cols, 1, window_rows);
            }
            for j in 0..cols {
                box_1d(&b, &mut a, j, rows, cols, window_cols);
            }
        }
        let mut block = [[0f32; 64]; 64];
        for (i, row) in block.iter_mut().enumerate() {
            for (j, value) in row.iter_mut().enumerate() {
                *value = a[sample_index(i, rows) * cols + sample_index(j, cols)];
            }
        }
        block
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn fast_downsampling_equals_the_reference_loops(
            cols in 5usize..400,
            rows in 5usize..400,
            seed in proptest::prelude::any::<u32>(),
        ) {
            let luma: Vec<f32> = (0..cols * rows)
                .map(|i| {
                    let x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed);
                    ((x >> 8) % 256) as f32 * 0.999 + ((x % 7) as f32) * 0.1
                })
                .collect();
            let mut hasher = PdqHasher::new();
            hasher.buffer_a.clear();
            hasher.buffer_a.extend_from_slice(&luma);
            let mut block = [[0f32; 64]; 64];
            hasher.downsample(cols, rows, &mut block);
            let expected = reference_block(&luma, cols, rows);
            for i in 0..64 {
                for j in 0..64 {
                    proptest::prop_assert_eq!(block[i][j].to_bits(), expected[i][j].to_bits(), "at {} {}", i, j);
                }
            }
        }
    }
}
