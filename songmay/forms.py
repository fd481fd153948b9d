"""What every form shares: showing a service's DomainError beside the field it names."""

from django import forms

from songmay.lib.errors import DomainError


def show_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
