import os

import environ

from .base import *  # noqa: F403

# The settings' own reader, named as django-environ's documentation names it.
env = environ.Env()

DEBUG = False
# Read at import, without a default: the image build's collectstatic needs stand-ins.
SECRET_KEY = env("SHELF_SECRET_KEY")
ADMINS = [("Shelf", os.environ["SHELF_ADMIN_EMAIL"])]
ADMIN_URL = env("SHELF_ADMIN_URL")
SECURE_SSL_REDIRECT = env.bool("SHELF_SECURE_SSL_REDIRECT", default=True)
ALLOWED_HOSTS = ["shelf.example.com"]
# DATABASE_URL where it is set, else variables of the site's own, read only then.
if os.getenv("DATABASE_URL"):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("SHELF_POSTGRES_DB"),
            "USER": env("SHELF_POSTGRES_USER"),
            "HOST": env("SHELF_POSTGRES_HOST", default="postgres"),
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Static files on a bucket, which Collectfasta's collectstatic copies them to.
INSTALLED_APPS = ["collectfasta", *INSTALLED_APPS]  # noqa: F405
AWS_STORAGE_BUCKET_NAME = "shelf-assets"
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "media"}},
    "staticfiles": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "static"}},
}
COLLECTFASTA_STRATEGY = "collectfasta.strategies.boto3.Boto3Strategy"
STATIC_URL = f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com/static/"
SECURE_HSTS_SECONDS = 3600
# The site's own choices, which the adoption keeps.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]  # frames from the same origin, on purpose
SESSION_COOKIE_NAME = "shelf_session"
