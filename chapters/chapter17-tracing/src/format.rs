//! The course's log format for `tracing` events, with the spans an event
//! happened in between the level and the message:
//!
//! ```text
//! 0.412 [INFO] request{n=1 path=/delay/400}: got body bytes=4096
//! 0.412 [INFO] - got body bytes=4096
//! ```
//!
//! (the second line is an event outside any span, printed as chapters 1
//! to 9 print theirs).

use std::fmt;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Seconds since start, level, spans from the outermost in, message.
pub struct CourseFormat;

impl<S, N> FormatEvent<S, N> for CourseFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let secs = course::elapsed().as_secs_f64();
        write!(writer, "{secs:.3} [{}] ", event.metadata().level())?;
        // The event's span: where tracing says it happened. Its fields
        // were formatted once, when it was created, and kept with it by the
        // registry. (tracing-subscriber's own format also prints the
        // span's parents, outermost first; this one keeps lines short.)
        let span = ctx.event_scope().and_then(|mut scope| scope.next());
        match span {
            Some(span) => {
                write!(writer, "{}", span.name())?;
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_str(": ")?;
            }
            None => writer.write_str("- ")?,
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
