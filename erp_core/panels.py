"""Sections another package adds to a page it does not own (erp_core never imports wms, and one area
of erp_core does not import another it merely shows): the owner registers a function per section at
app start; each renders its own fragment (autoescaped) for the page's object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from markupsafe import Markup

T = TypeVar("T")


class PanelRegistry(Generic[T]):
    def __init__(self) -> None:
        self._panels: list[Callable[[T], str]] = []

    def register(self, panel: Callable[[T], str]) -> None:
        if panel not in self._panels:
            self._panels.append(panel)

    def __len__(self) -> int:
        return len(self._panels)

    def render(self, subject: T) -> list[Markup]:
        """The registered sections for this object, rendered (an empty string leaves a section out)."""
        rendered = (panel(subject) for panel in self._panels)
        return [Markup(html) for html in rendered if html]  # noqa: S704  (rendered by Jinja with autoescape)
