//! A node's place in a cluster history: `uuid:seqno`, with the optional `,domain-server-seq`
//! GTID that `--wsrep-recover` prints when `wsrep_gtid_mode` is on.
//!
//! Seqnos count write sets *of one history* (the cluster state UUID); two seqnos of different
//! histories say nothing about which node has more data. So [`Position`] has no `PartialOrd`:
//! the only comparison is [`Position::compare`], whose answer names the cases where there is
//! no order ([`Comparison::DifferentHistory`], [`Comparison::Unknown`]).

use std::fmt;
use std::str::FromStr;

/// Galera's "undefined" seqno (`WSREP_SEQNO_UNDEFINED`), written while a node runs, after a
/// crash and after an aborted start.
pub const SEQNO_UNDEFINED: i64 = -1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("not a cluster UUID: {0:?}")]
    BadUuid(String),
    #[error("not a seqno: {0:?}")]
    BadSeqno(String),
    #[error("not a GTID (domain-server-seq): {0:?}")]
    BadGtid(String),
    #[error("not a position (uuid:seqno): {0:?}")]
    BadPosition(String),
}

/// A cluster state (history) UUID. The nil UUID `00000000-…` is what Galera writes when it
/// does not know the state (fresh node, state transfer requested, joiner refused).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterUuid([u8; 16]);

impl ClusterUuid {
    pub const NIL: ClusterUuid = ClusterUuid([0; 16]);

    pub fn from_bytes(bytes: [u8; 16]) -> ClusterUuid {
        ClusterUuid(bytes)
    }

    pub fn is_nil(&self) -> bool {
        self.0 == [0; 16]
    }

    /// The canonical 8-4-4-4-12 form, case-insensitive.
    pub fn parse(text: &str) -> Result<ClusterUuid, PositionError> {
        let bad = || PositionError::BadUuid(text.chars().take(64).collect());
        let t = text.trim();
        let groups: Vec<&str> = t.split('-').collect();
        if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let hex: String = groups.concat();
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(ClusterUuid(out))
    }
}

impl fmt::Display for ClusterUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClusterUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClusterUuid({self})")
    }
}

impl FromStr for ClusterUuid {
    type Err = PositionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClusterUuid::parse(s)
    }
}

/// MariaDB's GTID `domain-server-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

impl FromStr for Gtid {
    type Err = PositionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PositionError::BadGtid(s.chars().take(64).collect());
        let mut parts = s.trim().split('-');
        let (Some(d), Some(sv), Some(q), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let num = |p: &str| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty();
        if !(num(d) && num(sv) && num(q)) {
            return Err(bad());
        }
        Ok(Gtid {
            domain: d.parse().map_err(|_| bad())?,
            server: sv.parse().map_err(|_| bad())?,
            seq: q.parse().map_err(|_| bad())?,
        })
    }
}

/// `uuid:seqno[,gtid]` as Galera and `--wsrep-recover` print it. The seqno may be
/// [`SEQNO_UNDEFINED`]; [`Position::is_known`] tells whether it names a real point in a real
/// history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    uuid: ClusterUuid,
    seqno: i64,
    gtid: Option<Gtid>,
}

/// How one position relates to another. There is deliberately no `Ord` for positions: this is
/// the only way to compare them, and it forces the caller to handle the cases without order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Same history, `self` has `by` fewer write sets.
    Behind { by: u64 },
    /// Same history, same seqno.
    Equal,
    /// Same history, `self` has `by` more write sets.
    Ahead { by: u64 },
    /// Both known, but of different histories: seqnos are not comparable.
    DifferentHistory,
    /// At least one side has no known position (nil UUID or seqno -1).
    Unknown,
}

impl Position {
    /// A position; the seqno must be ≥ -1 (Galera's range).
    pub fn new(uuid: ClusterUuid, seqno: i64) -> Result<Position, PositionError> {
        if seqno < SEQNO_UNDEFINED {
            return Err(PositionError::BadSeqno(seqno.to_string()));
        }
        Ok(Position {
            uuid,
            seqno,
            gtid: None,
        })
    }

    pub fn with_gtid(mut self, gtid: Option<Gtid>) -> Position {
        self.gtid = gtid;
        self
    }

    /// Parses `uuid:seqno` or `uuid:seqno,domain-server-seq`.
    pub fn parse(text: &str) -> Result<Position, PositionError> {
        let t = text.trim();
        let (main, gtid) = match t.split_once(',') {
            Some((m, g)) => (m, Some(g.parse::<Gtid>()?)),
            None => (t, None),
        };
        let (uuid, seqno) = main
            .rsplit_once(':')
            .ok_or_else(|| PositionError::BadPosition(t.chars().take(80).collect()))?;
        let seqno_text = seqno.trim();
        let valid = !seqno_text.is_empty()
            && seqno_text
                .strip_prefix('-')
                .unwrap_or(seqno_text)
                .bytes()
                .all(|b| b.is_ascii_digit());
        let seqno: i64 = valid
            .then(|| seqno_text.parse().ok())
            .flatten()
            .ok_or_else(|| PositionError::BadSeqno(seqno_text.chars().take(32).collect()))?;
        Ok(Position::new(ClusterUuid::parse(uuid)?, seqno)?.with_gtid(gtid))
    }

    pub fn uuid(&self) -> ClusterUuid {
        self.uuid
    }

    /// The raw seqno, -1 when undefined.
    pub fn raw_seqno(&self) -> i64 {
        self.seqno
    }

    /// The seqno when it is defined.
    pub fn seqno(&self) -> Option<u64> {
        u64::try_from(self.seqno).ok()
    }

    pub fn gtid(&self) -> Option<Gtid> {
        self.gtid
    }

    /// A real point in a real history: UUID not nil and seqno ≥ 0.
    pub fn is_known(&self) -> bool {
        !self.uuid.is_nil() && self.seqno >= 0
    }

    pub fn compare(&self, other: &Position) -> Comparison {
        let (Some(a), Some(b)) = (
            self.seqno().filter(|_| !self.uuid.is_nil()),
            other.seqno().filter(|_| !other.uuid.is_nil()),
        ) else {
            return Comparison::Unknown;
        };
        if self.uuid != other.uuid {
            return Comparison::DifferentHistory;
        }
        match a.cmp(&b) {
            std::cmp::Ordering::Less => Comparison::Behind { by: b - a },
            std::cmp::Ordering::Equal => Comparison::Equal,
            std::cmp::Ordering::Greater => Comparison::Ahead { by: a - b },
        }
    }

    /// `uuid:seqno` without the GTID: what `--wsrep-start-position` takes.
    pub fn start_position(&self) -> String {
        format!("{}:{}", self.uuid, self.seqno)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uuid, self.seqno)?;
        if let Some(g) = self.gtid {
            write!(f, ",{g}")?;
        }
        Ok(())
    }
}

impl FromStr for Position {
    type Err = PositionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Position::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U1: &str = "726d00b4-edd5-11f1-9512-47940ce49375";
    const U2: &str = "9a0c7e52-edd6-11f1-8000-0242ac120002";

    fn p(s: &str) -> Position {
        Position::parse(s).unwrap()
    }

    #[test]
    fn uuids_round_trip_and_reject_garbage() {
        let u = ClusterUuid::parse(U1).unwrap();
        assert_eq!(u.to_string(), U1);
        assert_eq!(ClusterUuid::parse(&U1.to_uppercase()).unwrap(), u);
        assert!(!u.is_nil());
        let nil = ClusterUuid::parse("00000000-0000-0000-0000-000000000000").unwrap();
        assert!(nil.is_nil());
        assert_eq!(nil, ClusterUuid::NIL);
        for bad in [
            "",
            "726d00b4edd511f1951247940ce49375",
            "726d00b4-edd5-11f1-9512-47940ce4937",
            "726d00b4-edd5-11f1-9512-47940ce493755",
            "726d00b4-edd5-11f1-9512-47940ce4937g",
            "726d00b4-edd5-11f1-951-247940ce49375",
            "+26d00b4-edd5-11f1-9512-47940ce49375",
        ] {
            assert!(ClusterUuid::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_parse_as_galera_prints_them() {
        let a = p(&format!("{U1}:20"));
        assert_eq!((a.seqno(), a.raw_seqno(), a.gtid()), (Some(20), 20, None));
        assert!(a.is_known());
        assert_eq!(a.to_string(), format!("{U1}:20"));
        // --wsrep-recover with wsrep_gtid_mode=ON (observed: "…:52,0-1-39")
        let g = p(&format!("{U1}:52,0-1-39"));
        assert_eq!(
            g.gtid(),
            Some(Gtid {
                domain: 0,
                server: 1,
                seq: 39
            })
        );
        assert_eq!(g.to_string(), format!("{U1}:52,0-1-39"));
        assert_eq!(g.start_position(), format!("{U1}:52"));
        let u = p(&format!("{U1}:-1"));
        assert_eq!(u.seqno(), None);
        assert!(!u.is_known());
        assert!(!p("00000000-0000-0000-0000-000000000000:5").is_known());
        for bad in [
            U1.to_string(),
            format!("{U1}:"),
            format!("{U1}:-2"),
            format!("{U1}:+3"),
            format!("{U1}:3x"),
            format!("{U1}:3,0-1"),
            format!("{U1}:3,a-b-c"),
            format!("{U1}:99999999999999999999"),
            "x:1".to_string(),
        ] {
            assert!(Position::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seqnos_compare_only_within_one_history() {
        let a = p(&format!("{U1}:20"));
        assert_eq!(
            a.compare(&p(&format!("{U1}:18"))),
            Comparison::Ahead { by: 2 }
        );
        assert_eq!(
            a.compare(&p(&format!("{U1}:25"))),
            Comparison::Behind { by: 5 }
        );
        assert_eq!(a.compare(&p(&format!("{U1}:20,0-1-3"))), Comparison::Equal);
        // A higher seqno of another history is not "ahead".
        assert_eq!(
            a.compare(&p(&format!("{U2}:9999"))),
            Comparison::DifferentHistory
        );
        assert_eq!(a.compare(&p(&format!("{U1}:-1"))), Comparison::Unknown);
        assert_eq!(
            p("00000000-0000-0000-0000-000000000000:30").compare(&a),
            Comparison::Unknown
        );
    }
}
