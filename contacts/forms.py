from django import forms

from accounts.forms_base import BootstrapFormMixin


class BlockContactForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: shown to supervisors on the contact page and in the audit log.",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class UnblockContactForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[("unblock_all", "Unblock All"), ("delete_all", "Delete All")]
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
