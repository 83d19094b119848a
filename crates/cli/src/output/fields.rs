//! A record shown as `label  value` lines, labels padded to one width; a field with several
//! values continues on indented lines.

use anyhow::Result;

#[derive(Default)]
pub struct Fields {
    fields: Vec<(String, Vec<String>)>,
}

impl Fields {
    /// A field with one value.
    pub fn one(&mut self, label: &str, value: impl Into<String>) -> &mut Fields {
        self.fields.push((label.to_string(), vec![value.into()]));
        self
    }

    /// A field with one line per value, or `-` when there are none.
    pub fn many(&mut self, label: &str, values: Vec<String>) -> &mut Fields {
        self.fields.push((label.to_string(), values));
        self
    }

    pub fn lines(&self) -> Vec<String> {
        let width = self
            .fields
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for (label, values) in &self.fields {
            let first = values.first().map_or("-", String::as_str);
            out.push(format!("{label:<width$}  {first}").trim_end().to_string());
            for more in values.iter().skip(1) {
                out.push(format!("{:<width$}  {more}", ""));
            }
        }
        out
    }

    pub fn print(&self) -> Result<()> {
        super::lines(self.lines())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_line_up_and_values_continue() {
        let mut f = Fields::default();
        f.one("user", "alice")
            .many("groups", vec!["sre".into(), "ops".into()])
            .many("grants", vec![]);
        assert_eq!(
            f.lines(),
            vec!["user    alice", "groups  sre", "        ops", "grants  -"]
        );
    }
}
