"""Web pages of the accounts app, one module per area.

auth.py      sign in, sign out (password reset belongs here too)
people.py    customer (CRM) and organization pages
profile.py   the signed-in user's profile, language, time zone, availability
settings.py  admin pages: teams, members, roles
"""

from doum.accounts.views.auth import SignInView, sign_out

__all__ = ["SignInView", "sign_out"]
