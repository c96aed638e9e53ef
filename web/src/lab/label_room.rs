//! Where a message's name can go on the canvas without covering anything: another message's
//! name, or a node (its shape, its name above it, its status line below it).

use super::glyph::NODE_RADIUS;

/// Width of one character of a canvas label, in canvas units (the labels' font is small).
const CHAR_WIDTH: f64 = 6.5;
/// A label's box around its baseline: this far up, and this far down.
const ASCENT: f64 = 10.0;
const DESCENT: f64 = 3.0;
/// How far a message's name sits from the message's dot.
const GAP: f64 = 8.0;

/// A box: left, top, right, bottom.
type Rect = (f64, f64, f64, f64);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// The room left for labels, filled as labels are placed.
pub struct LabelRoom {
    taken: Vec<Rect>,
}

impl LabelRoom {
    /// A canvas with nodes at these centres, each with its name and its status line (empty
    /// when it has none): a node takes its shape (up to 1.3 radii for a triangle), its name
    /// above it and its status line below it.
    pub fn around<'a>(nodes: impl Iterator<Item = ((f64, f64), &'a str, &'a str)>) -> Self {
        let mut taken = Vec::new();
        for ((x, y), name, status) in nodes {
            let shape = NODE_RADIUS * 1.3;
            taken.push((x - shape, y - shape, x + shape, y + shape));
            let half = CHAR_WIDTH * name.chars().count() as f64 / 2.0;
            taken.push((x - half, y - 28.0 - ASCENT, x + half, y - 28.0 + DESCENT));
            if !status.is_empty() {
                let half = CHAR_WIDTH * (status.chars().count() + 1) as f64 / 2.0;
                taken.push((x - half, y + 40.0 - ASCENT, x + half, y + 40.0 + DESCENT));
            }
        }
        LabelRoom { taken }
    }

    /// Where `text` can go beside a message at (x, y): the first free spot of right above,
    /// left above, right below and left below, as the text's start and baseline. `None` when
    /// all four would cover something; the spot is then taken.
    pub fn place(&mut self, (x, y): (f64, f64), text: &str) -> Option<(f64, f64)> {
        let width = CHAR_WIDTH * text.chars().count() as f64;
        let spots = [(x + GAP, y - 6.0), (x - GAP - width, y - 6.0), (x + GAP, y + 16.0), (x - GAP - width, y + 16.0)];
        let spot = spots.into_iter().find(|&(left, baseline)| {
            let rect = (left, baseline - ASCENT, left + width, baseline + DESCENT);
            !self.taken.iter().any(|&other| overlaps(rect, other))
        })?;
        self.taken.push((spot.0, spot.1 - ASCENT, spot.0 + width, spot.1 + DESCENT));
        Some(spot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_keeps_off_a_nodes_shape_name_and_status_line() {
        let mut room = LabelRoom::around([((100.0, 100.0), "n1", "crashed")].into_iter());
        // A message leaving the node's top: each of the four spots would cover its shape.
        let top = room.place((100.0, 78.0), "Ping");
        assert_eq!(top, None, "every spot beside the node's top covers it");
        // At the node's right rim: the usual spot, clear of the shape.
        let right = room.place((122.0, 100.0), "Ping").expect("a free spot");
        assert!(right.0 >= 100.0 + NODE_RADIUS * 1.3, "{right:?}");
        // Below the node, a name's usual spot would cover the status line: it goes below.
        assert_eq!(room.place((110.0, 150.0), "Vote"), Some((118.0, 166.0)));
        let mut bare = LabelRoom::around([((100.0, 100.0), "n1", "")].into_iter());
        assert_eq!(bare.place((110.0, 150.0), "Vote"), Some((118.0, 144.0)), "no status line, no detour");
    }

    #[test]
    fn names_at_one_point_take_the_four_spots_then_give_up() {
        let mut room = LabelRoom::around(core::iter::empty());
        assert_eq!(room.place((300.0, 300.0), "Ping"), Some((308.0, 294.0)));
        assert_eq!(room.place((300.0, 300.0), "Pong"), Some((300.0 - GAP - 4.0 * CHAR_WIDTH, 294.0)));
        assert_eq!(room.place((300.0, 300.0), "Ack"), Some((308.0, 316.0)));
        assert_eq!(room.place((300.0, 300.0), "Nack"), Some((300.0 - GAP - 4.0 * CHAR_WIDTH, 316.0)));
        assert_eq!(room.place((300.0, 300.0), "More"), None, "all four spots are taken");
    }
}
