#!/usr/bin/env python3
"""The DOM a browser dumped (chromium --dump-dom), as a small element tree for the report test's
assertions: find elements by tag and class, read their text and attributes, and read SVG paths'
points."""
import html.parser
import re

VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'area', 'base', 'col', 'embed', 'source',
        'track', 'wbr'}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.texts = [], []
        self.nodes = []  # text and elements, in document order

    def classes(self):
        return set((self.attrs.get('class') or '').split())

    def text(self):
        return ''.join(n if isinstance(n, str) else n.text() for n in self.nodes)

    def find_all(self, tag=None, cls=None):
        out = []
        for c in self.children:
            if (tag is None or c.tag == tag) and (cls is None or cls in c.classes()):
                out.append(c)
            out.extend(c.find_all(tag, cls))
        return out

    def find(self, tag=None, cls=None):
        found = self.find_all(tag, cls)
        return found[0] if found else None


class _Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element('#document', [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        self.cur.nodes.append(el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        self.cur.nodes.append(el)

    def handle_endtag(self, tag):
        el = self.cur
        while el is not None and el.tag != tag:
            el = el.parent
        if el is not None and el.parent is not None:
            self.cur = el.parent

    def handle_data(self, data):
        self.cur.texts.append(data)
        self.cur.nodes.append(data)


def parse(path):
    b = _Builder()
    b.feed(open(path, encoding='utf-8').read())
    return b.root


def path_points(d):
    """The (x, y) points of an SVG path of M, L, H and V commands."""
    pts, x, y = [], 0.0, 0.0
    for cmd, a, b in re.findall(r'([MLHV])([-0-9.]+)(?: ([-0-9.]+))?', d):
        if cmd in 'ML':
            x, y = float(a), float(b)
        elif cmd == 'H':
            x = float(a)
        else:
            y = float(a)
        pts.append((x, y))
    return pts


def axis_labels(svg, anchor):
    """The numbers of a chart's tick labels on one side ("end": the left axis, "start": the
    right), as drawn."""
    out = []
    for t in svg.find_all('text'):
        if t.attrs.get('text-anchor') == anchor and 'tick' in t.classes():
            m = re.fullmatch(r'([0-9.]+)(k|M)?%?', t.text().strip())
            if m:
                out.append(float(m.group(1)) * {'k': 1e3, 'M': 1e6}.get(m.group(2), 1))
    return out
