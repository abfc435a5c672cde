"""Filters that write a value into the language of the file it lands in (a Jinja extension loaded
by copier-template-extensions): a table value as a Python literal, the project's name inside a
docstring or as literal Markdown.
"""

from __future__ import annotations

import json
import re

from jinja2.ext import Extension

# Characters Markdown could read as markup in a heading; a backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#~|&!])")


def docstring_text(text: str) -> str:
    """`text` inside a triple-quoted Python string: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def markdown_text(text: str) -> str:
    """`text` as literal Markdown: every character Markdown could read as markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def python_literal(value: str | int) -> str:
    """A table value as Python source, double-quoted like ruff formats strings."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


class TextFilters(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            docstring_text=docstring_text, markdown_text=markdown_text, python_literal=python_literal
        )
