//! Helpers shared by the fuzz targets (included with `mod common;`).

/// Cuts `data` into consecutive chunks whose sizes come from a small PRNG seeded by the fuzzer,
/// so one input byte chooses where a byte stream is split. Seed 0 means "one chunk".
pub fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    if seed == 0 || data.is_empty() {
        return vec![data];
    }
    // Low bits pick the largest chunk size (1..=32), the whole byte seeds xorshift.
    let max_chunk = usize::from(seed & 0x1f) + 1;
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state as usize % max_chunk + 1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}
