//! The shape of a chunk tree: its height for a content length, and the target chunk
//! size of each level.
//!
//! Both follow `seccs` 0.0.5 to the bit, floating point included, because the height
//! decides every node's key: a store that rounds differently cannot read the original's
//! contents at lengths near exact powers.

/// Height of the tree for a content of `length` bytes:
/// `max(ceil(ln(n / S) / ln(S / R)), 0)`, or 0 for an empty content, in IEEE double
/// arithmetic with the C library's `log`.
pub(crate) fn default_height(length: u64, chunk_size: u64, digest_size: usize) -> u32 {
    if length == 0 {
        return 0;
    }

    // NOTE: above 2^53 bytes, `length as f64` rounds once before the division, where the
    // reference divides the exact integers; contents that large are out of reach anyway.
    let n_over_s = length as f64 / chunk_size as f64;
    let s_over_r = chunk_size as f64 / digest_size as f64;
    let height = (libm_log(n_over_s) / libm_log(s_over_r)).ceil();
    if height > 0.0 { height as u32 } else { 0 }
}

unsafe extern "C" {
    /// Computes the natural logarithm with the C library's `log`, which the reference
    /// reaches through Python's `math.log`; no other implementation may stand in for it.
    #[link_name = "log"]
    fn c_log(x: f64) -> f64;
}

fn libm_log(x: f64) -> f64 {
    // SAFETY: `log` is a pure C function of one double; it touches no memory but the
    // thread-local `errno`.
    unsafe { c_log(x) }
}

/// Target chunk size of tree level `level`: `trunc(S^(level+1) / R^level)`, where the
/// quotient is the correctly rounded double of the exact rational (as Python's `int / int`).
/// Saturates at `u64::MAX`.
pub(crate) fn default_level_size(level: u32, chunk_size: u64, digest_size: usize) -> u64 {
    let mut numerator = BigUint::from(chunk_size);
    let mut denominator = BigUint::from(1);
    for _ in 0..level {
        numerator.mul_small(chunk_size);
        denominator.mul_small(digest_size as u64);
    }

    let quotient = correctly_rounded_ratio(&numerator, &denominator);
    if quotient >= 18_446_744_073_709_551_616.0 { u64::MAX } else { quotient as u64 }
}

/// Returns `numerator / denominator` rounded to the nearest double, ties to even.
fn correctly_rounded_ratio(numerator: &BigUint, denominator: &BigUint) -> f64 {
    // Scale so that the integer quotient has 55 or 56 significant bits: two or three
    // more than a double's 53, so the rounding bit and a sticky bit are both known.
    let shift = 55 - (numerator.bits() as i64 - denominator.bits() as i64);
    let (mut scaled_numerator, mut scaled_denominator) = (numerator.clone(), denominator.clone());
    if shift > 0 {
        scaled_numerator.shl(shift as usize);
    } else {
        scaled_denominator.shl((-shift) as usize);
    }
    let (quotient, remainder_is_zero) = scaled_numerator.div_small_quotient(&scaled_denominator);

    let quotient_bits = 64 - quotient.leading_zeros();
    let extra = quotient_bits.saturating_sub(53);
    let mut mantissa = quotient >> extra;
    if extra > 0 {
        let dropped = quotient & ((1u64 << extra) - 1);
        let half = 1u64 << (extra - 1);
        let round_up = dropped > half || (dropped == half && (!remainder_is_zero || mantissa & 1 == 1));
        if round_up {
            mantissa += 1;
        }
    }

    // The mantissa has at most 54 bits after rounding up, so the conversion is exact,
    // and scaling by a power of two is exact too.
    mantissa as f64 * 2f64.powi(extra as i32 - shift as i32)
}

/// A minimal unsigned big integer (little-endian 64-bit limbs) for the level sizes:
/// S^(level+1) outgrows 128 bits after a few levels.
#[derive(Clone, Debug)]
struct BigUint {
    limbs: Vec<u64>,
}

impl From<u64> for BigUint {
    fn from(value: u64) -> Self {
        Self { limbs: vec![value] }
    }
}

impl BigUint {
    fn mul_small(&mut self, factor: u64) {
        let mut carry = 0u128;
        for limb in &mut self.limbs {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry > 0 {
            self.limbs.push(carry as u64);
        }
    }

    fn bits(&self) -> usize {
        for (index, &limb) in self.limbs.iter().enumerate().rev() {
            if limb != 0 {
                return index * 64 + (64 - limb.leading_zeros() as usize);
            }
        }
        0
    }

    fn bit(&self, index: usize) -> bool {
        self.limbs.get(index / 64).is_some_and(|limb| limb >> (index % 64) & 1 == 1)
    }

    fn shl(&mut self, count: usize) {
        let (limb_shift, bit_shift) = (count / 64, count % 64);
        let mut shifted = vec![0u64; self.limbs.len() + limb_shift + 1];
        for (index, &limb) in self.limbs.iter().enumerate() {
            shifted[index + limb_shift] |= limb << bit_shift;
            if bit_shift > 0 {
                shifted[index + limb_shift + 1] |= limb >> (64 - bit_shift);
            }
        }
        self.limbs = shifted;
    }

    fn shl1_with(&mut self, low_bit: bool) {
        let mut carry = u64::from(low_bit);
        for limb in &mut self.limbs {
            let next_carry = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next_carry;
        }
        if carry > 0 {
            self.limbs.push(carry);
        }
    }

    fn ge(&self, other: &Self) -> bool {
        let length = self.limbs.len().max(other.limbs.len());
        for index in (0..length).rev() {
            let (a, b) = (self.limbs.get(index).copied().unwrap_or(0), other.limbs.get(index).copied().unwrap_or(0));
            if a != b {
                return a > b;
            }
        }
        true
    }

    fn sub_assign(&mut self, other: &Self) {
        let mut borrow = 0u64;
        for (index, limb) in self.limbs.iter_mut().enumerate() {
            let subtrahend = other.limbs.get(index).copied().unwrap_or(0);
            let (difference, borrow_a) = limb.overflowing_sub(subtrahend);
            let (difference, borrow_b) = difference.overflowing_sub(borrow);
            *limb = difference;
            borrow = u64::from(borrow_a || borrow_b);
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.iter().all(|&limb| limb == 0)
    }

    /// Divides by `divisor` when the quotient is known to fit in 64 bits; returns the
    /// quotient and whether the remainder is zero.
    fn div_small_quotient(&self, divisor: &Self) -> (u64, bool) {
        let mut remainder = BigUint::from(0);
        let mut quotient = 0u64;
        for index in (0..self.bits()).rev() {
            remainder.shl1_with(self.bit(index));
            quotient <<= 1;
            if remainder.ge(divisor) {
                remainder.sub_assign(divisor);
                quotient |= 1;
            }
        }
        (quotient, remainder.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_size_matches_exact_division() {
        assert_eq!(default_level_size(0, 256, 16), 256);
        assert_eq!(default_level_size(1, 256, 16), 4096);
        assert_eq!(default_level_size(2, 256, 16), 65536);
        assert_eq!(default_level_size(1, 1000, 32), 31250);
        assert_eq!(default_level_size(2, 1000, 32), 976_562);
        assert_eq!(default_level_size(3, 100, 3), 3_703_703);
    }

    #[test]
    fn level_size_saturates() {
        assert_eq!(default_level_size(40, 4096, 16), u64::MAX);
    }

    #[test]
    fn ratio_rounds_to_nearest_double() {
        // 2^60 + 1 over 1 is not representable; the nearest double is 2^60.
        let numerator = BigUint::from((1u64 << 60) + 1);
        assert_eq!(correctly_rounded_ratio(&numerator, &BigUint::from(1)), (1u64 << 60) as f64);
        // 1/3 rounds to the same double as the hardware division.
        assert_eq!(correctly_rounded_ratio(&BigUint::from(1), &BigUint::from(3)), 1.0 / 3.0);
        assert_eq!(correctly_rounded_ratio(&BigUint::from(10), &BigUint::from(7)), 10.0 / 7.0);
    }

    #[test]
    fn height_at_powers() {
        assert_eq!(default_height(0, 256, 16), 0);
        assert_eq!(default_height(256, 256, 16), 0);
        assert_eq!(default_height(257, 256, 16), 1);
        assert_eq!(default_height(4096, 256, 16), 1);
        assert_eq!(default_height(4097, 256, 16), 2);
    }
}
