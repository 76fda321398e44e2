//! The bench's sections, one file each, in the order of the table; and
//! what they share: how much to measure ([`Settings`]) and what the runs
//! showed, for the notes under the table ([`Findings`]).

pub(crate) mod bounded;
pub(crate) mod cases;
pub(crate) mod delay_server;
pub(crate) mod fidelity;
pub(crate) mod peer;
pub(crate) mod scale;

/// How much to measure.
pub(crate) struct Settings {
    pub(crate) quick: bool,
    pub(crate) fidelity_rounds: usize,
    pub(crate) scale_rounds: usize,
    pub(crate) scale_ns: Vec<usize>,
    pub(crate) bounded_ks: Vec<Option<usize>>,
    pub(crate) wrk_secs: u64,
}

impl Settings {
    pub(crate) fn new(quick: bool) -> Settings {
        if quick {
            Settings {
                quick,
                fidelity_rounds: 3,
                scale_rounds: 1,
                scale_ns: vec![100, 1000, 10_000],
                bounded_ks: vec![Some(1000), Some(5000), None],
                wrk_secs: 3,
            }
        } else {
            Settings {
                quick,
                fidelity_rounds: 5,
                scale_rounds: 3,
                scale_ns: vec![100, 1000, 10_000],
                bounded_ks: vec![Some(100), Some(1000), Some(5000), None],
                wrk_secs: 10,
            }
        }
    }
}

/// What the runs showed, for the notes under the table.
#[derive(Default)]
pub(crate) struct Findings {
    pub(crate) lines: Vec<String>,
}

impl Findings {
    pub(crate) fn notes(&self) -> Vec<String> {
        self.lines.clone()
    }
}
