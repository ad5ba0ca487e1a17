"""Forms (Flask-WTF: CSRF token on every one) with server-side validation and size limits."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from geoterr.sources.initiatives import SCALES, THEMES

LIMITS = {"name": 200, "commune": 100, "description": 2000, "contact": 200, "note": 500}


class SubmissionForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=LIMITS["name"])])
    commune = StringField("commune", validators=[DataRequired(),
                                                 Length(max=LIMITS["commune"])])
    theme = SelectField("theme", choices=list(THEMES))
    scale = SelectField("scale", choices=list(SCALES))
    year_start = IntegerField("year", validators=[Optional(), NumberRange(1900, 2100)])
    description = TextAreaField("description", validators=[
        DataRequired(), Length(min=20, max=LIMITS["description"])])
    contact = StringField("contact", validators=[Optional(), Length(max=LIMITS["contact"])])


class EditForm(SubmissionForm):
    note = StringField("note", validators=[Optional(), Length(max=LIMITS["note"])])


class LoginForm(FlaskForm):
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


class ModerateForm(FlaskForm):
    note = StringField("note", validators=[Optional(), Length(max=LIMITS["note"])])
