//! The entries-over-time chart of `/ui/`: an SVG drawn on the server from growth samples
//! (integrated time, entries so far), no script or library.

use maud::{Markup, html};

const W: i64 = 640;
const H: i64 = 200;
const PAD_L: i64 = 56;
const PAD_B: i64 = 28;
const PAD_T: i64 = 10;
const PAD_R: i64 = 12;

/// Formats Unix seconds as `YYYY-MM-DD HH:MM UTC` (the number itself when out of range).
pub fn date(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

fn scale(v: i64, lo: i64, hi: i64, out_lo: i64, out_hi: i64) -> i64 {
    let span = hi.saturating_sub(lo).max(1);
    let out = out_hi.saturating_sub(out_lo);
    let off = i128::from(v.saturating_sub(lo))
        .saturating_mul(i128::from(out))
        .checked_div(i128::from(span))
        .unwrap_or(0);
    out_lo.saturating_add(i64::try_from(off).unwrap_or(0))
}

/// The polyline points `x,y …` of `growth` in the plot area.
pub fn points(growth: &[(i64, u64)]) -> String {
    let (Some(first), Some(last)) = (growth.first(), growth.last()) else {
        return String::new();
    };
    let max = i64::try_from(growth.iter().map(|g| g.1).max().unwrap_or(1)).unwrap_or(i64::MAX);
    growth
        .iter()
        .map(|(t, n)| {
            let x = if last.0 == first.0 {
                W.saturating_sub(PAD_R)
            } else {
                scale(*t, first.0, last.0, PAD_L, W.saturating_sub(PAD_R))
            };
            let y = scale(
                i64::try_from(*n).unwrap_or(i64::MAX),
                0,
                max,
                H.saturating_sub(PAD_B),
                PAD_T,
            );
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart, with a text alternative.
pub fn svg(growth: &[(i64, u64)]) -> Markup {
    let (Some(first), Some(last)) = (growth.first(), growth.last()) else {
        return html! { p { "No entries yet." } };
    };
    let desc = format!(
        "{} entries from {} to {}",
        last.1,
        date(first.0),
        date(last.0)
    );
    let base = H.saturating_sub(PAD_B);
    html! {
        svg class="chart" role="img" aria-labelledby="chart-title chart-desc"
            viewBox=(format!("0 0 {W} {H}")) xmlns="http://www.w3.org/2000/svg" {
            title id="chart-title" { "Entries over time" }
            desc id="chart-desc" { (desc) }
            line class="axis" x1=(PAD_L) y1=(base) x2=(W.saturating_sub(PAD_R)) y2=(base) {}
            line class="axis" x1=(PAD_L) y1=(PAD_T) x2=(PAD_L) y2=(base) {}
            text class="label" x=(PAD_L.saturating_sub(6)) y=(PAD_T.saturating_add(10)) text-anchor="end" { (last.1) }
            text class="label" x=(PAD_L.saturating_sub(6)) y=(base) text-anchor="end" { "0" }
            text class="label" x=(PAD_L) y=(H.saturating_sub(8)) { (date(first.0)) }
            text class="label" x=(W.saturating_sub(PAD_R)) y=(H.saturating_sub(8)) text-anchor="end" { (date(last.0)) }
            polyline class="growth" points=(points(growth)) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_span_the_plot() {
        let p = points(&[(100, 1), (200, 5), (300, 10)]);
        // x: 56 + 100·572/200; y: 172 − n·162/10 (integer division toward zero).
        assert_eq!(p, "56,156 342,91 628,10");
        assert_eq!(points(&[]), "");
        // One sample (or one instant): a point at the right edge, no division by zero.
        assert_eq!(points(&[(5, 1)]), format!("{},{PAD_T}", W - PAD_R));
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(date(i64::MAX), i64::MAX.to_string());
    }
}
