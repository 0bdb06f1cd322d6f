"""Korean follows the user's setting, then the browser."""

from django.test import Client

from doum.accounts import actions as accounts
from tests.personas import World


def test_sign_in_page_follows_the_browser_language(db: None) -> None:
    assert "로그인" in Client(HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").get("/login/").text
    assert "Sign in" in Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/login/").text


def test_the_users_setting_wins_over_the_browser(world: World) -> None:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "ko"})
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    client.force_login(world.agent)
    page = client.get("/").text
    assert "환영합니다" in page and "상담원" in page
