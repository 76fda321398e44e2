//! The flags of chapter 7: the request chapters' own, `--bytes` and
//! `--sum`.

use clap::{Parser, ValueEnum};
use course::args::RequestArgs;

/// The flags of chapter 7 (join_all and analysis).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: RequestArgs,

    /// One size for every response body, in bytes (default: sizes that
    /// differ from request to request, like real pages).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=mock_server::MAX_BODY_BYTES as u64))]
    pub bytes: Option<u64>,

    /// How to add up the tasks' results.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = SumWith::ForLoop)]
    pub sum: SumWith,
}

/// The two ways chapter 7 adds up the results of `join_all`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumWith {
    /// A plain `for` loop, as in the article.
    ForLoop,
    /// `Iterator::try_fold`, which stops at the first error.
    TryFold,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        let argv = std::iter::once("x")
            .chain(args.iter().copied())
            .map(Into::into);
        course::args::try_parse_with_defaults(
            "chapter7", "about", 10, 1000, argv,
        )
    }

    #[test]
    fn sum_and_bytes_are_read_and_checked() {
        let a = parse(&[]).unwrap();
        assert_eq!(
            (a.common.count(), a.bytes, a.sum),
            (10, None, SumWith::ForLoop)
        );
        let a =
            parse(&["--sum", "try-fold", "--bytes", "100", "--requests", "3"])
                .unwrap();
        assert_eq!(
            (a.common.count(), a.bytes, a.sum),
            (3, Some(100), SumWith::TryFold)
        );
        for bad in [
            &["--sum", "map"][..],
            &["--bytes", "0"],
            &["--bytes", "99999999999"],
        ] {
            let e = parse(bad).expect_err("should be refused");
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }
}
