//! Aligned columns: a header row, then one row per item, two spaces between columns.

use anyhow::Result;

pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The lines, each column padded to its widest cell; trailing spaces trimmed.
    pub fn lines(&self) -> Vec<String> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        self.rows
            .iter()
            .map(|row| {
                let mut line = String::new();
                for (cell, width) in row.iter().zip(&widths) {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
                }
                line.trim_end().to_string()
            })
            .collect()
    }

    pub fn print(&self) -> Result<()> {
        super::lines(self.lines())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut t = Table::new(&["ID", "STATE"]);
        t.row(vec!["req_1".into(), "pending".into()]);
        t.row(vec!["r".into(), "approved".into()]);
        assert_eq!(
            t.lines(),
            vec!["ID     STATE", "req_1  pending", "r      approved"]
        );
    }
}
