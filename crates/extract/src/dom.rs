//! A compact arena DOM built by html5ever (the WHATWG HTML5 tree builder).
//!
//! Nodes live in one `Vec`, linked by `u32` indices (parent, first/last child,
//! previous/next sibling). Every later pass walks this arena iteratively, never
//! recursively, so a page nested 100,000 levels deep costs time, not stack.
//! Parsing is fed in chunks and stops at a deadline, so a hostile page yields
//! a best-effort tree of what was read in time instead of a hang.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::time::Instant;

use html5ever::interface::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{parse_document, Attribute, LocalName, Namespace, QualName};

pub const NONE: u32 = u32::MAX;

#[derive(Debug)]
pub enum Data {
    Document,
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
        template: u32,
    },
    Text(StrTendril),
    /// Comments, doctypes, processing instructions: kept out of every pass.
    Other,
}

#[derive(Debug)]
pub struct Node {
    pub parent: u32,
    pub first_child: u32,
    pub last_child: u32,
    pub prev: u32,
    pub next: u32,
    pub data: Data,
}

impl Node {
    fn new(data: Data) -> Node {
        Node { parent: NONE, first_child: NONE, last_child: NONE, prev: NONE, next: NONE, data }
    }
}

/// The parsed page.
#[derive(Debug)]
pub struct Dom {
    pub nodes: Vec<Node>,
    /// True when parsing stopped early (deadline reached).
    pub truncated: bool,
}

pub const ROOT: u32 = 0;

impl Dom {
    pub fn node(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }

    /// The element's local name, or None for non-elements.
    pub fn tag(&self, id: u32) -> Option<&LocalName> {
        match &self.nodes[id as usize].data {
            Data::Element { name, .. } => Some(&name.local),
            _ => None,
        }
    }

    pub fn is(&self, id: u32, tag: &str) -> bool {
        self.tag(id).is_some_and(|t| &**t == tag)
    }

    pub fn attr(&self, id: u32, name: &str) -> Option<&str> {
        match &self.nodes[id as usize].data {
            Data::Element { attrs, .. } => attrs.iter().find(|a| &*a.name.local == name).map(|a| &*a.value),
            _ => None,
        }
    }

    pub fn text(&self, id: u32) -> Option<&str> {
        match &self.nodes[id as usize].data {
            Data::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn children(&self, id: u32) -> Children<'_> {
        Children { dom: self, next: self.nodes[id as usize].first_child }
    }

    /// Nodes of the subtree under `id` (itself first) in document order.
    pub fn descendants(&self, id: u32) -> Descendants<'_> {
        Descendants { dom: self, root: id, next: id }
    }

    /// Ancestors of `id`, nearest first (not `id` itself).
    pub fn ancestors(&self, id: u32) -> Ancestors<'_> {
        Ancestors { dom: self, next: self.nodes[id as usize].parent }
    }

    /// Elements with the given tag, in document order.
    pub fn elements<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = u32> + 'a {
        self.descendants(ROOT).filter(move |&n| self.is(n, tag))
    }

    /// All text under `id`, whitespace collapsed to single spaces.
    pub fn text_content(&self, id: u32) -> String {
        let mut out = String::new();
        for n in self.descendants(id) {
            if let Some(t) = self.text(n) {
                push_collapsed(&mut out, t);
            }
        }
        out.trim().to_string()
    }
}

/// Appends `t` with runs of whitespace collapsed, keeping one space between words.
pub fn push_collapsed(out: &mut String, t: &str) {
    let mut space = out.ends_with(' ') || out.is_empty();
    for c in t.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.push(c);
            space = false;
        }
    }
}

pub struct Children<'a> {
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.nodes[id as usize].next;
        Some(id)
    }
}

pub struct Ancestors<'a> {
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Ancestors<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.nodes[id as usize].parent;
        Some(id)
    }
}

pub struct Descendants<'a> {
    dom: &'a Dom,
    root: u32,
    next: u32,
}

impl Iterator for Descendants<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        let nodes = &self.dom.nodes;
        let n = &nodes[id as usize];
        self.next = if n.first_child != NONE {
            n.first_child
        } else {
            // Climb until a next sibling exists, never past the root.
            let mut cur = id;
            loop {
                if cur == self.root {
                    break NONE;
                }
                let c = &nodes[cur as usize];
                if c.next != NONE {
                    break c.next;
                }
                cur = c.parent;
                if cur == NONE {
                    break NONE;
                }
            }
        };
        Some(id)
    }
}

/// The html5ever sink: appends into the arena.
struct Sink {
    nodes: RefCell<Vec<Node>>,
    /// Stop accepting nodes once this many exist (a memory bound).
    max_nodes: usize,
    full: Cell<bool>,
}

impl Sink {
    fn push(&self, data: Data) -> u32 {
        let mut nodes = self.nodes.borrow_mut();
        if nodes.len() >= self.max_nodes {
            self.full.set(true);
        }
        nodes.push(Node::new(data));
        (nodes.len() - 1) as u32
    }

    fn detach(nodes: &mut [Node], id: u32) {
        let (parent, prev, next) = {
            let n = &nodes[id as usize];
            (n.parent, n.prev, n.next)
        };
        if parent == NONE {
            return;
        }
        if prev != NONE {
            nodes[prev as usize].next = next;
        } else {
            nodes[parent as usize].first_child = next;
        }
        if next != NONE {
            nodes[next as usize].prev = prev;
        } else {
            nodes[parent as usize].last_child = prev;
        }
        let n = &mut nodes[id as usize];
        n.parent = NONE;
        n.prev = NONE;
        n.next = NONE;
    }

    fn append_node(nodes: &mut [Node], parent: u32, child: u32) {
        Self::detach(nodes, child);
        let last = nodes[parent as usize].last_child;
        {
            let c = &mut nodes[child as usize];
            c.parent = parent;
            c.prev = last;
        }
        if last != NONE {
            nodes[last as usize].next = child;
        } else {
            nodes[parent as usize].first_child = child;
        }
        nodes[parent as usize].last_child = child;
    }

    fn insert_before(nodes: &mut [Node], sibling: u32, child: u32) {
        Self::detach(nodes, child);
        let (parent, prev) = {
            let s = &nodes[sibling as usize];
            (s.parent, s.prev)
        };
        {
            let c = &mut nodes[child as usize];
            c.parent = parent;
            c.prev = prev;
            c.next = sibling;
        }
        nodes[sibling as usize].prev = child;
        if prev != NONE {
            nodes[prev as usize].next = child;
        } else if parent != NONE {
            nodes[parent as usize].first_child = child;
        }
    }

    /// Merges text into `prev` when it is a text node; returns whether it did.
    fn merge_text(&self, prev: u32, text: &StrTendril) -> bool {
        if prev == NONE {
            return false;
        }
        let mut nodes = self.nodes.borrow_mut();
        if let Data::Text(t) = &mut nodes[prev as usize].data {
            t.push_tendril(text);
            return true;
        }
        false
    }
}

/// An element name handed back to the tree builder.
#[derive(Debug)]
pub struct Name(QualName);

impl html5ever::interface::ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }
    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl TreeSink for Sink {
    type Handle = u32;
    type Output = Vec<Node>;
    type ElemName<'a> = Name;

    fn finish(self) -> Vec<Node> {
        self.nodes.into_inner()
    }
    fn parse_error(&self, _msg: Cow<'static, str>) {}
    fn get_document(&self) -> u32 {
        ROOT
    }
    fn elem_name<'a>(&'a self, target: &'a u32) -> Name {
        match &self.nodes.borrow()[*target as usize].data {
            Data::Element { name, .. } => Name(name.clone()),
            _ => Name(QualName::new(None, Namespace::from(""), LocalName::from(""))),
        }
    }
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> u32 {
        let template = if flags.template { self.push(Data::Document) } else { NONE };
        self.push(Data::Element { name, attrs, template })
    }
    fn create_comment(&self, _text: StrTendril) -> u32 {
        self.push(Data::Other)
    }
    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> u32 {
        self.push(Data::Other)
    }
    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        let id = match child {
            NodeOrText::AppendText(text) => {
                let last = self.nodes.borrow()[*parent as usize].last_child;
                if self.merge_text(last, &text) {
                    return;
                }
                self.push(Data::Text(text))
            }
            NodeOrText::AppendNode(n) => n,
        };
        Self::append_node(&mut self.nodes.borrow_mut(), *parent, id);
    }
    fn append_based_on_parent_node(&self, element: &u32, prev_element: &u32, child: NodeOrText<u32>) {
        let has_parent = self.nodes.borrow()[*element as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child)
        } else {
            self.append(prev_element, child)
        }
    }
    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {
        let id = self.push(Data::Other);
        Self::append_node(&mut self.nodes.borrow_mut(), ROOT, id);
    }
    fn get_template_contents(&self, target: &u32) -> u32 {
        match &self.nodes.borrow()[*target as usize].data {
            Data::Element { template, .. } if *template != NONE => *template,
            _ => *target,
        }
    }
    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }
    fn set_quirks_mode(&self, _mode: QuirksMode) {}
    fn append_before_sibling(&self, sibling: &u32, child: NodeOrText<u32>) {
        let id = match child {
            NodeOrText::AppendText(text) => {
                let prev = self.nodes.borrow()[*sibling as usize].prev;
                if self.merge_text(prev, &text) {
                    return;
                }
                self.push(Data::Text(text))
            }
            NodeOrText::AppendNode(n) => n,
        };
        Self::insert_before(&mut self.nodes.borrow_mut(), *sibling, id);
    }
    fn add_attrs_if_missing(&self, target: &u32, add: Vec<Attribute>) {
        if let Data::Element { attrs, .. } = &mut self.nodes.borrow_mut()[*target as usize].data {
            for a in add {
                if !attrs.iter().any(|e| e.name == a.name) {
                    attrs.push(a);
                }
            }
        }
    }
    fn remove_from_parent(&self, target: &u32) {
        Self::detach(&mut self.nodes.borrow_mut(), *target);
    }
    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        let mut nodes = self.nodes.borrow_mut();
        let mut child = nodes[*node as usize].first_child;
        while child != NONE {
            let next = nodes[child as usize].next;
            Self::append_node(&mut nodes, *new_parent, child);
            child = next;
        }
    }
}

/// Limits on one parse.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub deadline: Option<Instant>,
    pub max_nodes: usize,
}

/// Parses a decoded page. Input is fed in chunks; at the deadline or the node
/// cap the rest is dropped and the tree of what was read is returned.
pub fn parse(html: &str, limits: Limits) -> Dom {
    let mut nodes = Vec::with_capacity((html.len() / 48).clamp(64, limits.max_nodes.min(1 << 22)));
    nodes.push(Node::new(Data::Document));
    let sink = Sink { nodes: RefCell::new(nodes), max_nodes: limits.max_nodes, full: Cell::new(false) };
    let mut parser = parse_document(sink, Default::default());
    const CHUNK: usize = 64 * 1024;
    let mut rest = html;
    let mut truncated = false;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (head, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(head));
        rest = tail;
        let late = limits.deadline.is_some_and(|d| Instant::now() >= d);
        if !rest.is_empty() && (late || parser.tokenizer.sink.sink.full.get()) {
            truncated = true;
            break;
        }
    }
    let nodes = parser.finish();
    Dom { nodes, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlimited() -> Limits {
        Limits { deadline: None, max_nodes: usize::MAX }
    }

    #[test]
    fn builds_a_tree_with_html5_repairs() {
        let dom = parse("<!doctype html><p>one<p>two <b>bold <i>both</b> after</i><table><td>cell</table>", unlimited());
        let ps: Vec<u32> = dom.elements("p").collect();
        assert_eq!(ps.len(), 2);
        assert_eq!(dom.text_content(ps[0]), "one");
        // The adoption agency algorithm re-nests misnested formatting tags.
        assert_eq!(dom.text_content(ps[1]), "two bold both after");
        assert_eq!(dom.elements("td").count(), 1);
        let td = dom.elements("td").next().unwrap();
        assert!(dom.ancestors(td).any(|a| dom.is(a, "table")));
    }

    #[test]
    fn deep_nesting_needs_no_stack() {
        let html = "<div>".repeat(10_000) + "deep text" + &"</div>".repeat(10_000);
        let dom = parse(&html, unlimited());
        assert!(dom.text_content(ROOT).contains("deep text"));
    }

    #[test]
    fn deadline_bounds_pathological_nesting() {
        // The tree builder's scope checks walk the open-element stack, so a
        // page nested 100,000 deep is quadratic: the deadline cuts it short.
        let html = "<div>".repeat(100_000) + "deep text";
        let start = Instant::now();
        let dom = parse(&html, Limits { deadline: Some(start + std::time::Duration::from_millis(300)), max_nodes: usize::MAX });
        assert!(dom.truncated);
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{:?}", start.elapsed());
    }

    #[test]
    fn node_cap_truncates() {
        let html = "<p>x</p>".repeat(100_000);
        let dom = parse(&html, Limits { deadline: None, max_nodes: 1000 });
        assert!(dom.truncated);
        assert!(dom.nodes.len() < 50_000, "{}", dom.nodes.len());
    }
}
