import re

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.fixture(scope="module")
def static_files(tmp_path_factory):
    """The static files collected as the image build collects them, with hashed names."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("staticfiles")):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield


def test_plain_http_is_redirected_to_https(client):
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"


@pytest.mark.django_db
def test_admin_login_page_renders_with_its_hashed_stylesheet(client, static_files):
    page = client.get("/admin/login/", secure=True)
    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links the stylesheet by its hashed name"
    css = client.get(stylesheet.group(1), secure=True)
    assert css.status_code == 200
    assert "immutable" in css["Cache-Control"]
