//! Reading a PDF back: page sizes, and each character with its position.

use pdf_extract::{Document, MediaBox, Object, OutputDev, OutputError, Transform};

/// A character on a page, positioned in inches from the page's top-left.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub page: u32,
    pub text: String,
    pub x: f64,
    /// Baseline, from the top.
    pub y: f64,
    pub right: f64,
    pub size_in: f64,
}

pub struct Pdf {
    pub pages: Vec<(f64, f64)>,
    pub glyphs: Vec<Glyph>,
}

struct Collector {
    page: u32,
    height: f64,
    pages: Vec<(f64, f64)>,
    glyphs: Vec<Glyph>,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page: u32,
        media: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page = page;
        self.height = media.ury - media.lly;
        self.pages.push((media.urx - media.llx, self.height));
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _: f64,
        size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        // Typst never rotates text, so the matrix's diagonal is the scale.
        let size = size * (trm.m11 * trm.m22).abs().sqrt();
        self.glyphs.push(Glyph {
            page: self.page,
            text: ch.to_string(),
            x: trm.m31 / 72.0,
            y: (self.height - trm.m32) / 72.0,
            right: (trm.m31 + width * size) / 72.0,
            size_in: size / 72.0,
        });
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

pub fn read(bytes: &[u8]) -> Pdf {
    let mut doc = Document::load_mem(bytes).unwrap();
    expand_width_ranges(&mut doc);
    let mut c = Collector { page: 0, height: 0.0, pages: vec![], glyphs: vec![] };
    pdf_extract::output_doc(&doc, &mut c).unwrap();
    Pdf { pages: c.pages, glyphs: c.glyphs }
}

impl Pdf {
    /// The text of one page, as lines (glyphs sharing a baseline), top to bottom.
    pub fn lines(&self, page: u32) -> Vec<Line> {
        self.lines_where(page, |_| true)
    }

    /// Lines made of the glyphs of a page that touch a rectangle (left, top,
    /// width, height in inches).
    pub fn lines_touching(
        &self,
        page: u32,
        (left, top, width, height): (f64, f64, f64, f64),
    ) -> Vec<Line> {
        self.lines_where(page, |g| {
            g.right > left
                && g.x < left + width
                && g.y + 0.25 * g.size_in > top
                && g.y - 0.8 * g.size_in < top + height
        })
    }

    fn lines_where(&self, page: u32, keep: impl Fn(&Glyph) -> bool) -> Vec<Line> {
        let mut glyphs: Vec<&Glyph> =
            self.glyphs.iter().filter(|g| g.page == page && keep(g)).collect();
        glyphs.sort_by(|a, b| a.y.partial_cmp(&b.y).unwrap().then(a.x.partial_cmp(&b.x).unwrap()));
        let mut lines: Vec<Line> = Vec::new();
        for g in glyphs {
            match lines.last_mut() {
                Some(line) if (line.y - g.y).abs() < 0.02 => line.push(g),
                _ => lines.push(Line { y: g.y, glyphs: vec![g.clone()] }),
            }
        }
        for line in &mut lines {
            line.glyphs.sort_by(|a, b| a.x.partial_cmp(&b.x).unwrap());
        }
        lines
    }

    /// The characters of one page in the order the PDF draws them, without
    /// spaces: what a page drawn inside another (as a proof's) keeps.
    pub fn drawn(&self, page: u32) -> String {
        self.glyphs
            .iter()
            .filter(|g| g.page == page && g.text.trim() != "")
            .map(|g| g.text.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        let pages = self.pages.len() as u32;
        (1..=pages).flat_map(|p| self.lines(p)).map(|l| l.text()).collect::<Vec<_>>().join("\n")
    }
}

pub struct Line {
    pub y: f64,
    pub glyphs: Vec<Glyph>,
}

impl Line {
    fn push(&mut self, g: &Glyph) {
        self.glyphs.push(g.clone());
    }

    /// The line's text, with a space wherever glyphs are visibly apart.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut last_right: Option<f64> = None;
        for g in &self.glyphs {
            if let Some(r) = last_right
                && g.x - r > g.size_in * 0.15
                && !out.ends_with(' ')
                && g.text != " "
            {
                out.push(' ');
            }
            out.push_str(&g.text);
            last_right = Some(g.right);
        }
        out
    }

    pub fn left(&self) -> f64 {
        self.glyphs.iter().map(|g| g.x).fold(f64::MAX, f64::min)
    }

    pub fn right(&self) -> f64 {
        self.glyphs.iter().map(|g| g.right).fold(f64::MIN, f64::max)
    }

    /// Top of the line: baseline less the font's ascent (cap height is
    /// about 0.73 em in Inter; 0.8 em leaves margin).
    pub fn top(&self) -> f64 {
        self.glyphs.iter().map(|g| g.y - 0.8 * g.size_in).fold(f64::MAX, f64::min)
    }

    /// Bottom of the line: baseline plus descent.
    pub fn bottom(&self) -> f64 {
        self.glyphs.iter().map(|g| g.y + 0.25 * g.size_in).fold(f64::MIN, f64::max)
    }
}

/// pdf-extract 0.12 misreads the `first last width` form of a CID font's
/// `/W` array, which Typst writes, and then places every glyph at the same x.
/// Rewriting it into the equivalent `first [width ...]` form works around that.
fn expand_width_ranges(doc: &mut Document) {
    for object in doc.objects.values_mut() {
        let Object::Dictionary(dict) = object else { continue };
        let Ok(Object::Array(w)) = dict.get(b"W") else { continue };
        let mut expanded = Vec::new();
        let mut i = 0;
        while i < w.len() {
            if let Some(Object::Array(_)) = w.get(i + 1) {
                expanded.extend_from_slice(&w[i..i + 2]);
                i += 2;
            } else {
                let (first, last) = (w[i].as_i64().unwrap(), w[i + 1].as_i64().unwrap());
                let widths = vec![w[i + 2].clone(); (last - first + 1) as usize];
                expanded.push(Object::Integer(first));
                expanded.push(Object::Array(widths));
                i += 3;
            }
        }
        dict.set("W", Object::Array(expanded));
    }
}
