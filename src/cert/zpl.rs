//! ZPL, the ZeroMQ Property Language (RFC 4): the text of certificate
//! files (SPEC §9.6).
//!
//! A document is a list of properties, one a line: a name, and optionally
//! `=` and a value, unquoted or in single or double quotes. A property
//! belongs to the nearest line above it indented 4 spaces less. `#`
//! starts a comment, on its own line or after a property. Reading keeps
//! the document flat, each property with its nesting level: certificates
//! need only the top-level sections and their direct children.

/// One property line: its nesting level (its indentation in units of 4
/// spaces), its name and its value (empty when the line has none), and
/// its line number, from 1. The strings borrow from the text read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Property<'a> {
    pub level: usize,
    pub name: &'a str,
    pub value: &'a str,
    pub line: usize,
}

/// Why a text is not ZPL: the line (from 1) and what is wrong there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZplError {
    pub line: usize,
    pub reason: &'static str,
}

/// Whether `c` may appear in a name (RFC 4's `name-char`).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "$-_@.&+/".contains(c)
}

/// Whether `c` may appear in a line: anything but control characters,
/// tabs excepted.
fn is_allowed(c: char) -> bool {
    !c.is_control() || c == '\t'
}

/// The lines of `text`, ended by LF, CR LF or a lone CR (RFC 4 accepts
/// all three).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            None => {
                rest = None;
                (!text.is_empty()).then_some(text)
            }
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
        }
    })
}

/// What follows a value or a bare name: nothing, blanks, or a comment.
fn only_comment_left(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

/// Reads a ZPL document into its properties, in the order of the text.
/// Errors name the first line that is not ZPL: an indentation that is not
/// a multiple of 4 spaces or skips a level, a tab in the indentation, a
/// line that does not start with a name, a name that starts or ends with
/// `/`, text after a name that is neither `=` nor a comment, a quoted
/// value without its closing quote or with text after it, or a control
/// character.
pub(crate) fn parse(text: &str) -> Result<Vec<Property<'_>>, ZplError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<Property<'_>> = Vec::new();
    for (index, raw) in lines(text).enumerate() {
        let line = index + 1;
        let fail = |reason| Err(ZplError { line, reason });
        if !raw.chars().all(is_allowed) {
            return fail("a control character");
        }
        let trimmed = raw.trim_end_matches([' ', '\t']);
        let body = trimmed.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.starts_with('\t') {
            return fail("a tab in the indentation (ZPL indents with 4 spaces)");
        }
        let spaces = trimmed.len() - body.len();
        if spaces % 4 != 0 {
            return fail("the indentation is not a multiple of 4 spaces");
        }
        let level = spaces / 4;
        let deepest = out.last().map_or(0, |p| p.level + 1);
        if level > deepest {
            return fail("indented more than one level below the property above");
        }
        let name_len = body.find(|c| !is_name_char(c)).unwrap_or(body.len());
        let (name, rest) = body.split_at(name_len);
        if name.is_empty() {
            return fail("a line must start with a name (letters, digits, $-_@.&+/)");
        }
        if name.starts_with('/') || name.ends_with('/') {
            return fail("a name cannot start or end with '/'");
        }
        let rest = rest.trim_start_matches([' ', '\t']);
        let value = if let Some(after) = rest.strip_prefix('=') {
            value_of(after.trim_start_matches([' ', '\t']))
                .map_err(|reason| ZplError { line, reason })?
        } else if only_comment_left(rest) {
            ""
        } else {
            return fail("expected '=' or a comment after the name");
        };
        out.push(Property {
            level,
            name,
            value,
            line,
        });
    }
    Ok(out)
}

/// The value at the start of `text` (what follows `=` and its blanks).
fn value_of(text: &str) -> Result<&str, &'static str> {
    match text.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inner = &text[1..];
            let Some(end) = inner.find(quote) else {
                return Err("a quoted value without its closing quote");
            };
            if !only_comment_left(&inner[end + 1..]) {
                return Err("text after the closing quote");
            }
            Ok(&inner[..end])
        }
        _ => {
            let end = text.find('#').unwrap_or(text.len());
            Ok(text[..end].trim_end_matches([' ', '\t']))
        }
    }
}

/// The top-level properties named `name`.
pub(crate) fn sections<'d, 'a>(
    doc: &'d [Property<'a>],
    name: &'d str,
) -> impl Iterator<Item = (usize, &'d Property<'a>)> + 'd {
    doc.iter()
        .enumerate()
        .filter(move |(_, p)| p.level == 0 && p.name == name)
}

/// The direct children of the property at `index`.
pub(crate) fn children<'d, 'a>(
    doc: &'d [Property<'a>],
    index: usize,
) -> impl Iterator<Item = &'d Property<'a>> + 'd {
    let level = doc.get(index).map_or(usize::MAX, |p| p.level);
    doc.iter()
        .skip(index + 1)
        .take_while(move |p| p.level > level)
        .filter(move |p| p.level == level + 1)
}

/// Checks that `name` can be written as a ZPL name.
pub(crate) fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("a name cannot be empty");
    }
    if !name.chars().all(is_name_char) {
        return Err("a name has only letters, digits and $-_@.&+/");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return Err("a name cannot start or end with '/'");
    }
    Ok(())
}

/// Appends `name = "value"` at `level`, quoting the value with `"`, or
/// with `'` when it holds a `"`. ZPL has no escapes, so a value holding
/// both quotes, or a control character other than a tab, cannot be
/// written.
pub(crate) fn write_property(
    out: &mut String,
    level: usize,
    name: &str,
    value: &str,
) -> Result<(), &'static str> {
    check_name(name)?;
    if !value.chars().all(is_allowed) {
        return Err("a value cannot hold a line break or other control character");
    }
    let quote = match (value.contains('"'), value.contains('\'')) {
        (false, _) => '"',
        (true, false) => '\'',
        (true, true) => return Err("a value cannot hold both ' and \" (ZPL has no escapes)"),
    };
    for _ in 0..level {
        out.push_str("    ");
    }
    out.push_str(name);
    out.push_str(" = ");
    out.push(quote);
    out.push_str(value);
    out.push(quote);
    out.push('\n');
    Ok(())
}

/// Appends a property without a value (a section's header) at `level`.
pub(crate) fn write_section(out: &mut String, level: usize, name: &str) {
    for _ in 0..level {
        out.push_str("    ");
    }
    out.push_str(name);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(text: &str) -> Vec<(usize, &str, &str)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.level, p.name, p.value))
            .collect()
    }

    fn error(text: &str) -> ZplError {
        parse(text).unwrap_err()
    }

    #[test]
    fn nesting_values_and_comments() {
        let text = "# a comment line\n\
                    \n\
                    top\n    \
                        plain = some words   # and a comment\n    \
                        double = \"in # quotes\"\n    \
                        single = 'it \"is\"'  # after\n    \
                        empty =\n    \
                        bare\n        \
                            deeper = 1\n    \
                    # an indented comment\n  \
                      # a comment at any indentation\n\
                    next=2\n";
        assert_eq!(
            props(text),
            [
                (0, "top", ""),
                (1, "plain", "some words"),
                (1, "double", "in # quotes"),
                (1, "single", "it \"is\""),
                (1, "empty", ""),
                (1, "bare", ""),
                (2, "deeper", "1"),
                (0, "next", "2"),
            ]
        );
    }

    #[test]
    fn line_endings_and_a_byte_order_mark() {
        let want = [(0, "a", "1"), (1, "b", "2"), (0, "c", "")];
        for text in [
            "a = 1\n    b = 2\nc\n",
            "a = 1\r\n    b = 2\r\nc",
            "a = 1\r    b = 2\rc\r",
            "\u{feff}a = 1\n    b = 2 \t\nc\n",
        ] {
            assert_eq!(props(text), want, "{text:?}");
        }
        let lines: Vec<usize> = parse("a\r\n\r\nb\rc\n\nd")
            .unwrap()
            .iter()
            .map(|p| p.line)
            .collect();
        assert_eq!(lines, [1, 3, 4, 6]);
    }

    #[test]
    fn names_take_rfc_4s_characters() {
        assert_eq!(props("a-Z_0.9$@&+/x = v\n"), [(0, "a-Z_0.9$@&+/x", "v")]);
        check_name("public-key").unwrap();
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("/a").is_err());
        assert!(check_name("é").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, reason) in [
            ("a\n   b = 1\n", 2, "multiple of 4"),
            ("a\n\tb = 1\n", 2, "tab"),
            ("a\n        b = 1\n", 2, "more than one level"),
            ("    a = 1\n", 1, "more than one level"),
            ("= 1\n", 1, "start with a name"),
            ("\"a\" = 1\n", 1, "start with a name"),
            ("/a = 1\n", 1, "'/'"),
            ("a/ = 1\n", 1, "'/'"),
            ("a b\n", 1, "expected '='"),
            ("a : b\n", 1, "expected '='"),
            ("x\na = \"open\n", 2, "closing quote"),
            ("a = 'open\"\n", 1, "closing quote"),
            ("a = \"v\" w\n", 1, "after the closing quote"),
            ("a = v\u{0}w\n", 1, "control"),
            ("a = \"\u{1b}\"\n", 1, "control"),
        ] {
            let e = error(text);
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.reason.contains(reason), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn sections_and_children() {
        let doc =
            parse("a\n    x = 1\n    y\n        z = 2\n    w = 3\nb\na\n    v = 4\n").unwrap();
        let found: Vec<usize> = sections(&doc, "a").map(|(i, _)| i).collect();
        assert_eq!(found, [0, 6]);
        let kids: Vec<&str> = children(&doc, 0).map(|p| p.name).collect();
        assert_eq!(kids, ["x", "y", "w"]);
        assert_eq!(children(&doc, 2).map(|p| p.name).collect::<Vec<_>>(), ["z"]);
        assert_eq!(children(&doc, 5).count(), 0);
        assert_eq!(children(&doc, 99).count(), 0);
    }

    #[test]
    fn written_properties_read_back() {
        let mut out = String::new();
        write_section(&mut out, 0, "s");
        for value in [
            "",
            "plain",
            " padded ",
            "has \"double\"",
            "has 'single'",
            "#=\t'",
        ] {
            write_property(&mut out, 1, "k", value).unwrap();
        }
        let values: Vec<&str> = parse(&out)
            .unwrap()
            .iter()
            .skip(1)
            .map(|p| p.value)
            .collect();
        assert_eq!(
            values,
            [
                "",
                "plain",
                " padded ",
                "has \"double\"",
                "has 'single'",
                "#=\t'"
            ]
        );
        assert!(out.contains("    k = 'has \"double\"'\n"), "{out}");
        let mut out = String::new();
        assert!(write_property(&mut out, 0, "k", "both ' and \"").is_err());
        assert!(write_property(&mut out, 0, "k", "two\nlines").is_err());
        assert!(write_property(&mut out, 0, "k", "cr\r").is_err());
        assert!(write_property(&mut out, 0, "a b", "v").is_err());
        assert_eq!(out, "");
    }
}
