//! The subset of Go `text/template` that Fulcio's CI-provider metadata uses.
//!
//! Fulcio (`pkg/identity/ciprovider/principal.go`) treats a value that contains `{{` as a Go
//! template executed with `missingkey=error` over "defaults ∪ claims" (claims win); any other
//! value is the *name of a claim* whose value is copied. Supported actions:
//!
//! * `{{ .name }}`: substitute a value (missing key ⇒ error);
//! * `{{ index . "key" }}` / `{{ (index . "key") }}`: the same for keys that are not Go
//!   identifiers (CircleCI's `oidc.circleci.com/...` claims);
//! * `{{ if eq <value> "literal" }} … {{ else }} … {{ end }}`: used by the GitLab
//!   `source-repository-ref` and CircleCI `runner-environment` templates.
//!
//! Anything else (pipelines, `index`, trim markers `{{-`, nested fields) is rejected when the
//! configuration is loaded, so a configuration that loads can always be rendered.

use std::collections::BTreeMap;

use crate::OidcError;

/// A parsed extension or SAN template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    source: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// No `{{`: the value is the name of a claim (or default value) to copy.
    Claim(String),
    Nodes(Vec<Node>),
}

/// An `if` being parsed: (field, literal, then-branch, else-branch once `else` was seen).
type OpenIf = (String, String, Vec<Node>, Option<Vec<Node>>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Field(String),
    IfEq {
        field: String,
        value: String,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

enum Action {
    Field(String),
    If { field: String, value: String },
    Else,
    End,
}

impl Template {
    /// Parses `source`; fails on any construct outside the supported subset.
    pub(crate) fn parse(source: &str) -> Result<Self, OidcError> {
        if !source.contains("{{") {
            return Ok(Self {
                source: source.to_owned(),
                kind: Kind::Claim(source.to_owned()),
            });
        }
        let err = |why: &str| OidcError::Config(format!("template {source:?}: {why}"));
        // Stack of open blocks: (nodes so far, pending if, whether in the else branch).
        let mut root: Vec<Node> = Vec::new();
        let mut open: Vec<OpenIf> = Vec::new();
        let mut rest = source;
        fn push(root: &mut Vec<Node>, open: &mut [OpenIf], n: Node) {
            match open.last_mut() {
                Some((_, _, _, Some(otherwise))) => otherwise.push(n),
                Some((_, _, then, None)) => then.push(n),
                None => root.push(n),
            }
        }
        while !rest.is_empty() {
            match rest.split_once("{{") {
                None => {
                    push(&mut root, &mut open, Node::Text(rest.to_owned()));
                    rest = "";
                }
                Some((text, after)) => {
                    if !text.is_empty() {
                        push(&mut root, &mut open, Node::Text(text.to_owned()));
                    }
                    let (inner, after) = after
                        .split_once("}}")
                        .ok_or_else(|| err("unterminated action"))?;
                    let action = parse_action(inner).map_err(|why| err(&why))?;
                    rest = after;
                    match action {
                        Action::Field(name) => push(&mut root, &mut open, Node::Field(name)),
                        Action::If { field, value } => open.push((field, value, Vec::new(), None)),
                        Action::Else => match open.last_mut() {
                            Some((_, _, _, otherwise @ None)) => *otherwise = Some(Vec::new()),
                            _ => return Err(err("unexpected else")),
                        },
                        Action::End => {
                            let (field, value, then, otherwise) =
                                open.pop().ok_or_else(|| err("unexpected end"))?;
                            let node = Node::IfEq {
                                field,
                                value,
                                then,
                                otherwise: otherwise.unwrap_or_default(),
                            };
                            push(&mut root, &mut open, node);
                        }
                    }
                }
            }
        }
        if !open.is_empty() {
            return Err(err("unclosed if"));
        }
        Ok(Self {
            source: source.to_owned(),
            kind: Kind::Nodes(root),
        })
    }

    /// A template that copies the claim `name` (what [`Template::parse`] yields for any text
    /// without `{{`).
    pub(crate) fn literal_claim(name: &str) -> Self {
        Self {
            source: name.to_owned(),
            kind: Kind::Claim(name.to_owned()),
        }
    }

    /// Renders over `data`; a missing key is an error naming the key.
    pub(crate) fn render(&self, data: &BTreeMap<String, String>) -> Result<String, OidcError> {
        match &self.kind {
            Kind::Claim(name) => data.get(name).cloned().ok_or_else(|| missing(name)),
            Kind::Nodes(nodes) => {
                let mut out = String::new();
                render_nodes(nodes, data, &mut out)?;
                Ok(out)
            }
        }
    }
}

fn missing(name: &str) -> OidcError {
    OidcError::MissingClaim(name.to_owned())
}

fn render_nodes(
    nodes: &[Node],
    data: &BTreeMap<String, String>,
    out: &mut String,
) -> Result<(), OidcError> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Field(name) => out.push_str(data.get(name).ok_or_else(|| missing(name))?),
            Node::IfEq {
                field,
                value,
                then,
                otherwise,
            } => {
                let actual = data.get(field).ok_or_else(|| missing(field))?;
                render_nodes(if actual == value { then } else { otherwise }, data, out)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Open,
    Close,
    Str(&'a str),
    Word(&'a str),
}

/// Splits an action into words, parentheses and double-quoted strings (no escapes).
fn tokenize(inner: &str) -> Result<Vec<Tok<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = inner.trim_start();
    loop {
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            break;
        };
        let after = chars.as_str();
        match c {
            '(' => {
                out.push(Tok::Open);
                rest = after;
            }
            ')' => {
                out.push(Tok::Close);
                rest = after;
            }
            '"' => {
                let (s, tail) = after.split_once('"').ok_or("unterminated string")?;
                if s.contains('\\') {
                    return Err("escapes in strings are not supported".into());
                }
                out.push(Tok::Str(s));
                rest = tail;
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"')
                    .unwrap_or(rest.len());
                // `find` gives a char boundary: the split always succeeds.
                let (word, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
                out.push(Tok::Word(word));
                rest = tail;
            }
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

/// A value reference: `.name`, `index . "key"` or either in parentheses. Returns the key and
/// the remaining tokens.
fn operand<'t>(toks: &'t [Tok<'t>]) -> Result<(String, &'t [Tok<'t>]), String> {
    match toks {
        [Tok::Word(w), rest @ ..] if w.starts_with('.') => Ok((field_name(w)?, rest)),
        [Tok::Word("index"), Tok::Word("."), Tok::Str(key), rest @ ..] => {
            Ok(((*key).to_owned(), rest))
        }
        [Tok::Open, rest @ ..] => match operand(rest)? {
            (key, [Tok::Close, rest @ ..]) => Ok((key, rest)),
            _ => Err("unbalanced parentheses".into()),
        },
        _ => Err("expected .name or index . \"key\"".into()),
    }
}

fn parse_action(inner: &str) -> Result<Action, String> {
    if inner.starts_with('-') || inner.ends_with('-') {
        return Err("trim markers are not supported".into());
    }
    let toks = tokenize(inner)?;
    let unsupported = || format!("unsupported action {{{{{inner}}}}}");
    match toks.as_slice() {
        [Tok::Word("else")] => Ok(Action::Else),
        [Tok::Word("end")] => Ok(Action::End),
        [Tok::Word("if"), Tok::Word("eq"), rest @ ..] => match operand(rest)? {
            (field, [Tok::Str(value)]) => Ok(Action::If {
                field,
                value: (*value).to_owned(),
            }),
            _ => Err(unsupported()),
        },
        _ => match operand(&toks)? {
            (field, []) => Ok(Action::Field(field)),
            _ => Err(unsupported()),
        },
    }
}

/// `.name` ⇒ `name`; Go identifiers only (no nested `.a.b`).
fn field_name(field: &str) -> Result<String, String> {
    let name = field
        .strip_prefix('.')
        .ok_or_else(|| format!("unsupported field {field}"))?;
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!("unsupported field {field}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn substitutions_and_literals() {
        let t = Template::parse("{{ .url }}/{{.repository}}/actions/runs/{{ .run_id }}").unwrap();
        let d = data(&[
            ("url", "https://github.com"),
            ("repository", "a/b"),
            ("run_id", "7"),
        ]);
        assert_eq!(
            t.render(&d).unwrap(),
            "https://github.com/a/b/actions/runs/7"
        );
    }

    #[test]
    fn claim_name_copies_value() {
        let t = Template::parse("job_workflow_sha").unwrap();
        assert_eq!(
            t.render(&data(&[("job_workflow_sha", "abc")])).unwrap(),
            "abc"
        );
        assert_eq!(
            t.render(&data(&[])),
            Err(OidcError::MissingClaim("job_workflow_sha".into()))
        );
    }

    #[test]
    fn missing_key_is_an_error() {
        let t = Template::parse("{{ .url }}/{{ .nope }}").unwrap();
        assert_eq!(
            t.render(&data(&[("url", "u")])),
            Err(OidcError::MissingClaim("nope".into()))
        );
    }

    #[test]
    fn gitlab_ref_conditional() {
        let t = Template::parse(
            r#"refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}"#,
        )
        .unwrap();
        assert_eq!(
            t.render(&data(&[("ref_type", "branch"), ("ref", "main")]))
                .unwrap(),
            "refs/heads/main"
        );
        assert_eq!(
            t.render(&data(&[("ref_type", "tag"), ("ref", "v1")]))
                .unwrap(),
            "refs/tags/v1"
        );
    }

    #[test]
    fn circleci_index_forms() {
        let d = data(&[
            ("api_url", "https://circleci.com/api/v2"),
            ("oidc.circleci.com/pipeline-id", "p1"),
            ("oidc.circleci.com/ssh-rerun", "false"),
        ]);
        let t = Template::parse(
            r#"{{.api_url}}/pipeline/{{(index . "oidc.circleci.com/pipeline-id")}}/config"#,
        )
        .unwrap();
        assert_eq!(
            t.render(&d).unwrap(),
            "https://circleci.com/api/v2/pipeline/p1/config"
        );
        let t = Template::parse(r#"{{index . "oidc.circleci.com/pipeline-id"}}"#).unwrap();
        assert_eq!(t.render(&d).unwrap(), "p1");
        let t = Template::parse(
            r#"{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}"#,
        )
        .unwrap();
        assert_eq!(t.render(&d).unwrap(), "\"\"");
        let t = Template::parse(r#"{{ index . "missing" }}"#).unwrap();
        assert_eq!(t.render(&d), Err(OidcError::MissingClaim("missing".into())));
    }

    #[test]
    fn rejects_unsupported_constructs() {
        for bad in [
            "{{ .a",
            "{{ .a.b }}",
            "{{- .a }}",
            "{{ index . x }}",
            "{{ (index . \"x\" }}",
            "{{ index . \"a\\\"b\" }}",
            "{{ if eq .a .b }}x{{ end }}",
            "{{ .a | printf }}",
            "{{ if eq .a \"b\" }}x",
            "{{ end }}",
            "{{ else }}",
            "{{ url }}",
            "{{ }}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn multi_byte_text_anywhere_parses_or_is_refused() {
        let src = r#"é{{ if eq .repo "ü" }}{{ .a }}{{ else }}{{ index . "ǅ" }}{{ end }}"#;
        let d = data(&[("a", "x"), ("ǅ", "y"), ("repo", "ü")]);
        let mut seen = 0;
        for (i, _) in src.char_indices() {
            for c in ["é", "\u{10348}", "{{", "}}", "\"", "(", ")"] {
                let mut m = src.to_owned();
                m.insert_str(i, c);
                if let Ok(t) = Template::parse(&m) {
                    seen += 1;
                    let _ = t.render(&d);
                }
            }
            let _ = Template::parse(&src[..i]);
        }
        assert!(seen > 0);
        assert_eq!(Template::parse(src).unwrap().render(&d).unwrap(), "éx");
    }
}
