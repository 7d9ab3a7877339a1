"""What a text field of either API may hold, as patterns its OpenAPI document shows."""

from __future__ import annotations

# PostgreSQL text cannot hold NUL, so it is refused (422), not failed on later.
NO_NUL = r"^[^\x00]*$"
# A name is stripped of Unicode White_Space (what `strip_whitespace` removes) and must
# keep a character: the pattern says so to a client, which sees the name unstripped.
_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"
