import pytest
from django.urls import reverse


@pytest.mark.parametrize("path", ["/login/", "/handoff/", "/blocklists/"])
def test_every_page_sends_a_strict_content_security_policy(client, login, agent, path):
    response = login(agent).get(path) if path != "/login/" else client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_the_pages(login, admin_user, sender):
    for name in ("home", "blocklists:index", "accounts:settings", "handoff:index"):
        html = login(admin_user).get(reverse(name)).content.decode()
        assert "style=" not in html
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), chunk[:80]
