from django.contrib import admin
from django.urls import path

from books import views

urlpatterns = [
    path("", views.shelf, name="shelf"),
    path("admin/", admin.site.urls),
]
