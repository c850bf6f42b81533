"""The portal's forms. Labels are translated; every field is bounded like the model it feeds."""

from django import forms
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from members.models import Member


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=pgettext_lazy("portal", "Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=pgettext_lazy("portal", "First name"), max_length=150, required=False)
    last_name = forms.CharField(label=pgettext_lazy("portal", "Last name"), max_length=150, required=False)
    birthday = forms.DateField(
        label=pgettext_lazy("portal", "Birthday"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=pgettext_lazy("portal", "Once set, only the shop can change it."),
    )
    emails_allowed = forms.BooleanField(
        label=pgettext_lazy("portal", "Send me emails about my points and rewards"), required=False
    )

    def __init__(self, data=None, *, member: Member):
        initial = {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "birthday": member.birthday,
            "emails_allowed": member.emails_allowed,
        }
        super().__init__(data, initial=initial)
        self.member = member
        # A birthday earns points once a year: members set it once, the shop corrects it.
        if member.birthday:
            self.fields["birthday"].disabled = True

    def clean_birthday(self):
        birthday = self.cleaned_data.get("birthday")
        if self.member.birthday:
            return self.member.birthday
        if birthday and (birthday > timezone.localdate() or birthday.year < 1900):
            raise forms.ValidationError(pgettext_lazy("portal", "Enter your real date of birth."))
        return birthday
