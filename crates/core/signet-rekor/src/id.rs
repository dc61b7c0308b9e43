use signet_types::Sha256Hash;

use crate::RekorError;

/// RFC 6962 leaf hash of a canonical body: `SHA-256(0x00 || body)`.
pub fn leaf_hash(body: &[u8]) -> Sha256Hash {
    let mut buf = Vec::with_capacity(body.len().saturating_add(1));
    buf.push(0);
    buf.extend_from_slice(body);
    signet_crypto::sha256(&buf)
}

/// Rekor UUID: 64 lower-case hex characters of the leaf hash.
pub fn entry_uuid(body: &[u8]) -> String {
    leaf_hash(body).to_hex()
}

/// Rekor entry ID: 16 hex digits of the tree ID followed by the UUID.
pub fn entry_id(tree_id: u64, uuid: &str) -> String {
    format!("{tree_id:016x}{uuid}")
}

/// A parsed UUID or entry ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRef {
    /// Tree ID, when the string was an 80-character entry ID.
    pub tree_id: Option<u64>,
    /// The leaf hash.
    pub uuid: Sha256Hash,
}

impl EntryRef {
    /// Parses 64 hex characters (UUID) or 80 (tree ID + UUID).
    ///
    /// Only ASCII hex digits are accepted (either case), so no sign, space or multi-byte
    /// character reaches the number parsers; any other string is [`RekorError::BadId`].
    pub fn parse(s: &str) -> Result<Self, RekorError> {
        let bad = || RekorError::BadId(s.chars().take(100).collect());
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        match s.len() {
            64 => Ok(Self {
                tree_id: None,
                uuid: Sha256Hash::from_hex(s).map_err(|_| bad())?,
            }),
            80 => {
                let (tree, uuid) = s.split_at_checked(16).ok_or_else(bad)?;
                Ok(Self {
                    tree_id: Some(u64::from_str_radix(tree, 16).map_err(|_| bad())?),
                    uuid: Sha256Hash::from_hex(uuid).map_err(|_| bad())?,
                })
            }
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "24296fb24b8ad77a7e2d8c7a9e1a6b0a5e7e5d8c9b0a1f2e3d4c5b6a79881726";

    #[test]
    fn valid_uuid_and_entry_id_parse() {
        let r = EntryRef::parse(UUID).unwrap();
        assert_eq!(r.tree_id, None);
        assert_eq!(r.uuid.to_hex(), UUID);
        let id = entry_id(0x1193050959916656, UUID);
        let r = EntryRef::parse(&id).unwrap();
        assert_eq!(r.tree_id, Some(0x1193050959916656));
        assert_eq!(r.uuid.to_hex(), UUID);
        // Upper-case hex is accepted, as before.
        let r = EntryRef::parse(&id.to_uppercase()).unwrap();
        assert_eq!(r.tree_id, Some(0x1193050959916656));
    }

    /// 64- and 80-byte strings with a multi-byte character straddling every byte position,
    /// in particular the tree-ID / UUID boundary at byte 16: an error, never a panic.
    #[test]
    fn multi_byte_characters_at_every_position_are_errors() {
        for ch in ['é', '€', '𝄞'] {
            let w = ch.len_utf8();
            for total in [64usize, 80] {
                for start in 0..=total - w {
                    let s = format!("{}{ch}{}", "a".repeat(start), "b".repeat(total - start - w));
                    assert_eq!(s.len(), total);
                    assert!(
                        matches!(EntryRef::parse(&s), Err(RekorError::BadId(_))),
                        "{s:?} was accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn non_hex_and_wrong_lengths_are_errors() {
        let id = entry_id(7, UUID);
        let mut bad = vec![
            String::new(),
            UUID[..63].to_owned(),
            format!("{UUID}0"),
            id[..79].to_owned(),
            format!("{id}0"),
            // A sign is not a hex digit (Rekor's strconv.ParseUint refuses it too).
            format!("+{}", &id[1..]),
            format!("-{}", &id[1..]),
            format!("+{}", &UUID[1..]),
        ];
        for pos in [0, 15, 16, 17, 63, 79] {
            for c in ['g', 'x', ' ', '\n', '\0'] {
                if pos < 64 {
                    let mut s = UUID.to_owned().into_bytes();
                    s[pos] = c as u8;
                    bad.push(String::from_utf8(s).unwrap());
                }
                let mut s = id.clone().into_bytes();
                s[pos] = c as u8;
                bad.push(String::from_utf8(s).unwrap());
            }
        }
        for s in bad {
            assert!(
                matches!(EntryRef::parse(&s), Err(RekorError::BadId(_))),
                "{s:?} was accepted"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,100}") {
            let _ = EntryRef::parse(&s);
        }

        /// 64- and 80-byte strings of hex digits with one arbitrary character somewhere: only
        /// all-hex strings parse, and nothing panics.
        #[test]
        fn one_odd_character_in_an_id(
            total in proptest::sample::select(vec![64usize, 80]),
            at in proptest::arbitrary::any::<proptest::sample::Index>(),
            c in proptest::char::any(),
        ) {
            let w = c.len_utf8();
            let start = at.index(total - w + 1);
            let s = format!("{}{c}{}", "0".repeat(start), "f".repeat(total - start - w));
            proptest::prop_assert_eq!(s.len(), total);
            proptest::prop_assert_eq!(EntryRef::parse(&s).is_ok(), c.is_ascii_hexdigit());
        }

        /// Every valid ID round-trips.
        #[test]
        fn valid_ids_round_trip(tree in proptest::num::u64::ANY, hash in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let uuid = Sha256Hash(hash).to_hex();
            let r = EntryRef::parse(&entry_id(tree, &uuid)).unwrap();
            proptest::prop_assert_eq!(r, EntryRef { tree_id: Some(tree), uuid: Sha256Hash(hash) });
            proptest::prop_assert_eq!(EntryRef::parse(&uuid).unwrap().tree_id, None);
        }
    }
}
