"""Types of the compiled ``_nesting`` module (see ``_nesting.pyx``)."""

MAX_ATTRIBUTES: int
MAX_REOPENED: int
MAX_OPTIONS: int

def flatten(html: str, limit: int = 512) -> str: ...
