//! Accessibility of the explorer's markup and style sheet: WCAG AA contrast (4.5:1) of every
//! text colour of `style.css` on every surface it can be drawn on (computed from the sheet's
//! declarations, `var(--x)` resolved from `:root`), and the page structure (language, skip
//! link, landmarks, labelled form controls, header cells with a scope).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;

/// WCAG 2 relative luminance of `#rgb` / `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let h = hex.trim_start_matches('#');
    let full: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_string()
    };
    assert_eq!(full.len(), 6, "not a hex colour: {hex}");
    let ch = |i: usize| {
        let c = f64::from(u8::from_str_radix(&full[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * ch(0) + 0.7152 * ch(2) + 0.0722 * ch(4)
}

/// WCAG 2 contrast ratio of two colours.
fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The rules of a style sheet: (selector, declarations), comments removed.
fn rules(css: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut text = String::new();
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").unwrap() + 2..];
    }
    text.push_str(rest);
    text.split('}')
        .filter_map(|block| block.split_once('{'))
        .map(|(sel, body)| {
            let decls = body
                .split(';')
                .filter_map(|d| d.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            (sel.trim().to_string(), decls)
        })
        .collect()
}

/// A declared colour value resolved to `#hex` (None when it is not a plain colour).
fn colour(v: &str, vars: &HashMap<String, String>) -> Option<String> {
    let v = v.trim();
    let v = match v.strip_prefix("var(").and_then(|x| x.strip_suffix(')')) {
        Some(name) => vars.get(name.trim())?.as_str(),
        None => v,
    };
    match v {
        "#fff" | "white" => Some("#ffffff".into()),
        v if v.starts_with('#') && !v.contains(' ') => Some(v.to_string()),
        _ => None,
    }
}

#[test]
fn the_formula_is_wcags() {
    assert!((contrast("#000", "#fff") - 21.0).abs() < 1e-9);
    assert!((contrast("#fff", "#fff") - 1.0).abs() < 1e-9);
    // #767676 on white is the well-known lightest AA grey (4.54:1); #777 fails (4.48:1).
    assert!(contrast("#767676", "#ffffff") >= 4.5);
    assert!(contrast("#777777", "#ffffff") < 4.5);
}

/// Every text colour of `css` below 4.5:1 on a surface it can be drawn on, described.
fn contrast_failures(css: &str) -> Vec<String> {
    let rules = rules(css);
    let vars: HashMap<String, String> = rules
        .iter()
        .filter(|(s, _)| s == ":root")
        .flat_map(|(_, d)| d.clone())
        .collect();
    assert!(vars.len() >= 5, "palette not found: {vars:?}");
    // Text colours (colour, and fill of chart text) drawn on the sheet's surfaces, and rules
    // that set both (a button: its own pair).
    let (mut texts, mut surfaces, mut pairs) =
        (Vec::new(), vec!["#ffffff".to_string()], Vec::new());
    for (sel, d) in &rules {
        let fg = d.get("color").and_then(|v| colour(v, &vars)).or_else(|| {
            // SVG text: `fill` of a label.
            (sel.contains("label")).then(|| d.get("fill").and_then(|v| colour(v, &vars)))?
        });
        let bg = d
            .get("background")
            .or_else(|| d.get("background-color"))
            .and_then(|v| colour(v, &vars));
        match (fg, bg) {
            (Some(f), Some(b)) => pairs.push((sel.clone(), f, b)),
            (Some(f), None) => texts.push((sel.clone(), f)),
            (None, Some(b)) => surfaces.push(b),
            (None, None) => {}
        }
    }
    assert!(
        texts.len() >= 6 && surfaces.len() >= 3 && !pairs.is_empty(),
        "{css}"
    );
    let mut failures = Vec::new();
    for (sel, f) in &texts {
        for b in &surfaces {
            let r = contrast(f, b);
            if r < 4.5 {
                failures.push(format!("{sel}: {f} on {b} is {r:.2}:1"));
            }
        }
    }
    for (sel, f, b) in &pairs {
        let r = contrast(f, b);
        if r < 4.5 {
            failures.push(format!("{sel}: {f} on {b} is {r:.2}:1"));
        }
    }
    failures
}

#[test]
fn text_colours_meet_wcag_aa_on_every_surface() {
    let failures = contrast_failures(signet_ui::STYLE_CSS);
    assert!(failures.is_empty(), "below 4.5:1: {failures:#?}");
    // The check finds a pale text colour, a pale surface and a pale button.
    for (extra, want) in [
        (".hint { color: #999; }", ".hint: #999 on #ffffff"),
        (".hl { background: #5a6270; }", "on #5a6270"),
        (
            ".b { color: #fff; background: #66a3e0; }",
            ".b: #ffffff on #66a3e0",
        ),
    ] {
        let f = contrast_failures(&format!("{}\n{extra}", signet_ui::STYLE_CSS));
        assert!(f.iter().any(|m| m.contains(want)), "{extra}: {f:?}");
    }
}

#[test]
fn focus_is_visible_and_the_skip_link_shows() {
    let rules = rules(signet_ui::STYLE_CSS);
    let focus = rules
        .iter()
        .find(|(s, _)| s == ":focus-visible")
        .expect("a :focus-visible rule for every focusable element");
    assert!(focus.1["outline"].starts_with("3px solid"));
    let skip = rules.iter().find(|(s, _)| s == ".skip:focus").unwrap();
    assert!(!skip.1["left"].starts_with('-'));
}
