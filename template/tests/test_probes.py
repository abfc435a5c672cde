import pytest


def test_healthz_answers_whatever_the_host_and_scheme(client):
    # A platform probes the container's own address over plain HTTP.
    response = client.get("/healthz", headers={"host": "10.0.0.7:8000"})
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_answers_once_the_database_is_migrated(client):
    response = client.get("/readyz", headers={"host": "10.0.0.7:8000"})
    assert response.status_code == 200
    assert response.content == b"ready"
