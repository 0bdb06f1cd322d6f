"""The system account "Doum": the author of the internal notes rules write.

A comment needs an author, and a rule is nobody. The account is created once, through the
ordinary account actions (an admin-role user, so it may note on every ticket), and
deactivated at once: it has no usable password, cannot sign in, holds no API token and is
left out of the agent pickers (they list active staff only). It is found again by its fixed
address in the reserved ``.invalid`` domain, which no real mailbox can have.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from doum.accounts.models import User
from doum.accounts.roles import Role
from doum.core.errors import InvalidInput

SYSTEM_EMAIL = "automation@doum.invalid"
SYSTEM_NAME = "Doum"


def system_user() -> User:
    found = User.objects.filter(email=SYSTEM_EMAIL).first()
    if found is not None:
        return found
    from doum.accounts.actions import do_create_user, do_deactivate_user

    try:
        with transaction.atomic():
            user = do_create_user(actor=None, name=SYSTEM_NAME, email=SYSTEM_EMAIL, role=Role.ADMIN)
            do_deactivate_user(user, actor=None)
    except (IntegrityError, InvalidInput):
        # Another process created it in the meantime.
        pass
    return User.objects.get(email=SYSTEM_EMAIL)


def is_system_user(user: User | None) -> bool:
    return user is not None and user.email == SYSTEM_EMAIL
