"""Forms of the login and admin pages (Flask-WTF: CSRF token in every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .permissions import ROLES, SCOPES


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class BadgeForm(FlaskForm):
    badge = PasswordField(_l("Scan your badge"), validators=[DataRequired(), Length(max=128)])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    supplier_id = SelectField(_l("Supplier (for the supplier role)"), coerce=int, choices=[], default=0,
                              validate_choice=False)  # checked by the service (unknown_supplier)
    warehouses = SelectMultipleField(_l("Warehouses (none selected = all)"), coerce=int, choices=[])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=256)])
    badge = StringField(_l("Badge code"), validators=[Optional(), Length(min=6, max=128)])
    clear_badge = BooleanField(_l("Remove badge"))
    active = BooleanField(_l("Active"), default=True)


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    user_id = SelectField(_l("Acts as user"), coerce=int, choices=[])
    # None ticked: every scope of the user's role.
    scopes = SelectMultipleField(_l("Scopes"), choices=[(scope, scope) for scope in SCOPES],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    expires_on = DateField(_l("Expires on"), validators=[Optional()])


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=120)])
    province = StringField(_l("Province"), validators=[Optional(), Length(max=40)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=60)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    active = BooleanField(_l("Active"), default=True)
