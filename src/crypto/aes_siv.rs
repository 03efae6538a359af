//! The `AES_SIV_256` wrappers: deterministic authenticated encryption (RFC 5297).
//!
//! "256" is the key size: RFC 5297 AES-SIV with a 32-byte key, whose first half keys
//! the CMAC (S2V) and second half the CTR encryption, which is AES-128 for each part.
//! The 16-byte synthetic IV is the node's key; the ciphertext is the stored value.
//!
//! The mode is built here on the `aes` block cipher rather than taken from the
//! `aes-siv` crate, because that is faster. The output is the same bit for bit, and
//! the tests compare the two. The wrapper expands both AES keys and derives the CMAC subkeys once, and
//! caches the S2V state after the associated data, which takes only a few values (the
//! height, and the root flag). S2V is a CMAC, a chain of dependent AES calls, so
//! [`CryptoWrapper::wrap_many`] runs the chains of several nodes side by side, which the
//! CPU's AES units pipeline.

use aes::Aes128;
use aes::cipher::consts::U16;
use aes::cipher::typenum::Unsigned;
use aes::cipher::{
    Array, BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser,
    KeyInit, ParBlocks,
};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{
    CryptoWrapper, VerifyError, WrappedNode, WrapperKind, pack_height, pack_height_and_root,
};
use crate::error::Error;

/// Size of an AES-SIV key in bytes.
pub const AES_SIV_KEY_SIZE: usize = 32;

/// Size of an AES block, of the synthetic IV and of a node key.
const BLOCK_SIZE: usize = 16;

/// The key under which the reference stores an empty node, whatever its height.
const EMPTY_NODE_KEY: [u8; BLOCK_SIZE] = [0; BLOCK_SIZE];

/// Heights whose S2V state after the associated data is computed when the wrapper is
/// created. With S ≥ 4R (64 bytes) the default tree of any 64-bit content length is
/// lower; higher nodes get their state computed per call.
const CACHED_HEIGHTS: u32 = 32;

/// Number of nodes whose CMAC chains [`AesSiv256::wrap_many`] interleaves. An AES round
/// instruction takes several cycles, but a new one can start every cycle or so. On the
/// AMD EPYC (AES-NI, VAES) this was measured on, eight chains ran five times as fast as one.
const S2V_LANES: usize = 8;

/// An AES block as one integer. XOR does not depend on byte order, so CMAC chains keep
/// blocks in native byte order; `dbl` and the cached S2V states use big-endian.
type Block = u128;

/// Encrypts nodes with AES-SIV, the height (and with the distinguished-root variant a
/// root flag) as the single associated-data component, and no nonce.
#[derive(Clone)]
pub struct AesSiv256 {
    /// AES-128 under the first key half, for the CMAC of S2V. The `aes` crate wipes
    /// the round keys on drop.
    mac_cipher: Aes128,
    /// AES-128 under the second key half, for CTR encryption.
    ctr_cipher: Aes128,
    /// The CMAC subkeys K1 and K2 of RFC 4493, as bytes.
    subkeys: Zeroizing<[[u8; BLOCK_SIZE]; 2]>,
    /// S2V state after the zero block and the associated data, big-endian, at index
    /// 2·height + root flag for heights below [`CACHED_HEIGHTS`].
    header_states: Zeroizing<Vec<Block>>,
    distinguished_root: bool,
}

/// The CMAC input of S2V for one message: whole blocks taken from the message as they
/// are, then one or two blocks built from its end.
struct S2vInput<'a> {
    body: &'a [u8],
    /// The last one or two CMAC blocks, native byte order, the last one already XOR-ed
    /// with its subkey.
    tail: [Block; 2],
    tail_blocks: usize,
}

impl AesSiv256 {
    /// Creates the wrapper; the key must be exactly 32 bytes.
    pub fn new(key: &[u8], distinguished_root: bool) -> Result<Self, Error> {
        let kind = if distinguished_root {
            WrapperKind::AesSiv256DistinguishedRoot
        } else {
            WrapperKind::AesSiv256
        };
        let key: Zeroizing<[u8; AES_SIV_KEY_SIZE]> =
            Zeroizing::new(key.try_into().map_err(|_| Error::InvalidKeyLength {
                wrapper: kind.name(),
                length: key.len(),
                expected: "exactly 32 bytes",
            })?);
        let (mac_key, ctr_key) = key.split_at(BLOCK_SIZE);
        let mac_cipher = Aes128::new_from_slice(mac_key).expect("the MAC key half is 16 bytes");
        let ctr_cipher = Aes128::new_from_slice(ctr_key).expect("the CTR key half is 16 bytes");

        // RFC 4493: L = AES(K, 0), K1 = dbl(L), K2 = dbl(K1).
        let mut l = Array::<u8, U16>::default();
        mac_cipher.encrypt_block(&mut l);
        let mut k1 = dbl(Block::from_be_bytes(l.0));
        let mut k2 = dbl(k1);
        let subkeys = Zeroizing::new([k1.to_be_bytes(), k2.to_be_bytes()]);
        l.0.zeroize();
        k1.zeroize();
        k2.zeroize();

        let mut wrapper = Self {
            mac_cipher,
            ctr_cipher,
            subkeys,
            header_states: Zeroizing::new(Vec::new()),
            distinguished_root,
        };
        let states = (0..CACHED_HEIGHTS)
            .flat_map(|height| [false, true].map(|is_root| (height, is_root)))
            .map(|(height, is_root)| wrapper.compute_header_state(height, is_root))
            .collect();
        wrapper.header_states = Zeroizing::new(states);
        Ok(wrapper)
    }

    /// Encrypts `buffer` in place with RFC 5297 AES-SIV and the wrapper's associated
    /// data for a node at `height`, and returns the synthetic IV. Unlike
    /// [`CryptoWrapper::wrap`], an empty buffer gets its real SIV, not the 16 zero bytes
    /// the store uses for empty nodes.
    pub fn encrypt_in_place(&self, buffer: &mut [u8], height: u32, is_root: bool) -> [u8; 16] {
        let header = self.header_state(height, is_root);
        let tag = self.s2v(&self.s2v_input(buffer, header));
        self.xor_keystream(tag, buffer);
        tag
    }

    /// Decrypts `buffer` in place with RFC 5297 AES-SIV and checks it against the
    /// synthetic IV `tag`. On failure the buffer is zeroed, so that unverified
    /// plaintext never leaks.
    pub fn decrypt_in_place(
        &self,
        buffer: &mut [u8],
        tag: &[u8; 16],
        height: u32,
        is_root: bool,
    ) -> Result<(), VerifyError> {
        self.xor_keystream(*tag, buffer);
        let header = self.header_state(height, is_root);
        let computed = self.s2v(&self.s2v_input(buffer, header));
        if bool::from(computed.ct_eq(tag)) {
            Ok(())
        } else {
            buffer.zeroize();
            Err(VerifyError::Authenticity)
        }
    }

    fn associated_data(&self, height: u32, is_root: bool) -> ([u8; 5], usize) {
        if self.distinguished_root {
            (pack_height_and_root(height, is_root), 5)
        } else {
            let [a, b, c, d] = pack_height(height);
            ([a, b, c, d, 0], 4)
        }
    }

    /// Returns the S2V state after the zero block and the associated data, big-endian.
    fn header_state(&self, height: u32, is_root: bool) -> Block {
        if height < CACHED_HEIGHTS {
            self.header_states[2 * height as usize + usize::from(is_root)]
        } else {
            self.compute_header_state(height, is_root)
        }
    }

    /// Computes D = dbl(CMAC(K, 0^128)) xor CMAC(K, AD), the S2V state before the
    /// message (RFC 5297, section 2.4).
    fn compute_header_state(&self, height: u32, is_root: bool) -> Block {
        let (ad, ad_len) = self.associated_data(height, is_root);
        let zero = self.cmac(&[0u8; BLOCK_SIZE]);
        dbl(zero) ^ self.cmac(&ad[..ad_len])
    }

    /// Computes the CMAC (RFC 4493) of a short message, returned big-endian. Only used
    /// when the wrapper is created and for uncached heights.
    fn cmac(&self, message: &[u8]) -> Block {
        let blocks = message.len().div_ceil(BLOCK_SIZE).max(1);
        let mut state = Array::<u8, U16>::default();
        for index in 0..blocks {
            let start = (index * BLOCK_SIZE).min(message.len());
            let chunk = &message[start..(start + BLOCK_SIZE).min(message.len())];
            let mut block = [0u8; BLOCK_SIZE];
            block[..chunk.len()].copy_from_slice(chunk);
            if index == blocks - 1 {
                let subkey = if chunk.len() == BLOCK_SIZE {
                    &self.subkeys[0]
                } else {
                    block[chunk.len()] = 0x80;
                    &self.subkeys[1]
                };
                xor_into(&mut block, subkey);
            }
            xor_into(&mut state.0, &block);
            self.mac_cipher.encrypt_block(&mut state);
        }
        Block::from_be_bytes(state.0)
    }

    /// Builds the CMAC input that S2V feeds for `message` after the state `header`
    /// (big-endian): the message with the state XOR-ed into its last 16 bytes, or for a
    /// shorter message dbl(state) XOR the padded message (RFC 5297, section 2.4).
    fn s2v_input<'a>(&self, message: &'a [u8], header: Block) -> S2vInput<'a> {
        let [k1, k2] = *self.subkeys;

        if message.len() < BLOCK_SIZE {
            let mut block = [0u8; BLOCK_SIZE];
            block[..message.len()].copy_from_slice(message);
            block[message.len()] = 0x80;
            xor_into(&mut block, &dbl(header).to_be_bytes());
            // The padded block is a whole CMAC block, so it takes K1.
            xor_into(&mut block, &k1);
            return S2vInput { body: &[], tail: [Block::from_ne_bytes(block), 0], tail_blocks: 1 };
        }

        // The XOR-ed last 16 bytes may straddle two CMAC blocks; everything before the
        // block they start in is used as it is.
        let body_blocks = (message.len() - BLOCK_SIZE) / BLOCK_SIZE;
        let (body, rest) = message.split_at(body_blocks * BLOCK_SIZE);
        let mut tail = [0u8; 2 * BLOCK_SIZE];
        tail[..rest.len()].copy_from_slice(rest);
        let xor_start = rest.len() - BLOCK_SIZE;
        for (byte, header_byte) in tail[xor_start..rest.len()].iter_mut().zip(header.to_be_bytes())
        {
            *byte ^= header_byte;
        }

        let (first, second) = tail.split_at_mut(BLOCK_SIZE);
        let first: &mut [u8; BLOCK_SIZE] = first.try_into().expect("a block");
        let second: &mut [u8; BLOCK_SIZE] = second.try_into().expect("a block");
        if rest.len() == BLOCK_SIZE {
            xor_into(first, &k1);
            S2vInput { body, tail: [Block::from_ne_bytes(*first), 0], tail_blocks: 1 }
        } else {
            second[rest.len() - BLOCK_SIZE] = 0x80;
            xor_into(second, &k2);
            S2vInput {
                body,
                tail: [Block::from_ne_bytes(*first), Block::from_ne_bytes(*second)],
                tail_blocks: 2,
            }
        }
    }

    /// Runs the final CMAC of S2V over one message and returns the synthetic IV.
    fn s2v(&self, input: &S2vInput<'_>) -> [u8; 16] {
        let mut tag = [0u8; BLOCK_SIZE];
        self.mac_cipher.encrypt_with_backend(CmacChain { input, tag: &mut tag });
        tag
    }

    /// XORs `data` with the CTR keystream that starts at the synthetic IV `tag`.
    fn xor_keystream(&self, tag: [u8; 16], data: &mut [u8]) {
        let counter = ctr_initial_counter(tag);
        self.ctr_cipher.encrypt_with_backend(CtrKeystream { counter, data });
    }

    fn wrap_with_tag(&self, value: &[u8], tag: [u8; 16]) -> WrappedNode {
        let mut ciphertext = value.to_vec();
        self.xor_keystream(tag, &mut ciphertext);
        WrappedNode { value: ciphertext, key: tag.to_vec() }
    }
}

impl fmt::Debug for AesSiv256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesSiv256")
            .field("key", &"<redacted>")
            .field("distinguished_root", &self.distinguished_root)
            .finish()
    }
}

impl CryptoWrapper for AesSiv256 {
    fn kind(&self) -> WrapperKind {
        if self.distinguished_root {
            WrapperKind::AesSiv256DistinguishedRoot
        } else {
            WrapperKind::AesSiv256
        }
    }

    fn wrap(&self, value: &[u8], height: u32, is_root: bool) -> WrappedNode {
        if value.is_empty() {
            return WrappedNode { value: Vec::new(), key: EMPTY_NODE_KEY.to_vec() };
        }

        let header = self.header_state(height, is_root);
        let tag = self.s2v(&self.s2v_input(value, header));
        self.wrap_with_tag(value, tag)
    }

    fn wrap_many(&self, values: &[&[u8]], height: u32, is_root: bool) -> Vec<WrappedNode> {
        let header = self.header_state(height, is_root);
        let inputs: Vec<S2vInput<'_>> =
            values.iter().map(|value| self.s2v_input(value, header)).collect();
        let mut tags = vec![[0u8; BLOCK_SIZE]; values.len()];
        self.mac_cipher.encrypt_with_backend(CmacChains { inputs: &inputs, tags: &mut tags });

        values
            .iter()
            .zip(tags)
            .map(|(value, tag)| {
                if value.is_empty() {
                    WrappedNode { value: Vec::new(), key: EMPTY_NODE_KEY.to_vec() }
                } else {
                    self.wrap_with_tag(value, tag)
                }
            })
            .collect()
    }

    fn unwrap(
        &self,
        stored: &[u8],
        key: &[u8],
        height: u32,
        is_root: bool,
    ) -> Result<Vec<u8>, VerifyError> {
        if key == EMPTY_NODE_KEY {
            return if stored.is_empty() { Ok(Vec::new()) } else { Err(VerifyError::Authenticity) };
        }

        let tag: [u8; 16] = key.try_into().map_err(|_| VerifyError::Authenticity)?;
        let mut plaintext = stored.to_vec();
        self.decrypt_in_place(&mut plaintext, &tag, height, is_root)?;
        Ok(plaintext)
    }

    fn unwrap_many(
        &self,
        nodes: &[(&[u8], &[u8])],
        height: u32,
        is_root: bool,
    ) -> Vec<Result<Vec<u8>, VerifyError>> {
        // Decrypt every node with its claimed tag, then recompute all the tags at once.
        let mut plaintexts: Vec<Result<Vec<u8>, VerifyError>> = nodes
            .iter()
            .map(|&(stored, key)| {
                let tag: [u8; 16] = key.try_into().map_err(|_| VerifyError::Authenticity)?;
                let mut plaintext = stored.to_vec();
                if key != EMPTY_NODE_KEY {
                    self.xor_keystream(tag, &mut plaintext);
                }
                Ok(plaintext)
            })
            .collect();

        let header = self.header_state(height, is_root);
        let checked: Vec<usize> = (0..nodes.len())
            .filter(|&index| plaintexts[index].is_ok() && nodes[index].1 != EMPTY_NODE_KEY)
            .collect();
        let inputs: Vec<S2vInput<'_>> = checked
            .iter()
            .map(|&index| {
                let plaintext = plaintexts[index].as_deref().expect("decrypted above");
                self.s2v_input(plaintext, header)
            })
            .collect();
        let mut tags = vec![[0u8; BLOCK_SIZE]; inputs.len()];
        self.mac_cipher.encrypt_with_backend(CmacChains { inputs: &inputs, tags: &mut tags });
        drop(inputs);

        for (&index, computed) in checked.iter().zip(&tags) {
            if !bool::from(computed.ct_eq(nodes[index].1)) {
                if let Ok(plaintext) = &mut plaintexts[index] {
                    plaintext.zeroize();
                }
                plaintexts[index] = Err(VerifyError::Authenticity);
            }
        }
        // The empty node: stored under 16 zero bytes with an empty value.
        for (result, &(stored, key)) in plaintexts.iter_mut().zip(nodes) {
            if key == EMPTY_NODE_KEY && !stored.is_empty() {
                *result = Err(VerifyError::Authenticity);
            }
        }
        plaintexts
    }

    /// Compares ciphertexts: CTR decryption under one IV is a bijection, so `stored`
    /// decrypts to `value` exactly when it equals `value`'s ciphertext, which verifies.
    fn stored_matches(
        &self,
        stored: &[u8],
        wrapped: &WrappedNode,
        _value: &[u8],
        _height: u32,
        _is_root: bool,
    ) -> bool {
        stored == wrapped.value.as_slice()
    }
}

/// XORs data with the CTR keystream inside one call to the block cipher: whole groups
/// of the backend's parallel block count at once, then the rest block by block (the
/// blocks are independent, so the CPU still overlaps them).
struct CtrKeystream<'a> {
    /// The next counter block, big-endian.
    counter: u128,
    data: &'a mut [u8],
}

impl BlockSizeUser for CtrKeystream<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for CtrKeystream<'_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut counter = self.counter;
        let group_size = B::ParBlocksSize::USIZE * BLOCK_SIZE;
        let mut groups = self.data.chunks_exact_mut(group_size);

        for group in &mut groups {
            let mut keystream = ParBlocks::<B>::default();
            fill_counters(&mut keystream, &mut counter);
            backend.encrypt_par_blocks_inplace(&mut keystream);
            for (chunk, key_block) in group.chunks_exact_mut(BLOCK_SIZE).zip(keystream.iter()) {
                xor_block(chunk.try_into().expect("a whole block"), &key_block.0);
            }
        }

        for chunk in groups.into_remainder().chunks_mut(BLOCK_SIZE) {
            let mut key_block = Array(counter.to_be_bytes());
            counter = counter.wrapping_add(1);
            backend.encrypt_block_inplace(&mut key_block);
            match <&mut [u8; BLOCK_SIZE]>::try_from(&mut *chunk) {
                Ok(whole) => xor_block(whole, &key_block.0),
                Err(_) => xor_into(chunk, &key_block.0),
            }
        }
    }
}

/// Runs the CMAC chain of one S2V input inside one call to the block cipher, so that
/// the round keys stay in registers.
struct CmacChain<'a, 'b> {
    input: &'a S2vInput<'b>,
    tag: &'a mut [u8; BLOCK_SIZE],
}

impl BlockSizeUser for CmacChain<'_, '_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for CmacChain<'_, '_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut state = Array::<u8, U16>::default();
        for chunk in self.input.body.chunks_exact(BLOCK_SIZE) {
            xor_block(&mut state.0, chunk.try_into().expect("a whole block"));
            backend.encrypt_block_inplace(&mut state);
        }
        for block in &self.input.tail[..self.input.tail_blocks] {
            xor_into(&mut state.0, &block.to_ne_bytes());
            backend.encrypt_block_inplace(&mut state);
        }
        *self.tag = state.0;
    }
}

/// Runs the CMAC chains of several S2V inputs, [`S2V_LANES`] at a time, inside one
/// call to the block cipher so that the round keys stay in registers.
struct CmacChains<'a, 'b> {
    inputs: &'a [S2vInput<'b>],
    tags: &'a mut [[u8; BLOCK_SIZE]],
}

/// The chain of one input in progress: the blocks left and the CBC-MAC state.
#[derive(Clone, Copy)]
struct Lane<'b> {
    input: usize,
    body: &'b [u8],
    tail: [Block; 2],
    tail_left: usize,
    state: Block,
}

impl<'b> Lane<'b> {
    const IDLE: Lane<'static> =
        Lane { input: usize::MAX, body: &[], tail: [0; 2], tail_left: 0, state: 0 };

    fn start(index: usize, input: &S2vInput<'b>) -> Self {
        Lane {
            input: index,
            body: input.body,
            tail: input.tail,
            tail_left: input.tail_blocks,
            state: 0,
        }
    }

    fn is_busy(&self) -> bool {
        !self.body.is_empty() || self.tail_left > 0
    }

    /// Takes the next CMAC block; an idle lane yields zeros, encrypted and discarded.
    fn next_block(&mut self) -> Block {
        if let Some((block, rest)) = self.body.split_first_chunk::<BLOCK_SIZE>() {
            self.body = rest;
            Block::from_ne_bytes(*block)
        } else if self.tail_left > 0 {
            self.tail_left -= 1;
            let [first, second] = self.tail;
            self.tail = [second, 0];
            first
        } else {
            0
        }
    }
}

impl BlockSizeUser for CmacChains<'_, '_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for CmacChains<'_, '_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut lanes = [Lane::IDLE; S2V_LANES];
        let mut next_input = 0;

        loop {
            // Give every idle lane the next input, after saving the tag it finished.
            let mut busy = 0;
            for lane in &mut lanes {
                if !lane.is_busy() {
                    if lane.input != usize::MAX {
                        self.tags[lane.input] = lane.state.to_ne_bytes();
                    }
                    *lane = match self.inputs.get(next_input) {
                        Some(input) => Lane::start(next_input, input),
                        None => Lane::IDLE,
                    };
                    next_input += 1;
                }
                busy += usize::from(lane.is_busy());
            }
            if busy == 0 {
                break;
            }

            // One CBC-MAC step per lane. The lanes' AES calls do not depend on each
            // other, so the CPU overlaps them.
            for lane in &mut lanes {
                let mut block = Array((lane.state ^ lane.next_block()).to_ne_bytes());
                backend.encrypt_block_inplace(&mut block);
                lane.state = Block::from_ne_bytes(block.0);
            }
        }
    }
}

/// Doubles a block in GF(2^128) as RFC 5297 defines `dbl`: shift left by one bit and,
/// if a bit fell off, XOR 0x87 into the last byte. Branch-free, as the block is secret.
fn dbl(block: Block) -> Block {
    let carry = (block >> 127).wrapping_neg() & 0x87;
    (block << 1) ^ carry
}

/// Returns the first CTR counter block: the synthetic IV with the top bit of each of
/// its last two 32-bit words cleared (RFC 5297, section 2.5), big-endian.
fn ctr_initial_counter(tag: [u8; 16]) -> u128 {
    let mut iv = tag;
    iv[8] &= 0x7f;
    iv[12] &= 0x7f;
    u128::from_be_bytes(iv)
}

/// Fills `blocks` with consecutive big-endian counter values (the counter wraps modulo
/// 2^128, as in RFC 5297).
fn fill_counters(blocks: &mut [Array<u8, U16>], counter: &mut u128) {
    for block in blocks {
        block.0 = counter.to_be_bytes();
        *counter = counter.wrapping_add(1);
    }
}

/// XORs `source` into `target`, one 16-byte word at a time.
fn xor_block(target: &mut [u8; BLOCK_SIZE], source: &[u8; BLOCK_SIZE]) {
    let word = u128::from_ne_bytes(*target) ^ u128::from_ne_bytes(*source);
    *target = word.to_ne_bytes();
}

/// XORs `source` into `target` byte by byte, over the shorter of the two.
fn xor_into(target: &mut [u8], source: &[u8]) {
    for (byte, other) in target.iter_mut().zip(source) {
        *byte ^= other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::random_bytes;
    use aes_siv::siv::Aes128Siv;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
            .collect()
    }


    /// Encrypts with the `aes-siv` crate and the wrapper's associated data.
    fn crate_encrypt(key: &[u8], ad: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut cipher = Aes128Siv::new(key.try_into().unwrap());
        let mut buffer = plaintext.to_vec();
        let tag = cipher.encrypt_inout_detached([ad], buffer.as_mut_slice().into()).unwrap();
        (tag.to_vec(), buffer)
    }

    #[test]
    fn s2v_and_ctr_match_rfc_5297_vector() {
        // RFC 5297, appendix A.1 (deterministic authenticated encryption).
        let key = hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let ad = hex("101112131415161718191a1b1c1d1e1f2021222324252627");
        let plaintext = hex("112233445566778899aabbccddee");
        let wrapper = AesSiv256::new(&key, false).unwrap();

        let header = dbl(wrapper.cmac(&[0u8; 16])) ^ wrapper.cmac(&ad);
        let tag = wrapper.s2v(&wrapper.s2v_input(&plaintext, header));
        let mut ciphertext = plaintext.clone();
        wrapper.xor_keystream(tag, &mut ciphertext);

        assert_eq!(tag.to_vec(), hex("85632d07c6e8f37f950acd320a2ecc93"));
        assert_eq!(ciphertext, hex("40c02b9690c4dc04daef7f6afe5c"));
    }

    #[test]
    fn wrap_matches_aes_siv_crate() {
        for distinguished_root in [false, true] {
            for seed in 0..4u64 {
                let key = random_bytes(seed, 32);
                let wrapper = AesSiv256::new(&key, distinguished_root).unwrap();
                // Lengths around block multiples, and heights on both sides of the cache.
                let lengths = (1..70).chain([255, 256, 257, 4095, 4096, 4097, 70_001]);
                for (index, length) in lengths.enumerate() {
                    let height = [0, 1, 5, CACHED_HEIGHTS - 1, CACHED_HEIGHTS, 1000][index % 6];
                    let is_root = index % 2 == 0;
                    let value = random_bytes(seed * 1000 + length as u64, length);
                    let (ad, ad_len) = wrapper.associated_data(height, is_root);
                    let (tag, ciphertext) = crate_encrypt(&key, &ad[..ad_len], &value);

                    let wrapped = wrapper.wrap(&value, height, is_root);
                    assert_eq!(wrapped.key, tag, "key for length {length}, height {height}");
                    assert_eq!(wrapped.value, ciphertext, "value for length {length}");

                    let mut buffer = value.clone();
                    let in_place_tag = wrapper.encrypt_in_place(&mut buffer, height, is_root);
                    assert_eq!(in_place_tag.to_vec(), tag, "in-place tag for length {length}");
                    assert_eq!(buffer, ciphertext, "in-place ciphertext for length {length}");
                }
            }
        }
    }

    #[test]
    fn wrap_of_empty_node_uses_zero_key() {
        let wrapper = AesSiv256::new(&[3; 32], false).unwrap();
        let wrapped = wrapper.wrap(&[], 2, false);
        assert_eq!(wrapped.key, vec![0u8; 16]);
        assert!(wrapped.value.is_empty());
        assert_eq!(wrapper.unwrap(&[], &[0; 16], 7, true), Ok(Vec::new()));
        assert_eq!(wrapper.unwrap(&[1], &[0; 16], 0, false), Err(VerifyError::Authenticity));
    }

    #[test]
    fn wrap_many_matches_wrap() {
        let wrapper = AesSiv256::new(&random_bytes(9, 32), true).unwrap();
        for count in [0, 1, 2, 7, 8, 9, 17, 40] {
            let values: Vec<Vec<u8>> = (0..count)
                .map(|index| {
                    // Mixed lengths, so that lanes finish at different rounds.
                    let length = [0, 1, 15, 16, 17, 31, 32, 33, 300, 4096, 5000][index % 11];
                    random_bytes(count as u64 * 100 + index as u64, length)
                })
                .collect();
            let slices: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            for height in [0, 3] {
                let expected: Vec<WrappedNode> =
                    slices.iter().map(|value| wrapper.wrap(value, height, false)).collect();
                assert_eq!(wrapper.wrap_many(&slices, height, false), expected, "{count} values");
            }
        }
    }

    #[test]
    fn unwrap_returns_the_node_and_rejects_tampering() {
        let wrapper = AesSiv256::new(&random_bytes(4, 32), false).unwrap();
        for length in [1, 15, 16, 17, 100, 4096] {
            let value = random_bytes(length as u64, length);
            let wrapped = wrapper.wrap(&value, 1, false);
            assert_eq!(wrapper.unwrap(&wrapped.value, &wrapped.key, 1, false), Ok(value.clone()));

            let mut altered = wrapped.value.clone();
            altered[length / 2] ^= 1;
            assert_eq!(
                wrapper.unwrap(&altered, &wrapped.key, 1, false),
                Err(VerifyError::Authenticity),
                "altered byte, length {length}"
            );
            assert_eq!(
                wrapper.unwrap(&wrapped.value, &wrapped.key, 2, false),
                Err(VerifyError::Authenticity),
                "wrong height, length {length}"
            );
            let mut wrong_key = wrapped.key.clone();
            wrong_key[15] ^= 0x80;
            assert_eq!(
                wrapper.unwrap(&wrapped.value, &wrong_key, 1, false),
                Err(VerifyError::Authenticity),
                "altered tag, length {length}"
            );

            let mut buffer = wrapped.value.clone();
            let tag: [u8; 16] = wrapped.key.as_slice().try_into().unwrap();
            assert_eq!(wrapper.decrypt_in_place(&mut buffer, &tag, 1, false), Ok(()));
            assert_eq!(buffer, value);
            let mut buffer = altered.clone();
            assert_eq!(
                wrapper.decrypt_in_place(&mut buffer, &tag, 1, false),
                Err(VerifyError::Authenticity)
            );
            assert!(buffer.iter().all(|&byte| byte == 0), "failed decryption leaves zeros");
        }
    }

    #[test]
    fn unwrap_many_matches_unwrap() {
        let wrapper = AesSiv256::new(&random_bytes(6, 32), true).unwrap();
        let values: Vec<Vec<u8>> = (0..30)
            .map(|index| random_bytes(index, [1, 15, 16, 17, 256, 4097][index as usize % 6]))
            .collect();
        let wrapped: Vec<WrappedNode> =
            values.iter().map(|value| wrapper.wrap(value, 0, true)).collect();
        let mut stored: Vec<Vec<u8>> = wrapped.iter().map(|node| node.value.clone()).collect();
        stored[4][0] ^= 1;
        stored[11].clear();
        let mut keys: Vec<Vec<u8>> = wrapped.iter().map(|node| node.key.clone()).collect();
        keys[7][3] ^= 8;
        keys[9].truncate(15);
        keys[12] = EMPTY_NODE_KEY.to_vec();
        stored.push(Vec::new());
        keys.push(EMPTY_NODE_KEY.to_vec());
        let nodes: Vec<(&[u8], &[u8])> = stored
            .iter()
            .zip(&keys)
            .map(|(value, key)| (value.as_slice(), key.as_slice()))
            .collect();

        let results = wrapper.unwrap_many(&nodes, 0, true);
        for (index, (&(value, key), result)) in nodes.iter().zip(&results).enumerate() {
            assert_eq!(result, &wrapper.unwrap(value, key, 0, true), "node {index}");
        }
        let failed: Vec<usize> =
            (0..results.len()).filter(|&index| results[index].is_err()).collect();
        assert_eq!(failed, vec![4, 7, 9, 11, 12]);
        assert_eq!(results[30], Ok(Vec::new()));
    }

    #[test]
    fn stored_matches_agrees_with_unwrap() {
        let wrapper = AesSiv256::new(&random_bytes(5, 32), false).unwrap();
        let value = random_bytes(1, 300);
        let wrapped = wrapper.wrap(&value, 0, false);
        let mut altered = wrapped.value.clone();
        altered[0] ^= 4;
        for stored in [wrapped.value.clone(), altered, Vec::new(), wrapped.value[..299].to_vec()] {
            let by_unwrap =
                wrapper.unwrap(&stored, &wrapped.key, 0, false).is_ok_and(|node| node == value);
            assert_eq!(wrapper.stored_matches(&stored, &wrapped, &value, 0, false), by_unwrap);
        }
    }

    #[test]
    fn ctr_counter_clears_bits_and_wraps() {
        // RFC 5297 clears the top bit of the IV's last two 32-bit words, and the
        // counter is a 128-bit big-endian integer that wraps.
        let counter = ctr_initial_counter([0xff; 16]);
        assert_eq!(counter, !(1u128 << 63) & !(1u128 << 31));

        let mut blocks = [Array::<u8, U16>::default(); 2];
        let mut next = u128::MAX;
        fill_counters(&mut blocks, &mut next);
        assert_eq!(blocks[0].0, [0xff; 16]);
        assert_eq!(blocks[1].0, [0; 16]);
        assert_eq!(next, 1);
    }
}
