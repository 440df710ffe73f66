# cython: language_level=3
"""Markup nested deeper than browsers build it, flattened before the parse; start tags of
more attributes than any page needs, cut; formatting elements the tree builder would make again
and again, and a select's options past a thousand, dropped.

lexbor (selectolax's parser) follows the HTML standard, whose tree builder looks through
the stack of open elements at many a tag: a page of elements nested N deep costs N² (100,000
``<div>`` take 45 s; as a 1.6 KB gzip, a web page of them stalled a whole crawl), and a link
in each level costs placement N³. Blink builds no tree deeper than 512 elements (its
parser's ``kMaximumHTMLParserDOMTreeDepth``): what is opened beyond sits beside the 512th.

``flatten(html, limit)`` does as much before the parse, in one pass of C over the text: the
start tag of an element that would nest deeper than ``limit`` is blanked (replaced by
spaces, so the text and the links inside stay where they are), and so is the end tag that
closes it. Elements that cannot nest deep are not counted: void elements, those a sibling
closes (``p``, ``li``, ``td``, ``option``...), the formatting elements the standard bounds
(``a``, ``b``, ``font``...), and the document's own. Raw text (``script``, ``style``,
``textarea``, ``title``...) and comments are skipped. An end tag closes the innermost open
element of its name and those above it, as the tree builder does for most elements; one
with no open element of its name is ignored, as it is.

lexbor's tokenizer checks each attribute of a start tag against those before it (a duplicate
is dropped), so a tag's attributes cost their square: 20,000 take 0.7 s, and the 800,000 of an
8 MB tag would take hours. A start tag's attributes are read here as the tokenizer reads them
(a ``>`` in a quoted value does not end the tag), and those after the first ``MAX_ATTRIBUTES``
are blanked.

The tree builder makes a formatting element (``b``, ``font``...) that the end of a block closed
again at each element or text after it: 2,000 of them left open in a paragraph and 2,000
paragraphs after make 4 million elements (1.5 GB) of 37 KB. ``_Formatting`` counts the copies
that could be made, and past ``MAX_REOPENED`` blanks the formatting start tags still open and
those after.

lexbor's options cost their square in a select (16,000: 0.8 s; a 10 MiB select would take an
hour); a select holds no link, and its options past ``MAX_OPTIONS`` are blanked.

Almost every page is left alone: one read of its text, no copy.
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memchr
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport uint64_t

# Elements not counted, and those whose text is raw (skipped to their end tag).
_NOT_NESTING = (
    "area base br col embed hr img input link meta param source track wbr keygen basefont bgsound frame image "
    "p li dt dd option optgroup tr td th thead tbody tfoot rb rt rp rtc caption colgroup "
    "a b big code em font i nobr s small strike strong tt u "
    "html head body"
).split()
_RAW_TEXT = "script style textarea title xmp iframe noembed noframes".split()
# Formatting elements the tree builder reopens after a block that closed them (but ``a``, of which
# it keeps one at most), and the void elements that close none.
_FORMATTING = "b big code em font i nobr s small strike strong tt u".split()
_VOID = "area base br col embed img input link meta param source track wbr keygen basefont bgsound frame image".split()

cdef enum:
    NAME_CHARS = 7  # a name is known by its length and its first 7 characters
    KNOWN = 128
    ATTRIBUTES_KEPT = 256  # MAX_ATTRIBUTES, for C
    OPTIONS_KEPT = 1000  # MAX_OPTIONS, for C
    REOPENED_KEPT = 50_000  # MAX_REOPENED, for C


# Attributes of a start tag kept at most: 256 cost lexbor 0.15 ms (the most in the corpus: 70).
MAX_ATTRIBUTES = ATTRIBUTES_KEPT
# Formatting elements the tree builder may make again after the blocks that closed them, at most
# (as ``_Formatting`` counts them): about 33 MB of lexbor's tree.
MAX_REOPENED = REOPENED_KEPT
# Options of a select kept at most: lexbor's cost a select's options their square (16,000 in
# one: 0.8 s); a select holds no link.
MAX_OPTIONS = OPTIONS_KEPT


cdef uint64_t _key(const unsigned char *name, Py_ssize_t length) noexcept nogil:
    cdef uint64_t key = <uint64_t> (length if length < 255 else 255) << 56
    cdef Py_ssize_t i
    for i in range(length if length < NAME_CHARS else NAME_CHARS):
        key |= <uint64_t> name[i] << (8 * i)
    return key


# The keys of those names, sorted, for a binary search.
cdef uint64_t _not_nesting[KNOWN]
cdef uint64_t _raw_text[KNOWN]
cdef uint64_t _formatting[KNOWN]
cdef uint64_t _void[KNOWN]
cdef Py_ssize_t _not_nesting_count = 0
cdef Py_ssize_t _raw_text_count = 0
cdef Py_ssize_t _formatting_count = 0
cdef Py_ssize_t _void_count = 0
cdef uint64_t _plaintext
cdef uint64_t _select
cdef uint64_t _option
cdef uint64_t _input
cdef uint64_t _keygen
cdef uint64_t _textarea


cdef Py_ssize_t _fill(uint64_t *keys, list names) except -1:
    cdef bytes name
    cdef Py_ssize_t count = 0
    for key in sorted({_key(name, len(name)) for name in (n.encode() for n in names)}):
        keys[count] = key
        count += 1
    return count


_not_nesting_count = _fill(_not_nesting, _NOT_NESTING)
_raw_text_count = _fill(_raw_text, _RAW_TEXT)
_formatting_count = _fill(_formatting, _FORMATTING)
_void_count = _fill(_void, _VOID)
_plaintext = _key(b"plaintext", 9)
_select = _key(b"select", 6)
_option = _key(b"option", 6)
_input = _key(b"input", 5)
_keygen = _key(b"keygen", 6)
_textarea = _key(b"textarea", 8)


cdef inline bint _known(const uint64_t *keys, Py_ssize_t count, uint64_t key) noexcept nogil:
    cdef Py_ssize_t low = 0
    cdef Py_ssize_t high = count
    cdef Py_ssize_t middle
    while low < high:
        middle = (low + high) // 2
        if keys[middle] < key:
            low = middle + 1
        else:
            high = middle
    return low < count and keys[low] == key


cdef inline unsigned int _lower(unsigned int c) noexcept nogil:
    if 65 <= c <= 90:
        return c + 32
    return c


cdef inline bint _letter(unsigned int c) noexcept nogil:
    return 97 <= _lower(c) <= 122


cdef inline bint _space(unsigned int c) noexcept nogil:
    return c == 32 or c == 9 or c == 10 or c == 12 or c == 13


@cython.final
cdef class _Formatting:
    """The formatting elements open (started, not ended), and how many copies of them the tree
    builder may make: one that a block's end (or a start tag closing a paragraph, a list item...)
    closed is made again at each element or text after (the standard's "reconstruct the active
    formatting elements"), so ``<p><b id=1>...<b id=2000></p>`` and 2,000 ``<p>x</p>`` make 4
    million elements of 37 KB (1.5 GB, 1.4 s). Counted as if every tag but a void one closed those
    open and every start tag made them again; past ``budget``, those open and every formatting start
    tag after are blanked. Formatting left open is rare: no page of the corpus is touched."""

    cdef list open  # (key, start, end) of each, in document order
    cdef Py_ssize_t closed  # how many of the first ones some tag may have closed
    cdef Py_ssize_t copies
    cdef Py_ssize_t budget
    cdef bint over

    def __cinit__(self, Py_ssize_t budget):
        self.open = []
        self.closed = 0
        self.copies = 0
        self.budget = budget
        self.over = False

    cdef bint started(self, uint64_t key, Py_ssize_t start, Py_ssize_t end, list blanks) except -1:
        """A start tag from ``start`` to ``end``: True when it is a formatting one (counted, or
        blanked past the budget)."""
        if not _known(_formatting, _formatting_count, key):
            self.copies += self.closed
            if self.copies > self.budget and not self.over:
                self.over = True
                blanks.extend((opened, ended) for _, opened, ended in self.open)
                self.open.clear()
            if not _known(_void, _void_count, key):
                self.closed = len(self.open)
            return False
        if self.over:
            blanks.append((start, end))
        else:
            self.open.append((key, start, end))
        return True

    cdef void ended(self, uint64_t key) noexcept:
        """An end tag: a formatting one ends the last one open of its name, any other may close them all."""
        cdef Py_ssize_t index
        if not _known(_formatting, _formatting_count, key):
            self.closed = len(self.open)
            return
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == key:
                del self.open[index]
                if index < self.closed:
                    self.closed -= 1
                return


@cython.final
cdef class _Text:
    """The characters of a str, read by index (0 past its end)."""

    cdef str text  # kept alive while its buffer is read
    cdef Py_ssize_t length
    cdef int kind
    cdef void *data

    def __cinit__(self, str text):
        self.text = text
        self.length = PyUnicode_GET_LENGTH(text)
        self.kind = PyUnicode_KIND(text)
        self.data = PyUnicode_DATA(text)

    cdef inline unsigned int at(self, Py_ssize_t i) noexcept:
        return PyUnicode_READ(self.kind, self.data, i) if i < self.length else 0

    cdef inline Py_ssize_t find(self, unsigned int c, Py_ssize_t i) noexcept:
        """The index of the next ``c`` (ASCII) from ``i``, or the length: ``memchr`` over the
        bytes, whatever the string's width (a byte that is ``c`` inside a wider code unit is
        passed over), as fast for UCS-2 and UCS-4 text as for Latin-1."""
        cdef const char *data = <const char *> self.data
        cdef const char *start = data + i * self.kind
        cdef const char *end = data + self.length * self.kind
        cdef const char *hit
        cdef Py_ssize_t index
        while start < end:
            hit = <const char *> memchr(start, c, end - start)
            if hit == NULL:
                break
            index = (hit - data) // self.kind
            if PyUnicode_READ(self.kind, self.data, index) == c:
                return index
            start = hit + 1
        return self.length

    cdef Py_ssize_t name(self, Py_ssize_t i, unsigned char *name, Py_ssize_t *length) noexcept:
        """Read the tag name at ``i`` (lower case, its first NAME_CHARS characters); past it."""
        cdef unsigned int c
        length[0] = 0
        while i < self.length:
            c = self.at(i)
            if c == 62 or c == 47 or _space(c):  # > /
                break
            if length[0] < NAME_CHARS:
                name[length[0]] = <unsigned char> _lower(c) if c < 128 else 255
            length[0] += 1
            i += 1
        return i

    cdef Py_ssize_t raw_end(self, Py_ssize_t i, uint64_t raw) except -2:
        """Where the end tag of the raw text element ``raw`` starts, from ``i`` (the end if none)."""
        cdef unsigned char name[NAME_CHARS]
        cdef Py_ssize_t length
        while True:
            i = self.find(60, i)  # <
            if i >= self.length:
                return i
            if self.at(i + 1) == 47 and _letter(self.at(i + 2)):  # </x
                self.name(i + 2, name, &length)
                if _key(name, length) == raw:
                    return i
            i += 1

    cdef Py_ssize_t attributes(self, Py_ssize_t i, Py_ssize_t most, Py_ssize_t *cut) except -2:
        """Read a start tag's attributes from ``i`` (past its name) as the tokenizer does (a ``>``
        in a quoted value does not end the tag); where its ``>`` is (the end if none). ``cut``:
        where its attribute ``most`` + 1 starts, or -1 when it has no more than ``most``."""
        cdef Py_ssize_t count = 0
        cdef unsigned int c
        cdef unsigned int quote
        while True:
            c = self.at(i)
            while _space(c) or c == 47:  # /
                i += 1
                c = self.at(i)
            if c == 62 or i >= self.length:  # >
                return min(i, self.length)
            count += 1
            if count == most + 1:
                cut[0] = i
            i += 1  # a name's first character may be "=" (a parse error the tokenizer keeps)
            c = self.at(i)
            while i < self.length and not (_space(c) or c == 47 or c == 62 or c == 61):  # / > =
                i += 1
                c = self.at(i)
            while _space(c):
                i += 1
                c = self.at(i)
            if c != 61:  # no value
                continue
            i += 1
            c = self.at(i)
            while _space(c):
                i += 1
                c = self.at(i)
            if c == 34 or c == 39:  # " '
                quote = c
                i = self.find(quote, i + 1) + 1
            else:
                while i < self.length and not (_space(c) or c == 62):
                    i += 1
                    c = self.at(i)

    cdef Py_ssize_t comment_end(self, Py_ssize_t i) except -2:
        """Past the ``-->`` that ends the comment whose text starts at ``i``."""
        while True:
            i = self.find(62, i)  # >
            if i >= self.length:
                return i
            if i >= 2 and self.at(i - 1) == 45 and self.at(i - 2) == 45:
                return i + 1
            i += 1


def flatten(str html, Py_ssize_t limit = 512) -> str:
    """``html`` with the tags of elements nested deeper than ``limit`` blanked (see the
    module); ``html`` itself when it has none."""
    cdef _Text text = _Text(html)
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t start
    cdef Py_ssize_t name_length
    cdef Py_ssize_t depth = 0
    cdef Py_ssize_t level
    cdef Py_ssize_t dropped = 0
    cdef unsigned char name[NAME_CHARS]
    cdef uint64_t key
    cdef bint closing
    cdef bint in_select = False
    cdef Py_ssize_t options = 0
    cdef Py_ssize_t end
    cdef Py_ssize_t cut
    cdef uint64_t *stack = <uint64_t *> PyMem_Malloc(max(1, limit) * sizeof(uint64_t))
    cdef list blanks = []
    cdef _Formatting formatting = _Formatting(REOPENED_KEPT)
    if stack == NULL:
        raise MemoryError
    try:
        while True:
            i = text.find(60, i)  # <
            if i >= text.length:
                break
            start = i
            i += 1
            if text.at(i) == 33 and text.at(i + 1) == 45 and text.at(i + 2) == 45:  # <!--
                i = text.comment_end(i + 3)
                continue
            closing = text.at(i) == 47  # /
            if closing:
                i += 1
            if not _letter(text.at(i)):
                continue
            i = text.name(i, name, &name_length)
            # Past its ">": a start tag's attributes read as the tokenizer reads them, an end tag's
            # (which the tokenizer drops unchecked) to the first ">".
            cut = -1
            end = text.find(62, i) if closing else text.attributes(i, ATTRIBUTES_KEPT, &cut)
            i = end + 1
            key = _key(name, name_length)
            if closing:
                formatting.ended(key)
                if key == _select:
                    in_select = False
                if _known(_not_nesting, _not_nesting_count, key):
                    continue
                if dropped:
                    dropped -= 1
                    blanks.append((start, i))
                    continue
                for level in range(depth - 1, -1, -1):
                    if stack[level] == key:
                        depth = level
                        break
                continue
            if key == _select:
                in_select, options = not in_select, 0  # a select in a select ends it
            elif key == _input or key == _keygen or key == _textarea:
                in_select = False
            elif key == _option and in_select:
                options += 1
                if options > OPTIONS_KEPT:
                    blanks.append((start, i))
                    continue
            if formatting.started(key, start, i, blanks):
                cut = -1 if formatting.over else cut  # blanked whole
            elif key != _plaintext and not _known(_raw_text, _raw_text_count, key) and not _known(
                _not_nesting, _not_nesting_count, key
            ):
                if depth < limit:
                    stack[depth] = key
                    depth += 1
                else:
                    dropped += 1
                    blanks.append((start, i))
                    cut = -1  # blanked whole
            if cut >= 0:
                blanks.append((cut, end))
            if key == _plaintext:
                break
            if _known(_raw_text, _raw_text_count, key):
                i = text.raw_end(i, key)
    finally:
        PyMem_Free(stack)
    if not blanks:
        return html
    parts = []
    i = 0
    for start, end in sorted(blanks):  # a tag blanked whole may hold attributes blanked before
        if end <= i:
            continue
        start = max(start, i)
        parts.append(html[i:start])
        parts.append(" " * (end - start))
        i = end
    parts.append(html[i:])
    return "".join(parts)
