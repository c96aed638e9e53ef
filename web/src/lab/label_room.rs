//! Where a message's name can go on the canvas without covering anything: another message's
//! name, or a node (its shape, its name above it, its status line below it).

use super::glyph::NODE_RADIUS;

/// Font sizes on the canvas, in canvas units, as `static/style.css` sets them (`.flight-label`,
/// `.node-name`, `.node-status`; larger under `.lab.embed`): keep them in step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FontSizes {
    pub label: f64,
    pub name: f64,
    pub status: f64,
    /// A link's note (`.link-note`).
    pub note: f64,
}

impl FontSizes {
    pub const PAGE: FontSizes = FontSizes { label: 9.0, name: 13.0, status: 12.0, note: 11.0 };
    pub const EMBEDDED: FontSizes = FontSizes { label: 14.0, name: 19.0, status: 16.0, note: 15.0 };
}

/// A character's width, and a line's extent above and below its baseline, per unit of font
/// size (generous: a name is bold, a label has a halo).
const CHAR_WIDTH: f64 = 0.75;
const ASCENT: f64 = 1.1;
const DESCENT: f64 = 0.3;
/// How far a message's name sits from the message's dot.
const GAP: f64 = 8.0;

/// A box: left, top, right, bottom.
type Rect = (f64, f64, f64, f64);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// The box of `chars` characters centred on `x` with their baseline at `y`, in a font of
/// `size`.
fn centred_box(chars: usize, (x, y): (f64, f64), size: f64) -> Rect {
    let half = CHAR_WIDTH * size * chars as f64 / 2.0;
    (x - half, y - ASCENT * size, x + half, y + DESCENT * size)
}

/// The room left for labels, filled as labels are placed.
pub struct LabelRoom {
    taken: Vec<Rect>,
    label_size: f64,
    note_size: f64,
}

impl LabelRoom {
    /// A canvas with nodes at these centres, each with its name and its status line (empty
    /// when it has none): a node takes its shape (up to 1.3 radii for a triangle), its name
    /// above it and its status line below it.
    pub fn around<'a>(nodes: impl Iterator<Item = ((f64, f64), &'a str, &'a str)>, fonts: FontSizes) -> Self {
        let mut taken = Vec::new();
        for ((x, y), name, status) in nodes {
            let shape = NODE_RADIUS * 1.3;
            taken.push((x - shape, y - shape, x + shape, y + shape));
            taken.push(centred_box(name.chars().count(), (x, y - 28.0), fonts.name));
            if !status.is_empty() {
                // Drawn with a leading space.
                taken.push(centred_box(status.chars().count() + 1, (x, y + 40.0), fonts.status));
            }
        }
        LabelRoom { taken, label_size: fonts.label, note_size: fonts.note }
    }

    /// Takes the room for a link's note at `at` (its middle when `centred`, else its start,
    /// and its baseline) if it is free; says whether it was.
    pub fn take_note(&mut self, text: &str, at: (f64, f64), centred: bool) -> bool {
        let mut rect = centred_box(text.chars().count(), at, self.note_size);
        if !centred {
            let width = rect.2 - rect.0;
            (rect.0, rect.2) = (at.0, at.0 + width);
        }
        let free = !self.taken.iter().any(|&other| overlaps(rect, other));
        if free {
            self.taken.push(rect);
        }
        free
    }

    /// Where `text` can go beside a message at (x, y): the first free spot of right above,
    /// left above, right below and left below, as the text's start and baseline; the spot
    /// is then taken. `None` when each of the four would cover something.
    pub fn place(&mut self, (x, y): (f64, f64), text: &str) -> Option<(f64, f64)> {
        let size = self.label_size;
        let width = CHAR_WIDTH * size * text.chars().count() as f64;
        let (above, below) = (y - 6.0, y + 6.0 + ASCENT * size);
        let spots = [(x + GAP, above), (x - GAP - width, above), (x + GAP, below), (x - GAP - width, below)];
        let rect =
            |(left, baseline): (f64, f64)| (left, baseline - ASCENT * size, left + width, baseline + DESCENT * size);
        let spot = spots.into_iter().find(|&spot| !self.taken.iter().any(|&other| overlaps(rect(spot), other)))?;
        self.taken.push(rect(spot));
        Some(spot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(spot: Option<(f64, f64)>, x: f64, y: f64) -> bool {
        spot.is_some_and(|(sx, sy)| (sx - x).abs() < 1e-9 && (sy - y).abs() < 1e-9)
    }

    #[test]
    fn a_name_keeps_off_a_nodes_shape_name_and_status_line() {
        let mut room = LabelRoom::around([((100.0, 100.0), "n1", "crashed")].into_iter(), FontSizes::PAGE);
        // A message leaving the node's top: each of the four spots would cover its shape.
        assert_eq!(room.place((100.0, 78.0), "Ping"), None, "every spot beside the node's top covers it");
        // At the node's right rim: the usual spot, clear of the shape.
        let right = room.place((122.0, 100.0), "Ping").expect("a free spot");
        assert!(right.0 >= 100.0 + NODE_RADIUS * 1.3, "{right:?}");
        // Below the node, a name's usual spot would cover the status line: it goes below.
        let below = 150.0 + 6.0 + ASCENT * 9.0;
        assert!(at(room.place((110.0, 150.0), "Vote"), 118.0, below));
        let mut bare = LabelRoom::around([((100.0, 100.0), "n1", "")].into_iter(), FontSizes::PAGE);
        assert!(at(bare.place((110.0, 150.0), "Vote"), 118.0, 144.0), "no status line, no detour");
    }

    #[test]
    fn an_embedded_canvas_reserves_its_larger_text() {
        let node = || [((100.0, 100.0), "client-1", "")].into_iter();
        // Beside a long name: room in the page's small type, none in the embedded page's.
        assert!(at(LabelRoom::around(node(), FontSizes::PAGE).place((140.0, 95.0), "Ping"), 148.0, 89.0));
        let embedded = LabelRoom::around(node(), FontSizes::EMBEDDED).place((140.0, 95.0), "Ping");
        assert!(embedded.is_some_and(|spot| spot != (148.0, 89.0)), "{embedded:?}");
    }

    #[test]
    fn a_links_note_takes_its_room_only_where_it_is_free() {
        let mut room = LabelRoom::around([((100.0, 100.0), "s2", "")].into_iter(), FontSizes::PAGE);
        assert!(!room.take_note("slow ×20", (100.0, 100.0), true), "on the node");
        assert!(room.take_note("slow ×20", (100.0, 200.0), true), "clear of it");
        assert!(!room.take_note("cut", (100.0, 200.0), true), "taken by the first note");
        assert!(room.take_note("cut", (200.0, 200.0), false));
        // A message's name keeps off the notes too.
        assert!(
            at(room.place((205.0, 205.0), "Ping"), 205.0 - GAP - 4.0 * CHAR_WIDTH * 9.0, 199.0),
            "left, not on the note"
        );
    }

    #[test]
    fn names_at_one_point_take_the_four_spots_then_give_up() {
        let mut room = LabelRoom::around(core::iter::empty(), FontSizes::PAGE);
        let (word, below) = (4.0 * CHAR_WIDTH * 9.0, 300.0 + 6.0 + ASCENT * 9.0);
        assert!(at(room.place((300.0, 300.0), "Ping"), 308.0, 294.0));
        assert!(at(room.place((300.0, 300.0), "Pong"), 300.0 - GAP - word, 294.0));
        assert!(at(room.place((300.0, 300.0), "Ack"), 308.0, below));
        assert!(at(room.place((300.0, 300.0), "Nack"), 300.0 - GAP - word, below));
        assert_eq!(room.place((300.0, 300.0), "More"), None, "all four spots are taken");
    }
}
