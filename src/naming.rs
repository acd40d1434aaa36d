//! Output names: `--name TEMPLATE`, and the default scheme, which is the
//! template `{dir}/{stem}_{size}.{ext}` for thumbnails and `{dir}/{stem}.{ext}`
//! for a resize. A template is checked when it is parsed: an unknown field,
//! an absolute path or a `..` (a way out of `-o`) is refused, and so is a
//! set of several sizes that the template would give one name.

use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};

use crate::error::SetupError;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// The input's folder relative to its input root (empty at the root).
    Dir,
    /// The input's name without its extension.
    Stem,
    /// The output's extension.
    Ext,
    /// The thumbnail size (a resize: the larger side of its box).
    Size,
    /// The requested box's width (`auto` when only a height is given).
    Width,
    /// The requested box's height (`auto` when only a width is given).
    Height,
    /// The output format (`jpeg`, `png`, `webp`, `avif`).
    Format,
}

const FIELDS: &[(&str, Part)] = &[
    ("dir", Part::Dir),
    ("stem", Part::Stem),
    ("ext", Part::Ext),
    ("size", Part::Size),
    ("width", Part::Width),
    ("height", Part::Height),
    ("format", Part::Format),
];

/// A parsed `--name` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate {
    /// As the user wrote it, for messages.
    text: String,
    parts: Vec<Part>,
}

/// What one output's name is made from.
pub(crate) struct Fields<'a> {
    /// The input's path relative to its root.
    pub rel: &'a Path,
    /// Its stem, with `--pairs both`'s tag when it has one.
    pub stem: &'a OsStr,
    /// The output's extension.
    pub ext: &'a str,
    /// The requested box (`None`: follows the aspect ratio).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The output format's `--format` name.
    pub format: &'a str,
}

fn invalid(template: &str, why: &str) -> SetupError {
    SetupError::Invalid(format!("--name {template}: {why}"))
}

impl NameTemplate {
    /// Parses `template`, refusing what would write outside `-o` or give the
    /// `outputs` outputs of each input (a thumbnail set's sizes) one name.
    pub fn parse(template: &str, outputs: usize) -> Result<NameTemplate, SetupError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let close = rest[open..].find('}').ok_or_else(|| invalid(template, "a { without its }"))? + open;
            let name = &rest[open + 1..close];
            let part = FIELDS.iter().find(|(n, _)| *n == name).map(|(_, p)| p.clone()).ok_or_else(|| {
                let known: Vec<String> = FIELDS.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                invalid(template, &format!("unknown field {{{name}}} (fields: {})", known.join(" ")))
            })?;
            parts.push(part);
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        let t = NameTemplate { text: template.to_string(), parts };
        let text: String =
            t.parts.iter().filter_map(|p| if let Part::Text(s) = p { Some(s.as_str()) } else { None }).collect();
        if text.contains('}') {
            return Err(invalid(template, "a } without its {"));
        }
        if template.starts_with('/') {
            return Err(invalid(template, "names are relative to -o; a template that leaves -o is refused"));
        }
        if t.parts.iter().any(|p| matches!(p, Part::Text(s) if s.split('/').any(|seg| seg == ".."))) {
            return Err(invalid(template, "'..' would leave -o; a template that leaves -o is refused"));
        }
        if template.ends_with('/') || !t.parts.contains(&Part::Stem) {
            return Err(invalid(template, "every name needs the input's {stem}, and a file name at the end"));
        }
        let sized = t.parts.iter().any(|p| matches!(p, Part::Size | Part::Width | Part::Height));
        if outputs > 1 && !sized {
            return Err(invalid(template, "several --sizes need {size} in the name, or they would all write one file"));
        }
        Ok(t)
    }

    /// The default scheme, beside the mirrored tree: `{dir}/{stem}_{size}.{ext}`
    /// for thumbnails (`sized`), `{dir}/{stem}.{ext}` for a resize.
    pub(crate) fn default_scheme(sized: bool) -> NameTemplate {
        let mut parts = vec![Part::Dir, Part::Text("/".into()), Part::Stem];
        if sized {
            parts.extend([Part::Text("_".into()), Part::Size]);
        }
        parts.extend([Part::Text(".".into()), Part::Ext]);
        NameTemplate { text: String::new(), parts }
    }

    /// The template as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The output's path below `-o`: the template filled in, empty folder
    /// parts (`{dir}` at the root) dropped.
    pub(crate) fn render(&self, f: &Fields<'_>) -> PathBuf {
        let number = |n: Option<u32>| n.map_or_else(|| "auto".to_string(), |n| n.to_string());
        let mut name = OsString::new();
        for p in &self.parts {
            match p {
                Part::Text(s) => name.push(s),
                Part::Dir => name.push(f.rel.parent().unwrap_or(Path::new("")).as_os_str()),
                Part::Stem => name.push(f.stem),
                Part::Ext => name.push(f.ext),
                Part::Size => name.push(number(f.width.max(f.height))),
                Part::Width => name.push(number(f.width)),
                Part::Height => name.push(number(f.height)),
                Part::Format => name.push(f.format),
            }
        }
        // Parsing refused `..` and a leading `/`; `{dir}` holds neither.
        Path::new(&name).components().filter(|c| matches!(c, Component::Normal(_))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &NameTemplate, rel: &str, size: u32) -> PathBuf {
        let rel = Path::new(rel);
        let stem = rel.file_stem().unwrap();
        t.render(&Fields { rel, stem, ext: "jpg", width: Some(size), height: Some(size), format: "jpeg" })
    }

    #[test]
    fn templates_make_per_size_folders_flat_folders_and_prefixes() {
        let t = |s: &str| NameTemplate::parse(s, 2).unwrap();
        assert_eq!(render(&t("{size}/{dir}/{stem}.{ext}"), "a/b/c.JPG", 256), Path::new("256/a/b/c.jpg"));
        assert_eq!(render(&t("{size}/{dir}/{stem}.{ext}"), "c.JPG", 512), Path::new("512/c.jpg"));
        assert_eq!(render(&t("{stem}_{size}.{ext}"), "a/b/c.png", 256), Path::new("c_256.jpg"));
        assert_eq!(
            render(&t("{dir}/tn_{stem}_{width}x{height}.{format}"), "x/c.png", 64),
            Path::new("x/tn_c_64x64.jpeg")
        );
        let default = NameTemplate::default_scheme(true);
        assert_eq!(render(&default, "a/b/my.photo.tif", 64), Path::new("a/b/my.photo_64.jpg"));
        assert_eq!(render(&default, "c.png", 64), Path::new("c_64.jpg"));
        assert_eq!(render(&NameTemplate::default_scheme(false), "a/c.png", 64), Path::new("a/c.jpg"));
        let r = NameTemplate::parse("{dir}/{stem}-{width}w-{height}.{ext}", 1).unwrap();
        let rel = Path::new("a/c.jpg");
        let f = Fields { rel, stem: OsStr::new("c"), ext: "jpg", width: Some(1600), height: None, format: "jpeg" };
        assert_eq!(r.render(&f), Path::new("a/c-1600w-auto.jpg"));
    }

    #[test]
    fn templates_that_leave_the_output_folder_or_merge_sizes_are_refused() {
        for (bad, why) in [
            ("/tmp/{stem}.{ext}", "leaves -o"),
            ("../{stem}.{ext}", "leave -o"),
            ("{dir}/../../{stem}.{ext}", "leave -o"),
            ("{stem}.{ext}", "{size}"),
            ("{stem}_{colour}.{ext}", "unknown field {colour}"),
            ("{stem_{size}.{ext}", "unknown field"),
            ("{size}/", "{stem}"),
            ("{size}.{ext}", "{stem}"),
        ] {
            let e = NameTemplate::parse(bad, 2).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        // One output per input: the size need not be in the name.
        assert!(NameTemplate::parse("{stem}.{ext}", 1).is_ok());
    }
}
