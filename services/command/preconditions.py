"""If-Match read by RFC 9110 §13.1.1 against the versions of this API's objects.

Every ETag either API gives for an object names its version first: `"<version>"` from the
command API, `"<version>.<digest of the body>"` from the query API, whose body also
changes without the object's version moving (a task's tags, a tag's task count, a
project's tasks). A precondition guards the object's own state, so only the version is
compared: renaming a tag leaves a PATCH of its tasks made on an earlier read as valid as
before. Comparison is strong: a weak tag (`W/"2"`) is well-formed and never matches, nor
does a strong one that names no version (`"abc"`): both are a 412, as RFC 9110 has it
for any entity tag that is not the current one. Only what is not an If-Match at all is
a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.headers import natural
from shared.problems import Problem

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. A list
# may hold empty elements (RFC 9110 §5.6.1), which count for nothing.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*)*")
_VERSIONED = re.compile(r"([0-9]+)(?:[.-].*)?", re.DOTALL)
HOW = (
    'If-Match takes "*" or a comma-separated list of quoted ETags, each "<version>" or '
    '"<version>.<digest>" as either API answered it'
)


@dataclass(frozen=True)
class IfMatch:
    """What an If-Match admits: any existing object, or one at one of `versions`."""

    versions: frozenset[int]
    any: bool = False

    def admits(self, version: int) -> bool:
        return self.any or version in self.versions

    def __str__(self) -> str:
        if self.any:
            return "*"
        if not self.versions:
            return "no ETag naming a version of this object"
        return " or ".join(str(v) for v in sorted(self.versions))


ANY = IfMatch(frozenset(), any=True)


def at(*versions: int) -> IfMatch:
    return IfMatch(frozenset(versions))


def parse_if_match(value: str | None) -> IfMatch | None:
    """None when absent; a Problem 400 when it is not an If-Match field value. A missing
    object is still a 404 whatever If-Match says (RFC 9110 §13.2.1: preconditions are
    ignored when the request would fail without them)."""
    if value is None:
        return None
    if value.strip(" \t") == "*":
        return ANY
    tags = _entity_tags(value)
    if not tags:
        raise Problem(400, "Bad Request", f"{HOW}; got an empty value")
    versions = set()
    for weak, opaque in tags:
        versioned = _VERSIONED.fullmatch(opaque)
        version = None if versioned is None else natural(versioned.group(1))
        if version is not None and not weak:
            versions.add(version)
    return IfMatch(frozenset(versions))


def _entity_tags(value: str) -> list[tuple[bool, str]]:
    """Each entity tag of the list, weak or not, with its opaque part."""
    tags: list[tuple[bool, str]] = []
    at = _gap(value, 0)
    while at < len(value):
        tag = _ENTITY_TAG.match(value, at)
        if tag is None:
            raise Problem(400, "Bad Request", f"{HOW}; got {value!r}")
        tags.append((tag.group(1) is not None, tag.group(2)))
        at = _gap(value, tag.end())
        if at < len(value) and "," not in value[tag.end() : at]:
            raise Problem(400, "Bad Request", f"{HOW}, separated by commas; got {value!r}")
    return tags


def _gap(value: str, at: int) -> int:
    gap = _SEPARATOR.match(value, at)
    assert gap is not None  # it matches the empty string
    return gap.end()
