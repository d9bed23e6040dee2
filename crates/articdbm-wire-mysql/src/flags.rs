//! `Debug` output shared by the flag sets (capabilities, server status): the names of the bits
//! that are set, then any unknown bits in hex.

use std::fmt;

/// Writes `bits` as a set of the names in `names` that are set, plus leftover unknown bits.
pub(crate) fn fmt_flags(
    f: &mut fmt::Formatter<'_>,
    bits: u64,
    names: &[(&'static str, u64)],
) -> fmt::Result {
    let mut l = f.debug_set();
    for (name, bit) in names {
        if bits & bit != 0 {
            l.entry(&format_args!("{name}"));
        }
    }
    let unknown = bits & !names.iter().fold(0, |a, (_, b)| a | b);
    if unknown != 0 {
        l.entry(&format_args!("0x{unknown:x}"));
    }
    l.finish()
}
