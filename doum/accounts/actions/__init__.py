"""The only writers of people and structure. Each is one transaction and writes its audit row.

One module per subject; everything public is importable from here.
"""

from doum.accounts.actions.brands import (
    DEFAULT_BRAND_CACHE_KEY,
    DEFAULT_BRAND_CACHE_S,
    default_brand,
    do_create_brand,
)
from doum.accounts.actions.common import TOKEN_PREFIX
from doum.accounts.actions.customers import (
    SignUp,
    do_clear_bounce,
    do_find_or_create_customer,
    do_record_bounce,
    do_sign_up_customer,
    do_verify_email,
)
from doum.accounts.actions.organizations import (
    ORG_EDITABLE,
    do_create_organization,
    do_update_organization,
)
from doum.accounts.actions.teams import (
    TEAM_EDITABLE,
    do_add_team_member,
    do_create_staff_member,
    do_create_team,
    do_remove_team_member,
    do_set_team_lead,
    do_set_user_teams,
    do_update_team,
)
from doum.accounts.actions.tokens import (
    IssuedToken,
    digest_token,
    do_create_api_token,
    do_revoke_api_token,
    user_for_token,
)
from doum.accounts.actions.users import (
    USER_EDITABLE,
    do_add_identity,
    do_change_role,
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
    do_remove_identity,
    do_set_availability,
    do_set_password,
    do_update_user,
    find_user_by_identity,
    organization_for_email,
)

__all__ = [
    "DEFAULT_BRAND_CACHE_KEY",
    "DEFAULT_BRAND_CACHE_S",
    "ORG_EDITABLE",
    "TEAM_EDITABLE",
    "TOKEN_PREFIX",
    "USER_EDITABLE",
    "IssuedToken",
    "SignUp",
    "default_brand",
    "digest_token",
    "do_add_identity",
    "do_add_team_member",
    "do_change_role",
    "do_clear_bounce",
    "do_create_api_token",
    "do_create_brand",
    "do_create_organization",
    "do_create_staff_member",
    "do_create_team",
    "do_create_user",
    "do_deactivate_user",
    "do_find_or_create_customer",
    "do_reactivate_user",
    "do_record_bounce",
    "do_remove_identity",
    "do_remove_team_member",
    "do_revoke_api_token",
    "do_set_availability",
    "do_set_password",
    "do_set_team_lead",
    "do_set_user_teams",
    "do_sign_up_customer",
    "do_update_organization",
    "do_update_team",
    "do_update_user",
    "do_verify_email",
    "find_user_by_identity",
    "organization_for_email",
    "user_for_token",
]
