# cython: language_level=3
"""The layout of a page's links: the fields that need the tree around a link (anchor,
link type, placement, snippet), worked out in C over lexbor's (selectolax's) tree.

One pass over the tree's structs in document order finds the links (``a[href]``,
``area[href]``), the first ``base[href]`` and the ``meta[name][content]``, as the selector
engine matches them, and keeps each link's ancestors; attribute values read from the
structs are byte-identical to selectolax's ``attributes``, and an element's text is read
as a reader sees it (``_text``: lines break at ``<br>`` and around blocks, no script).
Resolving and keeping links is ``extraction``'s business; judging an element,
``placement``'s.

Only struct fields and ``static inline`` code of lexbor's headers (``third_party/lexbor``)
are used: lexbor's functions live in selectolax's own library, whose symbols are not
exported. The headers must be those of the installed selectolax (see ``pyproject.toml``).
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.unicode cimport (
    Py_UNICODE_ISSPACE,
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from libc.stdint cimport SIZE_MAX, uintptr_t
from libc.string cimport memcpy
from selectolax.lexbor cimport LexborHTMLParser, LexborNode, lxb_dom_node_t

from selectolax.lexbor import create_tag

from backlink_spider.directives import Rel
from backlink_spider.placement import REGION_TAGS, TOP, enter

cdef enum:
    # A snippet's length in characters.
    SNIPPET = 160
    # Prose around a link, this many characters besides link text, marks it as content when
    # no element says where it is (or only class words of a region that may wrap the main text).
    PROSE = 100
    # Bytes of a block's text read at most (for its snippets and whether it is prose): a block
    # holding a whole page (nested blocks each hold all those inside) would cost its square.
    BLOCK_TEXT = 65536

SNIPPET_CHARS = SNIPPET

cdef extern from *:
    """
    #include <string.h>
    #include "lexbor/dom/interfaces/element.h"
    #include "lexbor/dom/interfaces/attr.h"
    #include "lexbor/dom/interfaces/text.h"

    /* Whether an attribute name id (local or qualified) spells `name`: a static id
       (lexbor's table of known names) is its own spelling, the id of any other name
       points at the document's hash entry of that name. */
    static inline int
    backlinks_name_is(uintptr_t id, uintptr_t known, const char *name, size_t length)
    {
        const lxb_dom_attr_data_t *data;

        if (id < LXB_DOM_ATTR__LAST_ENTRY) {
            return known != 0 && id == known;
        }
        if (id == LXB_DOM_ATTR__LAST_ENTRY) {
            return 0;
        }
        data = (const lxb_dom_attr_data_t *) id;
        return data->entry.length == length
               && memcmp(lexbor_hash_entry_str(&data->entry), name, length) == 0;
    }

    /* The attribute whose local name is `name` (as the selector engine's [name]
       finds it), or whose qualified name is (as selectolax's `attributes` key it:
       "xlink:href" is not "href"). `known` is the name's static id, 0 if it has none. */
    static inline lxb_dom_attr_t *
    backlinks_attr(const lxb_dom_node_t *node, uintptr_t known, const char *name,
                   size_t length, int qualified)
    {
        lxb_dom_attr_t *attr = ((const lxb_dom_element_t *) node)->first_attr;
        uintptr_t id;

        for (; attr != NULL; attr = attr->next) {
            id = attr->node.local_name;
            if (qualified && attr->qualified_name != 0) {
                id = attr->qualified_name;
            }
            if (backlinks_name_is(id, known, name, length)) {
                return attr;
            }
        }
        return NULL;
    }

    static inline int
    backlinks_has_attrs(const lxb_dom_node_t *node)
    {
        return ((const lxb_dom_element_t *) node)->first_attr != NULL;
    }

    static inline int
    backlinks_plain_name(const lxb_dom_node_t *node)
    {
        return ((const lxb_dom_element_t *) node)->qualified_name == 0
               && node->local_name < LXB_TAG__LAST_ENTRY;
    }

    static inline const lexbor_str_t *
    backlinks_text_data(const lxb_dom_node_t *node)
    {
        return &((const lxb_dom_text_t *) node)->char_data.data;
    }
    """
    ctypedef struct lexbor_str_t:
        unsigned char *data
        size_t length

    ctypedef struct lxb_dom_attr_t:
        lexbor_str_t *value

    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND

    enum:
        LXB_DOM_NODE_TYPE_ELEMENT
        LXB_DOM_NODE_TYPE_TEXT
        LXB_TAG__LAST_ENTRY
        LXB_TAG_A
        LXB_TAG_AREA
        LXB_TAG_BASE
        LXB_TAG_HEAD
        LXB_NS_HTML
        LXB_TAG_LINK
        LXB_TAG_META
        LXB_TAG_IMG
        LXB_TAG_TITLE
        LXB_DOM_ATTR_HREF
        LXB_DOM_ATTR_REL
        LXB_DOM_ATTR_CLASS
        LXB_DOM_ATTR_ID
        LXB_DOM_ATTR_CONTENT
        LXB_DOM_ATTR_TITLE
        LXB_DOM_ATTR_ALT

    lxb_dom_attr_t *backlinks_attr(const lxb_dom_node_t *node, uintptr_t known, const char *name,
                                   size_t length, int qualified) noexcept nogil
    bint backlinks_has_attrs(const lxb_dom_node_t *node) noexcept nogil
    bint backlinks_plain_name(const lxb_dom_node_t *node) noexcept nogil
    const lexbor_str_t *backlinks_text_data(const lxb_dom_node_t *node) noexcept nogil


# Flags of a tag id: what the tag tells of the links inside its element.
cdef enum:
    BLOCK = 1
    REGION = 2
    ROOT = 4
    # Where a line breaks in its text (``_text``), and what has no text to read.
    BREAK = 8
    HIDDEN = 16


cdef inline lxb_dom_attr_t *_attr(const lxb_dom_node_t *node, uintptr_t known, bytes name, bint qualified) noexcept:
    return backlinks_attr(node, known, name, len(name), qualified)


cdef inline object _value(const lxb_dom_attr_t *attr):
    """An attribute's value as ``LexborNode.attributes`` gives it (None without a value)."""
    if attr == NULL or attr.value == NULL or attr.value.data == NULL:
        return None
    return PyUnicode_DecodeUTF8(<char *> attr.value.data, attr.value.length, "replace")


cdef inline bint _unseen(Py_UCS4 c) noexcept nogil:
    """A character that shows nothing and is no whitespace: a control character, a zero-width
    space or word joiner, a byte order mark (not the joiners that shape emoji and scripts)."""
    return c < 32 or 0x7F <= c <= 0x9F or c == 0x200B or c == 0x2060 or c == 0xFEFF


cpdef str collapse_whitespace(str text):
    """``text`` in one pass with what shows nothing dropped (NULs, control characters, zero-width
    spaces: ``_unseen``), each run of whitespace (what ``str.split()`` splits on) made one space
    and the ends trimmed (``anchors.normalise_anchor`` builds on it)."""
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text)
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef Py_ssize_t i
    cdef Py_ssize_t size = 0
    cdef Py_UCS4 c
    cdef Py_UCS4 *buffer
    cdef bint gap = False
    # Most texts are normal already: a single space between words, none at the ends.
    for i in range(length):
        c = PyUnicode_READ(kind, data, i)
        if c == 0:
            break
        if Py_UNICODE_ISSPACE(c):
            if c != 32 or gap or i == 0 or i == length - 1:
                break
            gap = True
        elif _unseen(c):
            break
        else:
            gap = False
    else:
        return text
    buffer = <Py_UCS4 *> PyMem_Malloc(length * sizeof(Py_UCS4))
    if buffer == NULL:
        raise MemoryError
    gap = False
    for i in range(length):
        c = PyUnicode_READ(kind, data, i)
        if Py_UNICODE_ISSPACE(c):
            gap = size != 0
            continue
        if _unseen(c):
            continue
        if gap:
            buffer[size] = 32
            size += 1
            gap = False
        buffer[size] = c
        size += 1
    try:
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buffer, size)
    finally:
        PyMem_Free(buffer)


cdef inline const lxb_dom_node_t *_next(const lxb_dom_node_t *root, const lxb_dom_node_t *node) noexcept nogil:
    """The node after ``node`` in document order inside ``root``, NULL after the last."""
    if node.first_child != NULL:
        return node.first_child
    while node != root and node.next == NULL:
        node = node.parent
    return NULL if node == root else node.next


cdef inline bint _inside(const lxb_dom_node_t *node, const lxb_dom_node_t *ancestor) noexcept nogil:
    """Whether ``node`` is ``ancestor`` or one of its descendants."""
    while node != NULL and node != ancestor:
        node = node.parent
    return node != NULL


# Elements whose text is the natural context of a link inside them.
BLOCKS = frozenset(
    ["p", "li", "td", "th", "dd", "dt", "blockquote", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "caption"]
)
# What each known tag id tells (BLOCK, REGION, ROOT), and its name as ``LexborNode.tag``
# gives it once met.
cdef unsigned char _FLAGS[LXB_TAG__LAST_ENTRY]
cdef list _TAG_NAMES = [None] * LXB_TAG__LAST_ENTRY


cdef void _flag(names, unsigned char flag) except *:
    cdef LexborNode element
    for name in names:
        element = create_tag(name)
        if element.node.local_name >= LXB_TAG__LAST_ENTRY:
            raise ValueError(f"{name!r} is no tag lexbor knows")
        _FLAGS[element.node.local_name] |= flag


_flag(BLOCKS, BLOCK)
_flag(REGION_TAGS, REGION)
_flag(("body", "html"), ROOT)
# A line breaks at a <br> and around a block (as a browser's innerText reads it); a
# script's or a style's text is never shown, nor an SVG's title (its name, a tooltip) or
# description.
_flag((*BLOCKS, "br", "hr", "div", "section", "article", "main", "header", "footer", "nav", "aside",
       "ul", "ol", "dl", "table", "tr", "address", "figure", "form", "fieldset", "legend", "details",
       "summary"), BREAK)
_flag(("script", "style", "title", "desc"), HIDDEN)


cdef size_t _gather(const lxb_dom_node_t *root, char *out, size_t limit) noexcept nogil:
    """The length of an element's text as ``_text`` reads it, up to about ``limit`` bytes (the
    text node that reaches it is cut there); written to ``out`` unless NULL."""
    cdef const lxb_dom_node_t *node = root.first_child
    cdef const lexbor_str_t *data
    cdef size_t length = 0
    cdef size_t taken
    cdef unsigned char flags
    cdef bint down
    while node != NULL and length < limit:
        down = False
        if node.type == LXB_DOM_NODE_TYPE_TEXT:
            data = backlinks_text_data(node)
            taken = min(data.length, limit - length)
            if out != NULL and taken:
                memcpy(out + length, data.data, taken)
            length += taken
        elif node.type == LXB_DOM_NODE_TYPE_ELEMENT:
            flags = _FLAGS[node.local_name] if node.local_name < LXB_TAG__LAST_ENTRY else 0
            if not flags & HIDDEN:
                if flags & BREAK:
                    if out != NULL:
                        out[length] = 32
                    length += 1  # within limit: the loop stops at it
                down = node.first_child != NULL
        if down:
            node = node.first_child
            continue
        # On past ``node``, and past each element it was the last of (a break after one that breaks).
        while node != root and node.next == NULL:
            node = node.parent
            if node != root and node.local_name < LXB_TAG__LAST_ENTRY and _FLAGS[node.local_name] & BREAK:
                if length >= limit:
                    return length
                if out != NULL:
                    out[length] = 32
                length += 1
        node = NULL if node == root else node.next
    return length


cdef size_t _whole_characters(const unsigned char *text, size_t length) noexcept nogil:
    """``length`` less the bytes of a UTF-8 character that a cut at ``length`` left incomplete
    (lexbor's text is valid UTF-8), which would decode as U+FFFD."""
    cdef size_t lead = length
    cdef size_t size = 1
    while lead > 0 and text[lead - 1] & 0xC0 == 0x80:  # continuation bytes
        lead -= 1
    if lead == 0:
        return length
    lead -= 1
    if text[lead] & 0xE0 == 0xC0:
        size = 2
    elif text[lead] & 0xF0 == 0xE0:
        size = 3
    elif text[lead] & 0xF8 == 0xF0:
        size = 4
    return lead if length - lead < size else length


cdef str _text(const lxb_dom_node_t *root, size_t limit = SIZE_MAX):
    """An element's text as a reader sees it, to be collapsed (``collapse_whitespace``): its
    text nodes' data in document order, a space where a line breaks (``<br>``, the start and
    end of a block: ``<a><h3>Title</h3><p>Summary</p></a>`` reads "Title Summary", not
    "TitleSummary"), and nothing of a script or a style, comments or a ``<template>``'s
    content (no child of it); its first ``limit`` bytes (UTF-8), but a character cut there."""
    cdef const lxb_dom_node_t *node = root.first_child
    cdef const lxb_dom_node_t *only = NULL
    cdef const lexbor_str_t *data
    cdef size_t length
    cdef char *buffer
    # The common case: one text node (a link's plain text), read as it is.
    if node != NULL and node.next == NULL and node.type == LXB_DOM_NODE_TYPE_TEXT:
        only = node
    if only != NULL:
        data = backlinks_text_data(only)
        return PyUnicode_DecodeUTF8(<char *> data.data, data.length, "replace")
    length = _gather(root, NULL, limit)
    if length == 0:
        return ""
    buffer = <char *> PyMem_Malloc(length)
    if buffer == NULL:
        raise MemoryError
    _gather(root, buffer, limit)
    if length >= limit:
        length = _whole_characters(<unsigned char *> buffer, length)
    try:
        return PyUnicode_DecodeUTF8(buffer, length, "replace")
    finally:
        PyMem_Free(buffer)


# Neither a layout nor a link refers back to itself through what it holds (a link holds its
# layout, a layout none of its links): reference counts free them, the collector need not look.
@cython.no_gc
cdef class Layout:
    """A parsed page's links and the fields of theirs that need the tree around them
    (anchor, link type, placement, snippet), each worked out on first request and kept.

    The walk finds every ``a[href]`` and ``area[href]``, in document order: their ``hrefs``
    and ``rels`` (None when absent or without a value), the first ``base[href]``'s
    ``base_href`` (None without one), the first ``link[href]`` of the head whose rel holds
    ``canonical`` (``canonical_href``, None without one) and the ``(name, content)`` of each
    ``meta[name][content]`` (``metas``). The page's links are those of them it ``keep``s,
    numbered from 0 in the order kept; ``seal`` ends the keeping. While worked out, each
    element above a link is judged once (``placement.enter``), each block's text is read
    once, and each block's links are found once.

    It holds the tree, not the links: a page and its links are freed as soon as they are
    dropped, with no reference cycle for the garbage collector.
    """

    cdef readonly list hrefs
    cdef readonly list rels
    cdef readonly object base_href
    cdef readonly object canonical_href
    cdef readonly list metas
    cdef LexborHTMLParser _tree
    # Per link the walk found: its node, and the record of its parent (-1: the document).
    cdef lxb_dom_node_t **_links
    cdef Py_ssize_t *_parents
    cdef Py_ssize_t _count
    # Per record (an element above a link): its node and the record of its parent
    # element (-1: none), then once judged the region inside it, its nearest block at or
    # above it (a record + 1, 0 if none; -1 not judged yet) and the block around that one.
    cdef lxb_dom_node_t **_nodes
    cdef Py_ssize_t *_up
    cdef Py_ssize_t *_block
    cdef Py_ssize_t *_outer
    cdef list _regions
    cdef Py_ssize_t _records
    cdef Py_ssize_t _record_capacity
    # Per link kept: its position among those found, then its fields (None: not yet),
    # and whether its anchor is its own text (not an alt, title or aria-label).
    cdef list _kept
    cdef list _anchors
    cdef list _link_types
    cdef list _placements
    cdef list _snippets
    cdef bytearray _own_text
    # Block -> its text; and the indexes of its links (those it is the nearest block
    # of) with the length of their anchors.
    cdef dict _texts
    cdef dict _blocks
    cdef dict _starts
    cdef dict _ends

    def __cinit__(self, LexborHTMLParser tree):
        self._tree = tree
        self.hrefs = []
        self.rels = []
        self.metas = []
        self.base_href = None
        self.canonical_href = None
        self._regions = []
        self._kept = []
        self._texts = {}
        self._blocks = {}
        self._starts = {}
        self._ends = {}
        self._walk(<lxb_dom_node_t *> tree.document)

    def __dealloc__(self):
        PyMem_Free(self._links)
        PyMem_Free(self._parents)
        PyMem_Free(self._nodes)
        PyMem_Free(self._up)
        PyMem_Free(self._block)
        PyMem_Free(self._outer)

    cdef void _walk(self, lxb_dom_node_t *document) except *:
        """Find the links, base and metas, in document order, with a stack of the
        elements above the node met."""
        cdef lxb_dom_node_t *node = document.first_child
        cdef lxb_dom_node_t **stack = NULL
        cdef Py_ssize_t *records = NULL
        cdef Py_ssize_t depth = 0
        cdef Py_ssize_t capacity = 0
        cdef Py_ssize_t link_capacity = 0
        cdef uintptr_t tag
        cdef bint base_found = False
        cdef object rel
        try:
            while node != NULL:
                if node.type == LXB_DOM_NODE_TYPE_ELEMENT:
                    tag = node.local_name
                    if tag == LXB_TAG_A or tag == LXB_TAG_AREA:
                        if _attr(node, LXB_DOM_ATTR_HREF, b"href", False) != NULL:
                            if self._count == link_capacity:
                                link_capacity = 2 * link_capacity + 64
                                self._links = <lxb_dom_node_t **> _grow(self._links, link_capacity * sizeof(void *))
                                self._parents = <Py_ssize_t *> _grow(self._parents, link_capacity * sizeof(Py_ssize_t))
                            self._links[self._count] = node
                            self._parents[self._count] = self._record(stack, records, depth)
                            self._count += 1
                            self.hrefs.append(_value(_attr(node, LXB_DOM_ATTR_HREF, b"href", True)))
                            self.rels.append(_value(_attr(node, LXB_DOM_ATTR_REL, b"rel", True)))
                    elif tag == LXB_TAG_BASE:
                        # Only an HTML <base> rebases a page's links (not one inside SVG or MathML).
                        if not base_found and node.ns == LXB_NS_HTML and _attr(node, LXB_DOM_ATTR_HREF, b"href", False) != NULL:
                            base_found = True
                            self.base_href = _value(_attr(node, LXB_DOM_ATTR_HREF, b"href", True))
                    elif tag == LXB_TAG_LINK:
                        # Search engines read a canonical in the head only: one in the body may be anyone's.
                        if (
                            self.canonical_href is None
                            and node.parent != NULL
                            and node.parent.local_name == LXB_TAG_HEAD
                            and _attr(node, LXB_DOM_ATTR_HREF, b"href", False) != NULL
                        ):
                            rel = _value(_attr(node, LXB_DOM_ATTR_REL, b"rel", True))
                            if rel is not None and "canonical" in Rel.parse(rel).tokens:
                                self.canonical_href = _value(_attr(node, LXB_DOM_ATTR_HREF, b"href", True))
                    elif tag == LXB_TAG_META:
                        if _attr(node, 0, b"name", False) != NULL and _attr(node, LXB_DOM_ATTR_CONTENT, b"content", False) != NULL:
                            self.metas.append(
                                (_value(_attr(node, 0, b"name", True)), _value(_attr(node, LXB_DOM_ATTR_CONTENT, b"content", True)))
                            )
                    if node.first_child != NULL:
                        if depth == capacity:
                            capacity = 2 * capacity + 64
                            stack = <lxb_dom_node_t **> _grow(stack, capacity * sizeof(void *))
                            records = <Py_ssize_t *> _grow(records, capacity * sizeof(Py_ssize_t))
                        stack[depth] = node
                        records[depth] = -1
                        depth += 1
                        node = node.first_child
                        continue
                while node != document and node.next == NULL:
                    node = node.parent
                    if depth and stack[depth - 1] == node:
                        depth -= 1
                node = NULL if node == document else node.next
        finally:
            PyMem_Free(stack)
            PyMem_Free(records)

    cdef Py_ssize_t _record(self, lxb_dom_node_t **stack, Py_ssize_t *records, Py_ssize_t depth) except -2:
        """The record of the element at the top of the stack, made (with those of its
        ancestors) if it has none yet."""
        cdef Py_ssize_t first = depth
        cdef Py_ssize_t level
        cdef Py_ssize_t capacity
        if depth == 0:
            return -1
        while first and records[first - 1] == -1:
            first -= 1
        if first == depth:
            return records[depth - 1]
        if self._records + depth - first > self._record_capacity:
            capacity = 2 * (self._records + depth - first) + 64
            self._nodes = <lxb_dom_node_t **> _grow(self._nodes, capacity * sizeof(void *))
            self._up = <Py_ssize_t *> _grow(self._up, capacity * sizeof(Py_ssize_t))
            self._block = <Py_ssize_t *> _grow(self._block, capacity * sizeof(Py_ssize_t))
            self._outer = <Py_ssize_t *> _grow(self._outer, capacity * sizeof(Py_ssize_t))
            self._record_capacity = capacity
        for level in range(first, depth):
            records[level] = self._records
            self._nodes[self._records] = stack[level]
            self._up[self._records] = records[level - 1] if level else -1
            self._block[self._records] = -1
            self._regions.append(None)
            self._records += 1
        return records[depth - 1]

    def keep(self, Py_ssize_t position, str url, str host, rel) -> Link:
        """Make the link found at ``position`` one of the page's, as it resolves."""
        cdef Link link = Link.__new__(Link)
        if position < 0 or position >= self._count:
            raise IndexError(position)
        link.url = url
        link.host = host
        link.rel = rel
        link._layout = self
        link._index = len(self._kept)
        self._kept.append(position)
        return link

    def seal(self) -> None:
        """Make room for the fields of the links kept, once they all are."""
        cdef Py_ssize_t count = len(self._kept)
        self._anchors = [None] * count
        self._link_types = ["text"] * count
        self._placements = [None] * count
        self._snippets = [None] * count
        self._own_text = bytearray(b"\x01") * count

    cpdef str anchor(self, Py_ssize_t index):
        """The link's text, whitespace collapsed; for a link without text, its image's
        alt, else its name for a screen reader (``_label``)."""
        cdef object anchor = self._anchors[index]
        cdef lxb_dom_node_t *node
        if anchor is not None:
            return anchor
        node = self._links[<Py_ssize_t> self._kept[index]]
        anchor = collapse_whitespace(_text(node))
        if not anchor:
            self._own_text[index] = 0
            anchor, self._link_types[index] = self._label(node)
        self._anchors[index] = anchor
        return anchor

    cpdef str link_type(self, Py_ssize_t index):
        """``image`` for an image link (and an ``<area>``), else ``text``."""
        if self._anchors[index] is None:
            self.anchor(index)
        return self._link_types[index]

    cpdef str placement(self, Py_ssize_t index):
        """Where on the page the link sits: one of ``placement.PLACEMENTS``."""
        cdef object placement = self._placements[index]
        cdef Py_ssize_t record
        cdef Py_ssize_t block
        cdef str text
        if placement is not None:
            return placement
        record = self._record_of(index)
        region = self._regions[record] if record >= 0 else TOP
        block = self._block[record] if record >= 0 else 0
        placement = region.placement or "unknown"
        # A link in a long run of prose is content unless a region holds (see _is_prose;
        # a block shorter than PROSE is not prose, whatever its links).
        if block and region.prose_decides:
            text = self._block_text(block)
            if len(text) >= PROSE and _is_prose(text, self._block_links(index, block)[1]):
                placement = "content"
        self._placements[index] = placement
        return placement

    cpdef str snippet(self, Py_ssize_t index):
        """The text of the link's nearest block (paragraph, list item, cell, heading...),
        or its anchor outside any; a window of ``SNIPPET_CHARS`` around the link in a
        longer one. Worked out for every other link of its block too when the block's
        text is longer than a snippet."""
        cdef object snippet = self._snippets[index]
        cdef Py_ssize_t block
        cdef str text
        cdef str anchor
        if snippet is not None:
            return snippet
        block = self._block_of(index)
        text = self._block_text(block) if block else ""
        if not text:
            # Outside any block (or a link without text in a block without any): the anchor.
            anchor = self.anchor(index)
            snippet = _snippet(anchor, anchor, 0) if len(anchor) > SNIPPET else anchor
        elif len(text) > SNIPPET:
            return self._cut(text, self._block_links(index, block)[0], index)
        else:
            snippet = text
        self._snippets[index] = snippet
        return snippet

    cdef tuple _label(self, const lxb_dom_node_t *node):
        """The anchor and link type of a link without text: its first image's alt, else its
        name for a screen reader: its aria-label, the first aria-label or SVG title inside it
        (an icon's, not one hidden from screen readers), its title (an ``<area>``'s own alt
        first)."""
        cdef const lxb_dom_node_t *inner = node.first_child
        cdef const lxb_dom_node_t *image = NULL
        cdef const lxb_dom_node_t *hidden = NULL
        cdef str label = collapse_whitespace(_value(_attr(node, 0, b"aria-label", True)) or "")
        cdef str alt
        while inner != NULL and not (label and image != NULL):
            if inner.type == LXB_DOM_NODE_TYPE_ELEMENT:
                if image == NULL and inner.local_name == LXB_TAG_IMG:
                    image = inner
                    alt = collapse_whitespace(_value(_attr(inner, LXB_DOM_ATTR_ALT, b"alt", True)) or "")
                    if alt:
                        return alt, "image"
                if hidden != NULL and not _inside(inner, hidden):
                    hidden = NULL
                if hidden == NULL and _value(_attr(inner, 0, b"aria-hidden", True)) == "true":
                    hidden = inner
                if not label and hidden == NULL:
                    label = collapse_whitespace(_value(_attr(inner, 0, b"aria-label", True)) or "")
                    if not label and inner.local_name == LXB_TAG_TITLE:
                        # An icon's <svg><title>: its name, as an image's alt.
                        label = collapse_whitespace(_text(inner))
            inner = _next(node, inner)
        label = label or collapse_whitespace(_value(_attr(node, LXB_DOM_ATTR_TITLE, b"title", True)) or "")
        if self._tag(node) == "area":
            # A hotspot of an image map: its alt is its anchor.
            return collapse_whitespace(_value(_attr(node, LXB_DOM_ATTR_ALT, b"alt", True)) or "") or label, "image"
        return label, "image" if image != NULL else "text"

    cdef Py_ssize_t _block_of(self, Py_ssize_t index) except -1:
        """The nearest block of the link (0 if none)."""
        cdef Py_ssize_t record = self._record_of(index)
        return self._block[record] if record >= 0 else 0

    cdef Py_ssize_t _record_of(self, Py_ssize_t index) except -2:
        """The record of the link's parent (-1: the document), judged."""
        cdef Py_ssize_t record = self._parents[<Py_ssize_t> self._kept[index]]
        if record >= 0 and self._block[record] == -1:
            self._judge(record)
        return record

    cdef str _block_text(self, Py_ssize_t block):
        cdef str text = self._texts.get(block)
        if text is None:
            text = self._texts[block] = collapse_whitespace(_text(self._nodes[block - 1], BLOCK_TEXT))
        return text

    cdef tuple _block_links(self, Py_ssize_t index, Py_ssize_t block):
        """The links of ``block`` (those it is the nearest block of), in document order,
        and the length of their anchors; ``index`` is one of them.

        The links inside a block are a run of the page's (a subtree is a run of the
        document order): from ``index``, the neighbours on each side up to the first
        that is not inside it. The runs of the blocks inside it are stepped over whole
        (``_run_edge``), so nested blocks cost their count, not its square or cube.
        """
        cdef tuple known = self._blocks.get(block)
        cdef Py_ssize_t first
        cdef Py_ssize_t end
        cdef Py_ssize_t other
        cdef Py_ssize_t length = 0
        cdef list indexes = []
        if known is not None:
            return known
        first = self._run_edge(index, block, -1)
        end = self._run_edge(index, block, 1)
        other = first
        while other < end:
            if self._block_of(other) == block:
                indexes.append(other)
                length += len(self.anchor(other))
                other += 1
            else:
                # The first link of a block inside: on past its run.
                other = self._run_edge(other, self._child_of(self._block_of(other), block), 1)
        known = self._blocks[block] = (indexes, length)
        return known

    cdef Py_ssize_t _run_edge(self, Py_ssize_t index, Py_ssize_t block, int step) except -1:
        """One past the last link (``step`` 1) or the first (-1: its index) of the run of
        ``block``, from ``index``, a link inside it; remembered."""
        cdef dict edges = self._ends if step > 0 else self._starts
        cdef object known = edges.get(block)
        cdef Py_ssize_t at = index
        cdef Py_ssize_t count = len(self._kept)
        cdef Py_ssize_t nearest
        cdef Py_ssize_t child
        cdef Py_ssize_t other
        cdef Py_ssize_t edge
        if known is not None:
            return known
        while True:
            other = at + step
            if other < 0 or other >= count:
                break
            nearest = self._block_of(other)
            if nearest == block:
                at = other
                continue
            child = self._child_of(nearest, block)
            if not child:
                break
            # A block inside: its whole run is inside too; on from its far edge.
            at = self._run_edge(other, child, step)
            if step > 0:
                at -= 1
        edge = at + 1 if step > 0 else at
        edges[block] = edge
        return edge

    cdef Py_ssize_t _child_of(self, Py_ssize_t nearest, Py_ssize_t block) except -1:
        """The block right inside ``block`` that holds block ``nearest`` (``nearest`` itself
        when it is right inside), or 0 when ``nearest`` is not inside ``block``."""
        cdef Py_ssize_t outer
        while nearest:
            outer = self._outer[nearest - 1]
            if outer == block:
                return nearest
            nearest = outer
        return 0

    cdef str _cut(self, str context, list indexes, Py_ssize_t wanted):
        """Centre each link's snippet on its own text in its block's ``context``: the
        first occurrence of its anchor after the anchor of the link before it, in one walk
        of the text. An anchor that is not the link's text (an alt, a title) has no place
        in it: its first occurrence, if any, stands in. ``wanted``, one of ``indexes``, is
        the link whose snippet is returned."""
        cdef Py_ssize_t cursor = 0
        cdef Py_ssize_t at
        cdef dict firsts = {}
        cdef str wanted_snippet = ""
        cdef str anchor
        cdef str snippet
        for index in indexes:
            anchor = self.anchor(index)
            at = context.find(anchor, cursor) if anchor and self._own_text[index] else -1
            if at >= 0:
                cursor = at + len(anchor)
            elif anchor:
                at = firsts.get(anchor, -2)
                if at == -2:
                    at = firsts[anchor] = context.find(anchor)
            snippet = self._snippets[index] = _snippet(context, anchor, at)
            if index == wanted:
                wanted_snippet = snippet
        return wanted_snippet

    cdef int _judge(self, Py_ssize_t record) except -1:
        """Work out the context of a record and of those above it, top down; each
        record is judged once."""
        cdef Py_ssize_t top = record
        cdef Py_ssize_t up
        cdef lxb_dom_node_t *node
        cdef uintptr_t tag
        cdef unsigned char flags
        cdef list chain = []
        while top >= 0 and self._block[top] == -1:
            chain.append(top)
            top = self._up[top]
        for record in reversed(chain):
            node = self._nodes[record]
            tag = node.local_name
            flags = _FLAGS[tag] if tag < LXB_TAG__LAST_ENTRY else 0
            up = self._up[record]
            if flags & ROOT:
                # What is above a page's body says nothing of its links.
                self._regions[record] = TOP
                self._block[record] = 0
                self._outer[record] = 0
                continue
            if up < 0:
                region = TOP
                self._block[record] = 0
                self._outer[record] = 0
            else:
                region = self._regions[up]
                self._block[record] = self._block[up]
                self._outer[record] = self._outer[up]
            # An element with no attributes says nothing unless its tag does.
            if backlinks_has_attrs(node) or flags & REGION:
                region = enter(
                    region,
                    self._tag(node),
                    _value(_attr(node, 0, b"role", True)),
                    _value(_attr(node, LXB_DOM_ATTR_CLASS, b"class", True)),
                    _value(_attr(node, LXB_DOM_ATTR_ID, b"id", True)),
                )
            if flags & BLOCK:
                self._outer[record] = self._block[record]
                self._block[record] = record + 1
            self._regions[record] = region
        return 0

    cdef str _tag(self, const lxb_dom_node_t *node):
        """``LexborNode.tag`` of an element."""
        cdef str name
        if backlinks_plain_name(node):
            name = _TAG_NAMES[node.local_name]
            if name is None:
                name = _TAG_NAMES[node.local_name] = LexborNode.new(<lxb_dom_node_t *> node, self._tree).tag
            return name
        return LexborNode.new(<lxb_dom_node_t *> node, self._tree).tag



@cython.no_gc
cdef class Link:
    """One outlink of a page.

    ``url``, ``host`` and ``rel`` come with the parse. ``anchor``, ``link_type``,
    ``placement`` and ``snippet`` are worked out on first access and kept (by the page's
    ``Layout``): a crawl reads them only for the links to its targets, a small share of
    a page's links.
    """

    cdef public str url
    cdef public str host
    cdef public object rel
    cdef Layout _layout
    cdef Py_ssize_t _index

    def __init__(self):
        raise TypeError("links come from Layout.keep")

    @property
    def anchor(self) -> str:
        """The link's text, whitespace collapsed; for a link without text, its image's
        alt, else its name for a screen reader."""
        return self._layout.anchor(self._index)

    @property
    def link_type(self) -> str:
        """``image`` for an image link (and an ``<area>``), else ``text``."""
        return self._layout.link_type(self._index)

    @property
    def placement(self) -> str:
        """Where on the page the link sits: one of ``placement.PLACEMENTS``."""
        return self._layout.placement(self._index)

    @property
    def snippet(self) -> str:
        """The text of the link's nearest block (paragraph, list item, cell, heading...),
        or its anchor outside any; a window of ``SNIPPET_CHARS`` around the link in a
        longer one."""
        return self._layout.snippet(self._index)

    def _fields(self) -> tuple:
        return (self.url, self.host, self.anchor, self.rel, self.link_type, self.placement, self.snippet)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        fields = zip(("url", "host", "anchor", "rel", "link_type", "placement", "snippet"), self._fields(), strict=True)
        return f"Link({', '.join(f'{name}={value!r}' for name, value in fields)})"


cdef bint _is_prose(str context, Py_ssize_t link_chars):
    """Whether a block's text is prose: ``PROSE`` characters of it are not the text of its
    links, and its links are at most half of it (a cell or item listing links is not)."""
    return len(context) - link_chars >= PROSE and 2 * link_chars <= len(context)


cdef str _snippet(str context, str anchor, Py_ssize_t at):
    """The ``SNIPPET_CHARS`` of ``context`` centred on ``anchor`` found at ``at`` (its
    start when not found)."""
    cdef Py_ssize_t start
    if at < 0:
        return context[:SNIPPET]
    start = max(0, at + len(anchor) // 2 - SNIPPET // 2)
    return context[start : start + SNIPPET]


cdef void *_grow(void *block, size_t size) except NULL:
    cdef void *grown = PyMem_Realloc(block, size)
    if grown == NULL:
        raise MemoryError
    return grown
