"""Label templates an admin may edit (LabelTemplate overrides of label_templates/ files) and the sandbox
every label template renders in.

The file stays the default; an override replaces it until it is reset. Whatever a template (or an
order field inside it) says, it renders in a Jinja ``SandboxedEnvironment`` with autoescape (no
``''.__class__.__mro__`` walks, no markup from data) and then through WeasyPrint with the
static-only URL fetcher (no ``file:///etc/passwd``, no outside stylesheet).
"""

from __future__ import annotations

from functools import lru_cache

from babel.support import Translations
from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db
from wms.documents import TEMPLATES_DIR, TRANSLATIONS_DIR, StaticOnlyURLFetcher, html_to_pdf

from .models import LabelTemplate

EDITABLE = ("waybill.html", "packing_slip.html", "sscc.html")
MAX_TEMPLATE_CHARS = 200_000


@lru_cache(maxsize=8)
def sandbox(lang: str) -> SandboxedEnvironment:
    """The sandboxed Jinja environment of label templates in ``lang`` (one per language, cached)."""
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(Translations.load(str(TRANSLATIONS_DIR), [lang]), newstyle=True)
    return env


@lru_cache(maxsize=64)
def _compiled(lang: str, body: str) -> Template:
    return sandbox(lang).from_string(body)


def _known(name: str) -> str:
    if name not in EDITABLE:
        raise NotFound(f"no label template {name}", code="unknown_label_template", name=name)
    return name


def default_body(name: str) -> str:
    return (TEMPLATES_DIR / _known(name)).read_text(encoding="utf-8")


def override_body(name: str) -> str | None:
    """The admin's edited copy of ``name``, if there is one (else the file is used)."""
    row = db.session.get(LabelTemplate, _known(name))
    return row.body if row is not None else None


def template_body(name: str) -> tuple[str, bool]:
    """(body, is it an override) of ``name``: what the editor opens."""
    body = override_body(name)
    return (body, True) if body is not None else (default_body(name), False)


def render_html(name: str, context: dict, *, lang: str, body: str | None = None) -> str:
    """Render label template ``name`` (or ``body`` in its place) in the sandbox; refuses unsafe templates."""
    try:
        template = _compiled(lang, body) if body is not None else sandbox(lang).get_template(_known(name))
        return template.render(**context, lang=lang)
    except SecurityError as error:
        raise ValidationFailed(f"the template does something labels may not: {error}", code="label_template_unsafe",
                               problem=str(error)) from error
    except TemplateSyntaxError as error:
        raise ValidationFailed(f"template error line {error.lineno}: {error.message}", code="label_template_invalid",
                               line=error.lineno, problem=error.message or "") from error


def render_document(name: str, context: dict, *, lang: str, body: str | None = None,
                    url_fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """PDF of label template ``name`` (or ``body``) with ``context``, fetching only our static files."""
    return html_to_pdf(render_html(name, context, lang=lang, body=body), url_fetcher=url_fetcher)


def save_override(name: str, body: str, *, user_id: int | None) -> LabelTemplate:
    """Keep ``body`` as the template ``name`` from now on (compiled in the sandbox first: a broken one is refused)."""
    _known(name)
    if len(body) > MAX_TEMPLATE_CHARS:
        raise ValidationFailed("the template is too long", code="label_template_too_long", limit=MAX_TEMPLATE_CHARS)
    try:
        sandbox("en").parse(body)
    except TemplateSyntaxError as error:
        raise ValidationFailed(f"template error line {error.lineno}: {error.message}",
                               code="label_template_invalid", line=error.lineno,
                               problem=error.message or "") from error
    with atomic():
        row = db.session.get(LabelTemplate, name)
        if row is None:
            row = LabelTemplate(name=name, body=body, updated_by_id=user_id)
            db.session.add(row)
        else:
            row.body, row.updated_by_id = body, user_id
        db.session.flush()
    return row


def reset_override(name: str) -> bool:
    """Go back to the file's template; True if there was an override."""
    _known(name)
    with atomic():
        row = db.session.get(LabelTemplate, name)
        if row is None:
            return False
        db.session.delete(row)
    return True


def overrides() -> dict[str, str | None]:
    """{template name: override body or None} of every editable template; the page looks them up once."""
    return {name: override_body(name) for name in EDITABLE}
