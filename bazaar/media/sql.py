# ruff: noqa: S608 -- SQL text of this module's own; the column is the caller's SQL, no input.
"""File URLs written by PostgreSQL, the rule `serializers.FileURLs` follows in Python: the
storage's absolute base (`url_prefix`) + `filepath_to_uri(path)` without its leading slash. The
order documents (`orders.documents`) and the list's item snapshots (`orders.selectors`) write
their image URLs this way; `orders/tests/test_documents.py` holds the SQL to `filepath_to_uri`
for any text."""

# `quote(path, safe="/~!*()'")` (django.utils.encoding.filepath_to_uri), on a path whose
# backslashes are slashes: kept as is when every character is safe (the usual case, checked by
# one regular expression), otherwise character by character, each unsafe one as its UTF-8 bytes.
_URI_SAFE = "^[A-Za-z0-9_.~!*()''/-]*$"


def file_url_sql(prefix_param: str, column: str) -> str:
    """The URL of the file whose path is `column`, under the prefix given as the parameter
    `prefix_param` (`%s`, `%(images)s`). Its `%` is doubled: the text is for a statement sent
    with parameters."""
    path = f"replace({column}, E'\\\\', '/')"
    encoded = (
        f"(SELECT string_agg(CASE WHEN c ~ '[A-Za-z0-9_.~!*()''/-]' THEN c ELSE "
        f"upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'), '(..)', '%%\\1', 'g')) END, "
        f"'' ORDER BY n) FROM regexp_split_to_table({path}, '') WITH ORDINALITY AS chars(c, n))"
    )
    uri = f"(CASE WHEN {path} ~ '{_URI_SAFE}' THEN {path} ELSE coalesce({encoded}, '') END)"
    return f"({prefix_param} || ltrim({uri}, '/'))"
